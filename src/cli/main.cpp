// lemonade: the mail server and its administration commands (DESIGN.md §1).
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/cli.hpp"
#include "convert/worker.hpp"

int main(int argc, char** argv) {
  using namespace lemonade;
  CLI::App app{"Lemonade: an IMAP store and submission server for constrained clients", "lemonade"};
  app.require_subcommand(1);
  app.set_version_flag("--version", LEMONADE_VERSION);

  std::string data_dir = "data";
  std::vector<std::string> overrides;
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--data-dir,-d", data_dir, "data directory (created on first use)")->capture_default_str();
    sub->add_option("-o,--option", overrides, "override a config setting: key=value (repeatable)");
  };

  auto* serve = app.add_subcommand("serve", "run the server");
  add_common(serve);
  auto* run_proxy = app.add_subcommand("proxy", "run the IMAP proxy in front of an IMAP server (proxy.* settings)");
  std::string backend;
  run_proxy->add_option("--backend", backend, "the IMAP server: imap://host:port or imaps://host:port (else proxy.backend)");
  add_common(run_proxy);

  auto* user = app.add_subcommand("user", "manage accounts");
  user->require_subcommand(1);
  std::string name;
  auto* add = user->add_subcommand("add", "add an account (password from stdin or a prompt)");
  auto* passwd = user->add_subcommand("passwd", "change a password (from stdin or a prompt)");
  auto* del = user->add_subcommand("del", "delete an account and all its mail");
  auto* list = user->add_subcommand("list", "list accounts");
  for (auto* sub : {add, passwd, del}) {
    sub->add_option("name", name, "user name")->required();
    add_common(sub);
  }
  add_common(list);

  // Proxy identities (store::proxy_grant): "NAME+LABEL" logs in to NAME's
  // account with a password of its own, under a restricted grant.
  auto* proxy = user->add_subcommand("proxy", "a user's proxy identities (an operator's proxy logs in as NAME+LABEL)");
  proxy->require_subcommand(1);
  std::string label = "proxy";
  std::string allow;
  auto* padd = proxy->add_subcommand("add", "add a proxy identity (its own password from stdin or a prompt)");
  auto* pdel = proxy->add_subcommand("del", "remove a proxy identity");
  auto* plist = proxy->add_subcommand("list", "a user's proxy identities and what each is allowed");
  auto* pallow = proxy->add_subcommand("allow", "set what a proxy identity is allowed, beyond reading and relaying");
  for (auto* sub : {padd, pdel, plist, pallow}) {
    sub->add_option("name", name, "user name")->required();
    add_common(sub);
  }
  padd->add_option("--label", label, "the identity's label: it logs in as NAME+LABEL")->capture_default_str();
  padd->add_option("--allow", allow,
                   "comma-separated allowances (expunge, deleted-flag, mailbox-delete, urlauth, shared-metadata, "
                   "clear-envelope, clear-content); "
                   "none by default");
  for (auto* sub : {pdel, pallow}) sub->add_option("label", label, "the identity's label")->required();
  pallow->add_option("allowances", allow, "comma-separated allowances, or \"none\"")->required();

  // Device keys of proxy deployments (store::device_key, docs/xencrypted.md).
  auto* key = app.add_subcommand("key", "device keys: what a user's device and the store share, and a proxy between them does not");
  key->require_subcommand(1);
  std::string device, key_id;
  auto* kadd = key->add_subcommand("add", "make a key for one of a user's devices; prints it once, to enter on the device");
  auto* klist = key->add_subcommand("list", "a user's keys (never their secrets)");
  auto* krotate = key->add_subcommand("rotate", "give a device a new key in place of KEY (each key in use without KEY); prints the new ones");
  auto* krevoke = key->add_subcommand("revoke", "revoke a key (every key in use with --all); sessions using it end");
  auto* kpair = key->add_subcommand("pair", "a one-time code for one of a user's devices, redeemed for a new key over HTTPS (POST /pairing) within auth.pairing_code_lifetime");
  auto* kcert = key->add_subcommand("cert", "S/MIME certificates of a user, which CONVERT to application/pkcs7-mime envelopes for");
  kcert->require_subcommand(1);
  std::string cert_file, fingerprint;
  auto* cadd = kcert->add_subcommand("add", "add a certificate (PEM or DER file)");
  auto* clist = kcert->add_subcommand("list", "a user's certificates");
  auto* cremove = kcert->add_subcommand("remove", "remove a certificate");
  auto* kapp = key->add_subcommand("app-password", "app passwords: what a client of the key API (HTTPS) logs in with instead of the account's password");
  kapp->require_subcommand(1);
  auto* aadd = kapp->add_subcommand("add", "make one; prints it once");
  auto* alist = kapp->add_subcommand("list", "a user's app passwords (labels and dates)");
  auto* adel = kapp->add_subcommand("del", "remove one");
  bool all_keys = false;
  for (auto* sub : {kadd, klist, krotate, krevoke, kpair, cadd, clist, cremove, aadd, alist, adel}) {
    sub->add_option("name", name, "user name")->required();
    add_common(sub);
  }
  cadd->add_option("file", cert_file, "the certificate")->required();
  cremove->add_option("fingerprint", fingerprint, "SHA-256 fingerprint, 64 hex digits (lemonade key cert list)")->required();
  for (auto* sub : {aadd, adel}) sub->add_option("label", label, "the client's label (letters, digits, '.', '_', '-')")->required();
  for (auto* sub : {kadd, kpair})
    sub->add_option("device", device, "the device's name (letters, digits, '.', '_', '-')")->required();
  krotate->add_option("key", key_id, "key id (16 hex digits)");
  krevoke->add_option("key", key_id, "key id (16 hex digits)");
  krevoke->add_flag("--all", all_keys, "every key of the user");

  auto* queue = app.add_subcommand("queue", "the outbound queue of submitted mail");
  queue->require_subcommand(1);
  std::int64_t queue_id = 0;
  auto* qlist = queue->add_subcommand("list", "list queued messages");
  auto* qshow = queue->add_subcommand("show", "a queued message's envelope and each recipient's state");
  auto* qretry = queue->add_subcommand("retry", "make a message's pending recipients due now");
  auto* qdelete = queue->add_subcommand("delete", "drop a message from the queue (no report is sent)");
  auto* qflush = queue->add_subcommand("flush", "make every pending recipient due now");
  for (auto* sub : {qshow, qretry, qdelete}) sub->add_option("id", queue_id, "queue id")->required();
  for (auto* sub : {qlist, qshow, qretry, qdelete, qflush}) add_common(sub);

  // The server's CONVERT worker processes (convert/worker.hpp); not for
  // people: no help line, and it touches no data directory.
  auto* worker = app.add_subcommand("convert-worker", "")->group("");
  std::uint64_t worker_memory = 0;
  worker->add_option("--memory", worker_memory, "address space limit, octets");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*worker) return convert::worker_main(worker_memory);

  try {
    std::vector<std::pair<std::string, std::string>> kv;
    for (auto& o : overrides) kv.push_back(core::split_override(o));
    auto cfg = cli::prepare_data_dir(std::filesystem::absolute(data_dir), kv);
    if (*serve) return cli::serve(cfg);
    if (*run_proxy) return cli::proxy(cfg, backend);
    if (*add) return cli::user_add(cfg, name);
    if (*passwd) return cli::user_passwd(cfg, name);
    if (*del) return cli::user_del(cfg, name);
    if (*list) return cli::user_list(cfg);
    if (*padd) return cli::proxy_add(cfg, name, label, allow);
    if (*pdel) return cli::proxy_del(cfg, name, label);
    if (*plist) return cli::proxy_list(cfg, name);
    if (*pallow) return cli::proxy_allow(cfg, name, label, allow);
    if (*kadd) return cli::key_add(cfg, name, device);
    if (*klist) return cli::key_list(cfg, name);
    if (*krotate) return cli::key_rotate(cfg, name, key_id);
    if (*krevoke) return cli::key_revoke(cfg, name, key_id, all_keys);
    if (*kpair) return cli::key_pair(cfg, name, device);
    if (*cadd) return cli::cert_add(cfg, name, cert_file);
    if (*clist) return cli::cert_list(cfg, name);
    if (*cremove) return cli::cert_remove(cfg, name, fingerprint);
    if (*aadd) return cli::app_password_add(cfg, name, label);
    if (*alist) return cli::app_password_list(cfg, name);
    if (*adel) return cli::app_password_del(cfg, name, label);
    if (*qlist) return cli::queue_list(cfg);
    if (*qshow) return cli::queue_show(cfg, queue_id);
    if (*qretry) return cli::queue_retry(cfg, queue_id);
    if (*qdelete) return cli::queue_delete(cfg, queue_id);
    if (*qflush) return cli::queue_flush(cfg);
  } catch (const cli::exit_error& e) {
    std::cerr << "lemonade: " << e.what() << "\n";
    return e.code;
  } catch (const core::config_error& e) {
    std::cerr << "lemonade: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "lemonade: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
