// `lemonade user add|passwd|del|list`. The password comes from standard
// input when it is not a terminal (scripts, tests), else from a prompt.
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "auth/password.hpp"
#include "cli/cli.hpp"
#include "store/sqlite/store.hpp"

namespace lemonade::cli {
namespace {

std::string prompt_password(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  termios old{};
  bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string pw;
  std::getline(std::cin, pw);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  return pw;
}

std::string read_password() {
  std::string pw;
  if (!::isatty(STDIN_FILENO)) {
    if (!std::getline(std::cin, pw)) throw exit_error(2, "no password on standard input");
  } else {
    pw = prompt_password("Password: ");
    if (prompt_password("Again: ") != pw) throw exit_error(2, "passwords do not match");
  }
  if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  if (pw.empty()) throw exit_error(2, "empty password");
  return pw;
}

store::user_record credentials(const core::config& cfg, const std::string& name, const std::string& pw) {
  store::user_record r;
  r.name = name;
  r.password_hash = auth::hash_password(pw, {cfg.argon2_opslimit, cfg.argon2_memlimit});
  auto s = auth::derive_scram(pw, cfg.scram_iterations);
  r.scram = {s.salt, s.iterations, s.stored_key, s.server_key};
  return r;
}


std::string allowance_names() {
  std::string out;
  for (auto* n : store::proxy_allowance_names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

// "expunge,urlauth" -> bits; "" or "none" -> 0.
unsigned parse_allowances(const std::string& list) {
  unsigned bits = 0;
  if (list.empty() || list == "none") return 0;
  std::size_t from = 0;
  while (from <= list.size()) {
    auto to = list.find(',', from);
    if (to == std::string::npos) to = list.size();
    auto word = list.substr(from, to - from);
    bool known = false;
    for (unsigned i = 0; i < std::size(store::proxy_allowance_names); ++i)
      if (word == store::proxy_allowance_names[i]) {
        bits |= 1u << i;
        known = true;
      }
    if (!known)
      throw exit_error(2, "unknown allowance \"" + word + "\" (" + allowance_names() + ", or none)");
    from = to + 1;
  }
  return bits;
}

std::string allowances_text(unsigned bits) {
  std::string out;
  for (unsigned i = 0; i < std::size(store::proxy_allowance_names); ++i)
    if (bits & (1u << i)) out += (out.empty() ? "" : ",") + std::string(store::proxy_allowance_names[i]);
  return out.empty() ? "none" : out;
}

}  // namespace

int store_failure(const store::error& e) {
  std::cerr << "lemonade: " << e.what() << "\n";
  return e.what_code == store::error::code::nonexistent || e.what_code == store::error::code::already_exists ||
                 e.what_code == store::error::code::invalid_name
             ? 2
             : 1;
}


int user_add(const core::config& cfg, const std::string& name) {
  auth::init_crypto();
  auto st = open_store(cfg);
  try {
    if (st->users().find_user(name)) throw store::error(store::error::code::already_exists, "user " + name + " already exists");
    auto rec = st->users().add_user(credentials(cfg, name, read_password()));
    // Create the account now, with its default mailboxes.
    st->open_account(rec);
  } catch (const store::error& e) {
    return store_failure(e);
  }
  std::cout << "added user " << name << "\n";
  return 0;
}

int user_passwd(const core::config& cfg, const std::string& name) {
  auth::init_crypto();
  auto st = open_store(cfg);
  try {
    if (!st->users().find_user(name)) throw store::error(store::error::code::nonexistent, "no such user " + name);
    st->users().update_credentials(credentials(cfg, name, read_password()));
  } catch (const store::error& e) {
    return store_failure(e);
  }
  std::cout << "password changed for " << name << "\n";
  return 0;
}

int user_del(const core::config& cfg, const std::string& name) {
  auto st = open_store(cfg);
  try {
    st->users().delete_user(name);
  } catch (const store::error& e) {
    return store_failure(e);
  }
  std::cout << "deleted user " << name << " and all their mail\n";
  return 0;
}

int user_list(const core::config& cfg) {
  auto st = open_store(cfg);
  for (auto& u : st->users().list_users()) std::cout << u.name << "\n";
  return 0;
}

int proxy_add(const core::config& cfg, const std::string& name, const std::string& label, const std::string& allow) {
  auth::init_crypto();
  unsigned bits = parse_allowances(allow);
  auto st = open_store(cfg);
  try {
    if (!st->users().find_user(name)) throw store::error(store::error::code::nonexistent, "no such user " + name);
    auto rec = credentials(cfg, name, read_password());
    rec.proxy = store::proxy_grant{label, bits};
    st->users().add_proxy(rec);
  } catch (const store::error& e) {
    return store_failure(e);
  }
  std::cout << "added proxy identity " << name << cfg.proxy_separator << label << " (allowed: " << allowances_text(bits)
            << ")\n";
  return 0;
}

int proxy_del(const core::config& cfg, const std::string& name, const std::string& label) {
  auto st = open_store(cfg);
  try {
    st->users().remove_proxy(name, label);
  } catch (const store::error& e) {
    return store_failure(e);
  }
  std::cout << "removed proxy identity " << name << cfg.proxy_separator << label << "\n";
  return 0;
}

int proxy_list(const core::config& cfg, const std::string& name) {
  auto st = open_store(cfg);
  if (!st->users().find_user(name)) return store_failure(store::error(store::error::code::nonexistent, "no such user " + name));
  for (auto& p : st->users().list_proxies(name))
    std::cout << name << cfg.proxy_separator << p.proxy->label << " " << allowances_text(p.proxy->allow) << "\n";
  return 0;
}

int proxy_allow(const core::config& cfg, const std::string& name, const std::string& label, const std::string& allow) {
  unsigned bits = parse_allowances(allow);
  auto st = open_store(cfg);
  try {
    st->users().set_proxy_allowances(name, label, bits);
  } catch (const store::error& e) {
    return store_failure(e);
  }
  std::cout << name << cfg.proxy_separator << label << " allowed: " << allowances_text(bits) << "\n";
  return 0;
}

}  // namespace lemonade::cli
