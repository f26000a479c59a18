#pragma once
// Server configuration: a TOML file (DATA_DIR/lemonade.toml) plus
// `-o key=value` overrides. Every limit the server enforces lives here, with
// its default; README.md lists every key (generated from config_keys()).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lemonade::core {

// Thrown for an unreadable or invalid config; what() is one line for the
// operator ("lemonade.toml: limits.max_literal_size: expected a size").
struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class literal_mode { plus, minus };  // RFC 7888: LITERAL+ or LITERAL-
enum class plaintext_policy { never, loopback, always };

struct config {
  std::filesystem::path data_dir;

  // [log]
  std::string log_level = "info";
  std::string log_file;  // empty: standard error

  // [server]
  unsigned network_threads = 0;  // 0: one per core
  unsigned storage_threads = 4;
  unsigned delivery_threads = 8;
  std::chrono::microseconds inline_read_budget{10000};
  unsigned max_connections = 10000;
  std::chrono::seconds shutdown_grace{10};
  std::chrono::milliseconds user_check_interval{1000};
  std::string hostname = "localhost";
  unsigned keep_accounts_open = 32;
  // Mail domains of this server: account NAME receives NAME@D for each.
  std::vector<std::string> domains{"localhost"};

  // [imap] / [imaps]: "host:port" or "[v6]:port"; empty list disables.
  std::vector<std::string> imap_listen{"127.0.0.1:1143"};
  std::vector<std::string> imaps_listen{"127.0.0.1:1993"};
  std::vector<std::string> https_listen;          // device key provisioning; none by default
  std::uint64_t https_max_request_size = 16 * 1024;
  // The protocols the HTTPS listener carries over WebSocket (docs/http-binding.md):
  // "imap" at /imap, "submission" at /submission.
  std::vector<std::string> https_bindings{"imap", "submission"};
  // Resumable binding sessions: how long one waits for its client after
  // the connection is lost; the octets the server keeps unacknowledged
  // (the session waits when they fill); how many may wait at once.
  std::chrono::seconds https_resume_grace{1800};
  std::uint64_t https_resume_window = 1024 * 1024;
  unsigned https_max_parked = 10000;
  unsigned https_max_parked_per_user = 16;
  // WebSocket keepalive pings, timed to the longest quiet period the
  // client's path is learned to survive, between these bounds; a ping
  // unanswered for https_pong_timeout means the connection is lost.
  std::chrono::milliseconds https_keepalive_min{20000};
  std::chrono::milliseconds https_keepalive_max{1680000};
  std::chrono::milliseconds https_pong_timeout{10000};
  // The long-poll binding: how long a GET waits for output at first, and
  // at most once the client's path is learned to survive longer.
  std::chrono::milliseconds https_hold_start{25000};
  std::chrono::milliseconds https_hold_max{110000};
  std::uint64_t https_poll_answer_max = 256 * 1024;  // octets in one GET's answer
  unsigned https_max_poll_per_address = 64;         // long-poll sessions at once from one address
  // RFC 4467 §3 "submit+NAME": the users whose sessions may redeem such
  // URLs with URLFETCH (the submission server's identities).
  std::vector<std::string> urlauth_submit_users;
  unsigned binary_size_cache = 4096;
  literal_mode literal = literal_mode::plus;
  std::chrono::seconds timeout_unauthenticated{60};
  // RFC 3501 §5.4: at least 30 minutes.
  std::chrono::seconds timeout_authenticated{1800};
  // RFC 2177 §3 / DESIGN.md §3: an IDLE-ing client behind a carrier NAT
  // hears "* OK Still here" this often, so the binding stays open.
  std::chrono::seconds idle_keepalive{120};
  unsigned notify_queue_limit = 10000;
  // RFC 4978 COMPRESS=DEFLATE (net/deflate.hpp).
  bool compress = true;
  unsigned compress_level = 6;
  unsigned compress_window_bits = 13;
  unsigned compress_mem_level = 6;
  std::chrono::milliseconds compress_release{2000};
  // RFC 5464 METADATA.
  std::uint64_t metadata_max_value = 64 * 1024;
  unsigned metadata_max_entries = 100;
  std::string metadata_admin;    // "" : mailto:postmaster@hostname
  std::string metadata_comment;  // the server's /shared/comment; "" none
  // RFC 5259 CONVERT (src/convert).
  bool convert = true;
  unsigned convert_threads = 1;
  unsigned convert_max_messages = 20;
  unsigned convert_max_parts = 4;
  std::uint64_t convert_max_input = 32 * 1024 * 1024;
  std::uint64_t convert_max_decode_pixels = 25'000'000;
  std::uint64_t convert_max_shrink_pixels = 120'000'000;
  unsigned convert_max_side = 4096;
  std::chrono::milliseconds convert_time{10'000};
  std::uint64_t convert_max_html = 2 * 1024 * 1024;
  unsigned convert_quality = 80;
  std::uint64_t convert_cache = 16 * 1024 * 1024;
  std::uint64_t convert_max_output = 64 * 1024 * 1024;
  unsigned convert_max_html_depth = 500;
  unsigned convert_wrap = 76;
  unsigned convert_max_replacement = 16;
  std::chrono::milliseconds convert_command_time{30'000};
  bool convert_isolate = true;
  std::uint64_t convert_memory = 1024ull * 1024 * 1024;
  bool short_autologout = false;

  // [submission] / [submissions] (RFC 6409; RFC 8314 implicit TLS).
  std::vector<std::string> submission_listen{"127.0.0.1:1587"};
  std::vector<std::string> submissions_listen{"127.0.0.1:1465"};
  std::uint64_t submission_max_message_size = 50 * 1024 * 1024;  // EHLO SIZE
  unsigned submission_max_recipients = 100;
  unsigned submission_max_messages = 100;  // per connection
  std::size_t submission_max_line_length = 4096;
  std::chrono::seconds submission_timeout{300};  // RFC 5321 §4.5.3.2.7
  // RFC 4468 BURL: the identity the submission server logs in to IMAP
  // servers as (one of imap.urlauth_submit_users), and the other IMAP
  // servers it may fetch from ("imap.example.org=192.0.2.1:143"); URLs of
  // server.hostname go to the first imap.listen address.
  std::string burl_user;
  std::string burl_password;
  std::vector<std::string> burl_servers;
  // [relay]: where mail for other domains goes (a smarthost; no MX
  // delivery yet). Empty: such recipients are refused at RCPT.
  std::string relay_smarthost;
  std::string relay_user;
  std::string relay_password;
  std::string relay_tls = "require";  // "require", "try" or "none"
  bool relay_tls_verify = true;
  std::filesystem::path relay_tls_ca_file;
  bool relay_mx = true;
  std::map<std::string, std::vector<std::string>> aliases;  // lower-case "local" or "local@domain" -> targets
  unsigned queue_workers = 4;
  unsigned queue_destination_concurrency = 2;
  std::chrono::seconds queue_lifetime{5 * 24 * 3600};
  std::chrono::seconds queue_delay_warning{4 * 3600};
  std::uint64_t max_account_size = 0;
  bool detail_mailbox = true;
  std::vector<std::string> relay_dns_servers;
  unsigned relay_mx_port = 25;
  // [lmtp] (RFC 2033): delivery from an MTA.
  std::vector<std::string> lmtp_listen{"127.0.0.1:1024"};
  std::filesystem::path lmtp_socket;
  std::string lmtp_socket_mode = "0660";
  // Messages per LMTP connection; 0: no limit. An MTA keeps its LMTP
  // connection open for as long as it has mail (Postfix reuses it without
  // a count limit by default), so submission.max_messages does not apply.
  unsigned lmtp_max_messages = 0;

  // [tls]; empty paths: DATA_DIR/tls/{cert,key}.pem, self-signed on first run.
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;

  // [auth]
  plaintext_policy plaintext = plaintext_policy::loopback;
  std::chrono::milliseconds auth_failure_delay{500};
  unsigned auth_max_failures = 10;  // per client address, in auth_failure_window
  std::chrono::seconds auth_failure_window{600};
  std::chrono::seconds auth_lockout{300};
  unsigned long long argon2_opslimit = 2;
  std::size_t argon2_memlimit = 19 * 1024 * 1024;
  unsigned scram_iterations = 4096;
  std::chrono::seconds auth_cache_ttl{3600};  // verified passwords; 0 disables
  std::string proxy_separator = "+";          // "alice+label" logs in as a proxy identity
  std::filesystem::path master_key_file;      // device keys are wrapped under it; empty: DATA_DIR/master.key
  unsigned auth_cache_size = 10000;
  // S/MIME (draft-maes-lemonade-xencrypted-02 §3.2): certificates a user
  // may provision for CONVERT to application/pkcs7-mime.
  unsigned smime_max_certificates = 8;
  std::chrono::seconds pairing_code_lifetime{600};  // one-time codes for a device key
  unsigned max_pairing_codes = 8;                   // unredeemed, per user

  // [proxy] `lemonade proxy` (src/proxy): its listeners and the IMAP
  // server behind it.
  std::vector<std::string> proxy_listen;
  std::vector<std::string> proxy_tls_listen;
  std::string proxy_backend;                    // imap://host:port or imaps://host:port, comma-separated
  std::filesystem::path proxy_routes;           // a backend route per user or domain (proxy/routes.hpp)
  std::filesystem::path proxy_backend_ca;       // PEM; empty: the system's CAs
  std::chrono::seconds proxy_connect_timeout{30};
  // Sessions of `lemonade proxy` at once from one client address, and on
  // one backend (past it, a route's next backend; then NO [UNAVAILABLE]).
  unsigned proxy_max_per_address = 100;
  unsigned proxy_max_per_backend = 5000;
  // A backend that could not be reached goes last in its routes this long.
  std::chrono::seconds proxy_backend_retry{30};
  // How long the CONDSTORE cache's expunge log keeps an expunge (0: for ever).
  std::chrono::seconds proxy_expunge_log_keep{30 * 24 * 3600};
  // Mediated sessions (a backend without IDLE, ESEARCH or CONDSTORE; proxy/mediator):
  // the longest a backend may take over one response, and how often an
  // IDLE the proxy answers itself asks the backend for news (NOOP).
  std::chrono::seconds proxy_backend_timeout{120};
  std::chrono::seconds proxy_poll_interval{15};
  // and whether it synthesises CONDSTORE (proxy/modseq_cache.hpp).
  bool proxy_condstore = true;
  // and the names it marks with SPECIAL-USE attributes (mediator.hpp).
  std::vector<std::string> proxy_special_use{"Drafts=Drafts", "Sent=Sent,Sent Items,Sent Messages",
                                             "Trash=Trash,Deleted Items,Deleted Messages",
                                             "Junk=Junk,Spam,Junk E-mail", "Archive=Archive"};

  // [limits]
  std::size_t max_line_length = 64 * 1024;        // command text, literals excluded
  std::size_t max_literal_size = 50 * 1024 * 1024;
  std::size_t max_command_size = 64 * 1024 * 1024;  // line plus all literals
  unsigned max_nesting_depth = 16;
  std::size_t max_mailbox_name_length = 1024;     // octets, UTF-8
  unsigned max_mailbox_depth = 32;
  unsigned max_mailboxes = 10000;
  std::uint64_t min_free_space = 64 << 20;  // kept free on the data directory's disk
  unsigned store_idle_connections = 256;
  std::chrono::milliseconds memory_trim_interval{5000};
  std::chrono::milliseconds store_idle_connection_time{5000};
  unsigned search_index_batch = 64;
  std::chrono::seconds blob_sweep_age{600};
  std::size_t inline_message_size = 64 * 1024;
  unsigned max_append_messages = 1000;            // messages in one MULTIAPPEND
  unsigned max_mime_depth = 32;                   // MIME nesting parsed
  unsigned max_mime_parts = 1000;                 // MIME parts parsed per message
  std::uint64_t max_indexed_text = 4 << 20;       // body text indexed per message
};

struct config_key_doc {
  std::string key;
  std::string default_value;
  std::string description;
};

// Reads data_dir/lemonade.toml (which must exist) and applies overrides of
// the form ("imap.listen", "127.0.0.1:2143"). Throws config_error.
config load_config(const std::filesystem::path& data_dir,
                   const std::vector<std::pair<std::string, std::string>>& overrides);

// The commented default config file written on first run.
std::string default_config_text();

// Every key, its default and meaning, in file order.
const std::vector<config_key_doc>& config_keys();

// Splits "key=value"; throws config_error when there is no '='.
std::pair<std::string, std::string> split_override(const std::string& arg);

}  // namespace lemonade::core
