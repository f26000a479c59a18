#include "core/config.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include <toml++/toml.h>

#include "core/strings.hpp"

namespace lemonade::core {
namespace {

[[noreturn]] void bad(const std::string& key, const std::string& what) {
  throw config_error(key + ": " + what);
}

std::string as_string(const toml::node& n, const std::string& key) {
  if (auto s = n.value<std::string>()) return *s;
  bad(key, "expected a string");
}

std::uint64_t as_uint(const toml::node& n, const std::string& key) {
  if (auto v = n.value<std::int64_t>(); v && *v >= 0) return static_cast<std::uint64_t>(*v);
  if (auto s = n.value<std::string>())
    if (auto v = parse_uint(*s)) return *v;
  bad(key, "expected a non-negative integer");
}

std::uint64_t as_size(const toml::node& n, const std::string& key) {
  if (auto v = n.value<std::int64_t>(); v && *v >= 0) return static_cast<std::uint64_t>(*v);
  if (auto s = n.value<std::string>())
    if (auto v = parse_size(*s)) return *v;
  bad(key, "expected a size such as 65536, \"64KB\" or \"50MB\"");
}

// Integers are seconds; strings take a unit: "500ms", "30s", "5m", "2h".
std::chrono::milliseconds as_duration(const toml::node& n, const std::string& key) {
  if (auto v = n.value<std::int64_t>(); v && *v >= 0) return std::chrono::seconds(*v);
  if (auto s = n.value<std::string>()) {
    std::size_t d = 0;
    while (d < s->size() && (*s)[d] >= '0' && (*s)[d] <= '9') ++d;
    if (auto v = parse_uint(s->substr(0, d), 1ull << 40)) {
      auto unit = s->substr(d);
      if (unit == "ms") return std::chrono::milliseconds(*v);
      if (unit == "s" || unit.empty()) return std::chrono::seconds(*v);
      if (unit == "m") return std::chrono::minutes(*v);
      if (unit == "h") return std::chrono::hours(*v);
      if (unit == "d") return std::chrono::hours(24 * *v);
    }
  }
  bad(key, "expected a duration such as 30 (seconds), \"500ms\", \"5m\", \"2h\" or \"5d\"");
}

std::vector<std::string> as_string_list(const toml::node& n, const std::string& key) {
  std::vector<std::string> out;
  if (auto s = n.value<std::string>()) {
    // A single string is a one-element list; "" is the empty list, so
    // `-o imaps.listen=` turns a listener off.
    if (!s->empty()) out.push_back(*s);
    return out;
  }
  if (auto* arr = n.as_array()) {
    for (auto& e : *arr) out.push_back(as_string(e, key));
    return out;
  }
  bad(key, "expected a string or a list of strings");
}

struct key_def {
  const char* key;
  const char* default_value;  // as written in the default file
  const char* description;
  void (*set)(config&, const toml::node&, const std::string&);
};

template <auto M>
void set_string(config& c, const toml::node& n, const std::string& k) { c.*M = as_string(n, k); }
template <auto M>
void set_path(config& c, const toml::node& n, const std::string& k) { c.*M = as_string(n, k); }
template <auto M>
void set_list(config& c, const toml::node& n, const std::string& k) { c.*M = as_string_list(n, k); }
template <auto M>
void set_unsigned(config& c, const toml::node& n, const std::string& k) {
  auto v = as_uint(n, k);
  if (v > UINT32_MAX) bad(k, "too large");
  c.*M = static_cast<unsigned>(v);
}
template <auto M>
void set_u64(config& c, const toml::node& n, const std::string& k) { c.*M = as_uint(n, k); }
void set_aliases(config& c, const toml::node& n, const std::string& k) {
  auto* t = n.as_table();
  if (!t) bad(k, "expected a table such as { postmaster = \"alice\", team = [\"alice\", \"bob\"] }");
  c.aliases.clear();
  for (auto&& [name, target] : *t) {
    auto where = k + "." + std::string(name.str());
    std::vector<std::string> targets;
    if (auto* list = target.as_array()) {
      for (auto&& item : *list) {
        auto v = item.value<std::string>();
        if (!v || v->empty()) bad(where, "expected accounts (or local addresses), each a non-empty string");
        if (std::find(targets.begin(), targets.end(), *v) == targets.end()) targets.push_back(*v);
      }
      if (targets.empty()) bad(where, "an empty list delivers nowhere");
    } else {
      auto v = target.value<std::string>();
      if (!v || v->empty()) bad(where, "expected the account (or local address) it delivers to, or a list of them");
      targets.push_back(*v);
    }
    c.aliases[to_lower(name.str())] = std::move(targets);
  }
}
void set_bindings(config& c, const toml::node& n, const std::string& k) {
  auto v = as_string_list(n, k);
  for (auto& b : v)
    if (b != "imap" && b != "submission") bad(k, "expected a list of \"imap\" and \"submission\"");
  c.https_bindings = std::move(v);
}
void set_port_number(config& c, const toml::node& n, const std::string& k) {
  auto v = as_uint(n, k);
  if (v == 0 || v > 65535) bad(k, "expected a port number, 1 to 65535");
  c.relay_mx_port = static_cast<unsigned>(v);
}
void set_relay_tls(config& c, const toml::node& n, const std::string& k) {
  auto v = as_string(n, k);
  if (v != "require" && v != "try" && v != "none") bad(k, "expected \"require\", \"try\" or \"none\"");
  c.relay_tls = v;
}

template <auto M>
void set_bool(config& c, const toml::node& n, const std::string& k) {
  auto v = n.value<bool>();
  if (!v) bad(k, "expected true or false");
  c.*M = *v;
}
template <auto M>
void set_size(config& c, const toml::node& n, const std::string& k) { c.*M = as_size(n, k); }
template <auto M>
void set_seconds(config& c, const toml::node& n, const std::string& k) {
  c.*M = std::chrono::duration_cast<std::chrono::seconds>(as_duration(n, k));
}
template <auto M>
void set_millis(config& c, const toml::node& n, const std::string& k) { c.*M = as_duration(n, k); }
template <auto M>
void set_micros(config& c, const toml::node& n, const std::string& k) {
  c.*M = std::chrono::duration_cast<std::chrono::microseconds>(as_duration(n, k));
}

void set_log_level(config& c, const toml::node& n, const std::string& k) {
  auto v = to_lower(as_string(n, k));
  if (v != "trace" && v != "debug" && v != "info" && v != "warn" && v != "error" && v != "off")
    bad(k, "expected one of trace, debug, info, warn, error, off");
  c.log_level = v;
}
void set_literal(config& c, const toml::node& n, const std::string& k) {
  auto v = to_lower(as_string(n, k));
  if (v == "plus") c.literal = literal_mode::plus;
  else if (v == "minus") c.literal = literal_mode::minus;
  else bad(k, "expected \"plus\" or \"minus\"");
}
void set_plaintext(config& c, const toml::node& n, const std::string& k) {
  auto v = to_lower(as_string(n, k));
  if (v == "never") c.plaintext = plaintext_policy::never;
  else if (v == "loopback") c.plaintext = plaintext_policy::loopback;
  else if (v == "always") c.plaintext = plaintext_policy::always;
  else bad(k, "expected \"never\", \"loopback\" or \"always\"");
}
void set_argon2_ops(config& c, const toml::node& n, const std::string& k) {
  c.argon2_opslimit = as_uint(n, k);
  if (c.argon2_opslimit < 1) bad(k, "must be at least 1");
}

const key_def key_defs[] = {
  {"log.level", "\"info\"", "trace, debug, info, warn, error or off", set_log_level},
  {"log.file", "\"\"", "log file; empty logs to standard error", set_string<&config::log_file>},

  {"server.network_threads", "0", "network threads; 0 means one per core", set_unsigned<&config::network_threads>},
  {"server.storage_threads", "4", "threads for store writes, and as many again for store reads", set_unsigned<&config::storage_threads>},
  {"server.delivery_threads", "8", "threads that write the mail LMTP and submission take in (deliveries and the queue), apart from IMAP's store writes; each waits for its fsync, so a burst of deliveries to many accounts keeps the disk busier with more of them", set_unsigned<&config::delivery_threads>},
  {"server.inline_read_budget", "\"10ms\"", "a quick store read (a page of FETCH, STATUS, LIST, a mail recipient's account) runs on the network thread instead of the read pool, saving two thread switches; one that takes longer than this sends them all to the pool for a second, so a slow disk cannot stall the network threads; 0 always uses the pool", set_micros<&config::inline_read_budget>},
  {"server.max_connections", "10000", "connections served at once; more are refused with * BYE", set_unsigned<&config::max_connections>},
  {"server.shutdown_grace", "10", "seconds SIGTERM waits for in-flight commands", set_seconds<&config::shutdown_grace>},
  {"server.hostname", "\"localhost\"", "name in greetings and certificates", set_string<&config::hostname>},
  {"server.user_check_interval", "\"1s\"", "how often the server looks for users deleted by `lemonade user del` while it runs; their sessions get * BYE and close (adding a user or changing a password needs no wait); 0 never looks", set_millis<&config::user_check_interval>},
  {"server.keep_accounts_open", "32", "accounts kept open after their last session ends, most recently used first, so a client that reconnects finds its big mailboxes cached; 0 closes an account with its last session", set_unsigned<&config::keep_accounts_open>},

  {"server.domains", "[\"localhost\"]", "mail domains of this server: account NAME receives mail for NAME@DOMAIN (and NAME+DETAIL@DOMAIN) for each; an account named as a full address receives exactly that address", set_list<&config::domains>},
  {"server.aliases", "{}", "addresses delivered to an account, which may also send as them: { postmaster = \"alice\" } (that local part at every server.domains domain), { \"sales@example.org\" = \"bob\" } (exactly that address); the target is an account name or one of its addresses, +detail included; a list of two or more ({ team = [\"alice\", \"bob\"] }) delivers a copy to each and is no one's sender address", set_aliases},
  {"server.detail_mailbox", "true", "mail for NAME+DETAIL@DOMAIN goes into NAME's mailbox DETAIL when it exists (else INBOX); false: always INBOX", set_bool<&config::detail_mailbox>},
  {"server.memory_trim_interval", "\"5s\"", "how often freed memory is handed back to the system (malloc_trim); 0 never", set_millis<&config::memory_trim_interval>},

  {"store.idle_connections", "256", "database connections kept open for reuse, over all accounts, so the accounts in use find theirs warm (an account whose sessions are all idle holds none after store.idle_connection_time); each costs up to its page cache, given back to the system once it closes (SQLite has an allocator of its own); 16 halves the throughput of twenty busy accounts", set_unsigned<&config::store_idle_connections>},
  {"store.search_index_batch", "64", "messages an account's SEARCH index takes in (or lets go) at a time, in the background once this many wait; a text SEARCH first brings its mailbox's index up to date. Batches cost less per message (FTS5 writes one segment per batch): at 64, in the population benchmark's mix, the index took 4 % of the server's CPU; 0 indexes only when a SEARCH needs it", set_unsigned<&config::search_index_batch>},
  {"store.blob_sweep_age", "\"10m\"", "a message file no message refers to (left by a crash or a failed APPEND) is deleted once it is this old, when its account is first opened after a start; younger ones may belong to an APPEND in progress", set_seconds<&config::blob_sweep_age>},
  {"store.inline_message_size", "\"64KB\"", "messages up to this size are kept in the account's database, written with the commit that stores them (one fsync, no file to create, sync and later delete); larger ones are files of their own under the account's blobs/ directory. 0 keeps every message in a file", set_size<&config::inline_message_size>},
  {"store.idle_connection_time", "\"5s\"", "a database connection unused this long is closed, so an account whose sessions are all idle holds none", set_millis<&config::store_idle_connection_time>},

  {"imap.urlauth_submit_users", "[]", "users whose sessions may fetch (URLFETCH) the URLs made for \"submit+NAME\" (RFC 4467): the submission server's identities", set_list<&config::urlauth_submit_users>},
  {"imap.binary_size_cache", "4096", "decoded sizes of large body parts (FETCH BINARY.SIZE, RFC 3516) remembered server-wide, so a part is decoded once to learn its size, not at every FETCH; 0 remembers none", set_unsigned<&config::binary_size_cache>},
  {"imap.listen", "[\"127.0.0.1:1143\"]", "IMAP with STARTTLS: list of host:port ([::1]:port for IPv6); [] disables", set_list<&config::imap_listen>},
  {"imap.literal", "\"plus\"", "non-synchronizing literals: \"plus\" (RFC 7888 LITERAL+) or \"minus\" (LITERAL-, at most 4096 octets)", set_literal},
  {"imap.timeout_unauthenticated", "60", "seconds before an idle connection that has not logged in is closed", set_seconds<&config::timeout_unauthenticated>},
  {"imap.timeout_authenticated", "1800", "autologout: seconds of client silence after login (RFC 3501 §5.4: at least 30 minutes)", set_seconds<&config::timeout_authenticated>},
  {"imap.short_autologout", "false", "allow imap.timeout_authenticated below RFC 3501's 30 minutes (tests; not for service)", set_bool<&config::short_autologout>},
  {"imap.idle_keepalive", "120", "seconds between \"* OK Still here\" keepalives during IDLE, so NAT bindings of mobile clients stay open (none over the HTTPS bindings, whose learned pings do that)", set_seconds<&config::idle_keepalive>},
  {"imap.notify_queue_limit", "10000", "NOTIFY events (a change of n messages counts n) a session may have waiting; beyond, it gets [NOTIFICATIONOVERFLOW] and NOTIFY is off (RFC 5465 §5.8)", set_unsigned<&config::notify_queue_limit>},
  {"imap.compress", "true", "offer COMPRESS=DEFLATE (RFC 4978) after login: both directions compressed with zlib, above TLS", set_bool<&config::compress>},
  {"imap.compress_level", "6", "DEFLATE level of what the server sends, 1 (least CPU) to 9 (fewest octets)", set_unsigned<&config::compress_level>},
  {"imap.compress_window_bits", "13", "history the server's compressor refers back into, 2^n octets (9 to 15): more finds more repeats, and a compressed connection keeps that much while idle", set_unsigned<&config::compress_window_bits>},
  {"imap.compress_mem_level", "6", "memory of the server's compressor while it works, 1 to 9 (zlib's memLevel: 2^(n+8) octets of hash table and as many of pending output)", set_unsigned<&config::compress_mem_level>},
  {"imap.compress_release", "\"2s\"", "a compressed connection waiting this long for its client frees its DEFLATE working memory (about 110 KB at the defaults), keeping only the history each side may refer back to; rebuilt at the next command or event. 0 frees it whenever the connection waits", set_millis<&config::compress_release>},
  {"imap.metadata_max_value", "\"64KB\"", "largest METADATA entry value (RFC 5464; at least 1KB); SETMETADATA of a bigger one gets NO [METADATA MAXSIZE n]", set_size<&config::metadata_max_value>},
  {"imap.metadata_max_entries", "100", "METADATA entries a mailbox (or the server, per user) may hold (RFC 5464: at least 10); more gets NO [METADATA TOOMANY]", set_unsigned<&config::metadata_max_entries>},
  {"imap.metadata_admin", "\"\"", "the server's /shared/admin METADATA entry, a URI for contacting its administrator (RFC 5464 §3.2.1.1); empty: mailto:postmaster@ server.hostname", set_string<&config::metadata_admin>},
  {"imap.metadata_comment", "\"\"", "the server's /shared/comment METADATA entry; empty: none", set_string<&config::metadata_comment>},
  {"imap.convert", "true", "offer CONVERT (RFC 5259): body parts converted on the server (charsets, HTML to text, images scaled by libvips); advertised only when those conversions work", set_bool<&config::convert>},
  {"imap.convert_threads", "1", "threads that run conversions, apart from the network and storage threads", set_unsigned<&config::convert_threads>},
  {"imap.convert_max_messages", "20", "messages one CONVERT may name; more gets NO [MAXCONVERTMESSAGES n] (RFC 5259 §8.5)", set_unsigned<&config::convert_max_messages>},
  {"imap.convert_max_parts", "4", "body parts of a message one CONVERT may convert; more gets NO [MAXCONVERTPARTS n] (RFC 5259 §8.5)", set_unsigned<&config::convert_max_parts>},
  {"imap.convert_max_input", "\"32MB\"", "largest body part (decoded) CONVERT converts; a larger one gets ERROR BADPARAMETERS", set_size<&config::convert_max_input>},
  {"imap.convert_max_decode_pixels", "25000000", "pixels of an image decoded whole (PNG, GIF, TIFF) CONVERT accepts, read from its header before decoding", set_u64<&config::convert_max_decode_pixels>},
  {"imap.convert_max_shrink_pixels", "120000000", "pixels of an image that shrinks while it loads (JPEG, WebP, HEIF) CONVERT accepts", set_u64<&config::convert_max_shrink_pixels>},
  {"imap.convert_max_side", "4096", "widest and highest image CONVERT makes, in pixels", set_unsigned<&config::convert_max_side>},
  {"imap.convert_time", "\"10s\"", "longest one image conversion may run; then it is stopped (ERROR BADPARAMETERS)", set_millis<&config::convert_time>},
  {"imap.convert_max_html", "\"2MB\"", "largest HTML document CONVERT makes text of", set_size<&config::convert_max_html>},
  {"imap.convert_quality", "80", "JPEG and WebP quality of converted images, 1 to 100", set_unsigned<&config::convert_quality>},
  {"imap.convert_max_output", "\"64MB\"", "largest converted part CONVERT sends (text in UTF-32 is four times its UTF-8); larger gets ERROR BADPARAMETERS", set_size<&config::convert_max_output>},
  {"imap.convert_max_html_depth", "500", "deepest nesting of HTML elements CONVERT makes text of (the HTML parser's time grows with size times depth); deeper gets ERROR BADPARAMETERS", set_unsigned<&config::convert_max_html_depth>},
  {"imap.convert_wrap", "76", "line width of the format=flowed text CONVERT makes of HTML (RFC 3676); 0: no wrapping", set_unsigned<&config::convert_wrap>},
  {"imap.convert_max_replacement", "16", "longest unknown-character-replacement CONVERT takes (RFC 5259 §12.1), octets", set_unsigned<&config::convert_max_replacement>},
  {"imap.convert_command_time", "\"30s\"", "longest one CONVERT command converts; messages left then get NO [TEMPFAIL]", set_millis<&config::convert_command_time>},
  {"imap.convert_isolate", "true", "run conversions in worker processes of their own (RFC 5259 §13): a decoder that crashes or runs away ends one worker, never the server; false runs them in the server", set_bool<&config::convert_isolate>},
  {"imap.convert_memory", "\"1GB\"", "address space of each conversion worker process (RLIMIT_AS); a conversion needing more fails with ERROR TEMPFAIL. 0: no limit", set_size<&config::convert_memory>},
  {"imap.convert_cache", "\"16MB\"", "converted parts kept per account (RFC 5259 §8.5), so a second device asking the same thumbnail costs no conversion; the least recently used go first; 0 keeps none", set_size<&config::convert_cache>},
  {"imaps.listen", "[\"127.0.0.1:1993\"]", "IMAP over TLS: list of host:port; [] disables", set_list<&config::imaps_listen>},
  {"https.listen", "[]", "HTTPS for device key provisioning (docs/xencrypted.md) and the IMAP and submission bindings (docs/http-binding.md): list of host:port; [] disables", set_list<&config::https_listen>},
  {"https.max_request_size", "\"16KB\"", "largest HTTPS request (headers excluded, at most 8 KB); larger gets 413", set_size<&config::https_max_request_size>},
  {"https.bindings", "[\"imap\", \"submission\"]", "protocols the HTTPS listener carries over WebSocket and long polling (docs/http-binding.md): \"imap\" at /imap, \"submission\" at /submission", set_bindings},
  {"https.resume_grace", "1800", "seconds a resumable binding session (docs/http-binding.md) waits for its client to reconnect after the connection is lost", set_seconds<&config::https_resume_grace>},
  {"https.resume_window", "\"1MB\"", "octets (at least 16KB) a resumable binding session keeps until the client acknowledges them; the session waits when they fill", set_size<&config::https_resume_window>},
  {"https.max_parked", "10000", "resumable binding sessions that may wait for their clients at once; past it a lost connection ends its session", set_unsigned<&config::https_max_parked>},
  {"https.max_parked_per_user", "16", "resumable binding sessions of one user that may wait at once; past it that user's lost connection ends its session", set_unsigned<&config::https_max_parked_per_user>},
  {"https.keepalive_min", "\"20s\"", "shortest quiet period between WebSocket keepalive pings; the server learns each user's path (docs/http-binding.md) between this and https.keepalive_max", set_millis<&config::https_keepalive_min>},
  {"https.keepalive_max", "\"28m\"", "longest quiet period before a WebSocket keepalive ping, where a path has not yet shown a shorter limit", set_millis<&config::https_keepalive_max>},
  {"https.pong_timeout", "\"10s\"", "how long a WebSocket keepalive ping waits for its pong before the connection counts as lost", set_millis<&config::https_pong_timeout>},
  {"https.hold_start", "\"25s\"", "how long a long-poll GET (docs/http-binding.md) waits for the session's output before it is answered empty, until the client's path is learned", set_millis<&config::https_hold_start>},
  {"https.hold_max", "\"110s\"", "longest a long-poll GET waits for output, however long the client's path is learned to survive", set_millis<&config::https_hold_max>},
  {"https.poll_answer_max", "\"256KB\"", "most octets of the session's output one long-poll GET is answered with (at least 1KB); the next GET takes the rest", set_size<&config::https_poll_answer_max>},
  {"https.max_poll_per_address", "64", "long-poll sessions (docs/http-binding.md) one client address may have at once; more get 429", set_unsigned<&config::https_max_poll_per_address>},
  {"proxy.listen", "[]", "IMAP listeners (STARTTLS offered) of `lemonade proxy`: list of host:port", set_list<&config::proxy_listen>},
  {"proxy.tls_listen", "[]", "IMAP-over-TLS listeners of `lemonade proxy`: list of host:port", set_list<&config::proxy_tls_listen>},
  {"proxy.backend", "\"\"", "the IMAP server `lemonade proxy` logs its clients in to: imap://host:port, or imaps://host:port (TLS, its certificate checked); several, comma-separated, are tried in turn when one cannot be reached (never once it was sent the password)", set_string<&config::proxy_backend>},
  {"proxy.routes", "\"\"", "file of routes, a line each: a user (or @domain) and its backends as in proxy.backend; read again when it changes; empty: every user goes to proxy.backend", set_path<&config::proxy_routes>},
  {"proxy.backend_ca", "\"\"", "PEM file of the certificate authorities an imaps:// backend is checked against; empty uses the system's", set_path<&config::proxy_backend_ca>},
  {"proxy.connect_timeout", "30", "seconds `lemonade proxy` waits for its backend to connect and answer each step of a login", set_seconds<&config::proxy_connect_timeout>},
  {"proxy.max_per_address", "100", "sessions `lemonade proxy` serves at once from one client address; more are refused with * BYE [UNAVAILABLE]", set_unsigned<&config::proxy_max_per_address>},
  {"proxy.max_per_backend", "5000", "sessions `lemonade proxy` keeps on one backend at once; past it a login goes to the route's next backend, or gets NO [UNAVAILABLE]", set_unsigned<&config::proxy_max_per_backend>},
  {"proxy.backend_retry", "30", "seconds a backend `lemonade proxy` could not reach is tried after the other backends of its routes (a dead one then costs no proxy.connect_timeout while another answers)", set_seconds<&config::proxy_backend_retry>},
  {"proxy.backend_timeout", "120", "seconds a backend may take over one response in a mediated session (a backend without IDLE or ESEARCH) before the client gets * BYE [UNAVAILABLE]", set_seconds<&config::proxy_backend_timeout>},
  {"proxy.poll_interval", "15", "seconds between the NOOPs `lemonade proxy` sends a backend without IDLE while its client idles (the push latency)", set_seconds<&config::proxy_poll_interval>},
  {"proxy.special_use", "[\"Drafts=Drafts\", \"Sent=Sent,Sent Items,Sent Messages\", \"Trash=Trash,Deleted Items,Deleted Messages\", \"Junk=Junk,Spam,Junk E-mail\", \"Archive=Archive\"]", "names a mediated session marks with RFC 6154 SPECIAL-USE attributes in LIST, for a backend without SPECIAL-USE: list of \"Use=Name,Name...\" (Use one of All, Archive, Drafts, Flagged, Junk, Sent, Trash; a name also matches under INBOX and its delimiter); [] offers no SPECIAL-USE", set_list<&config::proxy_special_use>},
  {"proxy.condstore", "true", "a mediated session in front of a backend without CONDSTORE keeps MODSEQs itself (RFC 7162, in data_dir/proxy-modseq.sqlite) and offers CONDSTORE and QRESYNC; each SELECT then fetches every message's flags", set_bool<&config::proxy_condstore>},
  {"proxy.expunge_log_keep", "\"30d\"", "how long `lemonade proxy`'s CONDSTORE cache remembers an expunge for QRESYNC's VANISHED; a client resynchronising from before that gets every UID it names that is gone (RFC 7162 allows the superset); 0 keeps them for ever", set_seconds<&config::proxy_expunge_log_keep>},

  {"submission.listen", "[\"127.0.0.1:1587\"]", "message submission with STARTTLS (RFC 6409): list of host:port; [] disables", set_list<&config::submission_listen>},
  {"submission.max_message_size", "\"50MB\"", "largest message accepted (advertised as SIZE, RFC 1870); larger gets 552 5.3.4", set_size<&config::submission_max_message_size>},
  {"submission.max_recipients", "100", "recipients per message; more get 452 4.5.3 (RFC 5321 §4.5.3.1.8: at least 100)", set_unsigned<&config::submission_max_recipients>},
  {"submission.max_messages", "100", "messages per connection; a MAIL past it gets 452 4.5.3 (the client reconnects to send more); 0: no limit", set_unsigned<&config::submission_max_messages>},
  {"submission.max_line_length", "\"4KB\"", "longest command line (RFC 5321 §4.5.3.1.4: at least 512); longer gets 500 5.5.6", set_size<&config::submission_max_line_length>},
  {"submission.timeout", "300", "seconds the server waits for the client's next command or data (RFC 5321 §4.5.3.2.7: at least 5 minutes)", set_seconds<&config::submission_timeout>},
  {"submission.burl_user", "\"\"", "BURL (RFC 4468): the account the submission server logs in to IMAP as to fetch URLs (URLFETCH); it must be listed in imap.urlauth_submit_users. Empty: BURL is not offered", set_string<&config::burl_user>},
  {"submission.burl_password", "\"\"", "the password of submission.burl_user", set_string<&config::burl_password>},
  {"submission.burl_servers", "[]", "IMAP servers other than this one whose URLs BURL may fetch, as \"host=address:port\" (host as the URLs name it; STARTTLS when offered); URLs of any other host are refused", set_list<&config::burl_servers>},
  {"submissions.listen", "[\"127.0.0.1:1465\"]", "message submission over TLS (RFC 8314): list of host:port; [] disables", set_list<&config::submissions_listen>},
  {"relay.smarthost", "\"\"", "host:port of the server that takes mail for other domains (as Postfix's relayhost); empty: each domain's MX hosts (relay.mx)", set_string<&config::relay_smarthost>},
  {"relay.user", "\"\"", "AUTH PLAIN user at the smarthost; empty: no AUTH", set_string<&config::relay_user>},
  {"relay.password", "\"\"", "the password of relay.user", set_string<&config::relay_password>},
  {"relay.tls", "\"require\"", "STARTTLS to the smarthost: \"require\" (mail waits in the queue until it is offered), \"try\" (when offered) or \"none\"", set_relay_tls},
  {"relay.tls_verify", "true", "check the smarthost's certificate (its chain, and the name or IP address of relay.smarthost); a bad one keeps the mail queued (451 4.7.5). MX hosts are not checked (opportunistic TLS, RFC 7435)", set_bool<&config::relay_tls_verify>},
  {"relay.tls_ca_file", "\"\"", "PEM file of the CAs relay.tls_verify trusts; empty: the system's (/etc/ssl/certs)", set_path<&config::relay_tls_ca_file>},
  {"relay.mx", "true", "without relay.smarthost, deliver mail for other domains to their MX hosts (RFC 5321 §5.1) with STARTTLS where offered; false: such recipients are refused at RCPT", set_bool<&config::relay_mx>},
  {"relay.dns_servers", "[]", "DNS servers for MX lookups, \"ip\" or \"ip:port\"; [] uses /etc/resolv.conf", set_list<&config::relay_dns_servers>},
  {"relay.mx_port", "25", "the port of MX hosts (25; another only to test against a server of one's own)", set_port_number},
  {"queue.workers", "4", "deliveries from the outbound queue in progress at once (local and remote)", set_unsigned<&config::queue_workers>},
  {"queue.destination_concurrency", "2", "of those, to one recipient domain at once, so a slow or dead destination holds no more workers than this", set_unsigned<&config::queue_destination_concurrency>},
  {"queue.lifetime", "\"5d\"", "how long a message may wait for a recipient that keeps failing temporarily (retries after 1, 5, 15, 30 minutes, then hourly); then it fails and the sender gets a report (RFC 5321 §4.5.4.1: 4-5 days)", set_seconds<&config::queue_lifetime>},
  {"queue.delay_warning", "\"4h\"", "a recipient still being retried this long after the message arrived gets the sender one \"delayed\" report (RFC 3464; NOTIFY=DELAY, or no NOTIFY); 0: never", set_seconds<&config::queue_delay_warning>},
  {"lmtp.listen", "[\"127.0.0.1:1024\"]", "LMTP (RFC 2033), delivery from an MTA such as Postfix into the accounts' mailboxes: list of host:port; [] disables. No authentication: listen only where the MTA alone can connect", set_list<&config::lmtp_listen>},
  {"lmtp.socket", "\"\"", "LMTP also on this Unix domain socket (Postfix: mailbox_transport = lmtp:unix:/path); empty: none", set_path<&config::lmtp_socket>},
  {"lmtp.socket_mode", "\"0660\"", "permission bits of lmtp.socket, in octal: the MTA's user must be able to write to it", set_string<&config::lmtp_socket_mode>},
  {"lmtp.max_messages", "0", "messages per LMTP connection; a MAIL past it gets 452 4.5.3. 0: no limit (an MTA such as Postfix keeps its LMTP connection for as long as it has mail; submission.max_messages does not apply to LMTP)", set_unsigned<&config::lmtp_max_messages>},

  {"tls.cert", "\"\"", "PEM certificate chain; empty uses DATA_DIR/tls/cert.pem, made self-signed on first run", set_path<&config::tls_cert>},
  {"tls.key", "\"\"", "PEM private key; empty uses DATA_DIR/tls/key.pem", set_path<&config::tls_key>},

  {"auth.plaintext", "\"loopback\"", "LOGIN and AUTHENTICATE PLAIN without TLS: \"never\", \"loopback\" (only from 127.0.0.0/8 and ::1) or \"always\"", set_plaintext},
  {"auth.failure_delay", "\"500ms\"", "delay before answering a failed login; doubles with each further failure from the same address", set_millis<&config::auth_failure_delay>},
  {"auth.max_failures", "10", "failed logins from one address within auth.failure_window before it is locked out", set_unsigned<&config::auth_max_failures>},
  {"auth.failure_window", "600", "seconds over which failures are counted", set_seconds<&config::auth_failure_window>},
  {"auth.lockout", "300", "seconds an address is refused after too many failures", set_seconds<&config::auth_lockout>},
  {"auth.argon2_opslimit", "2", "argon2id passes for new password hashes", set_argon2_ops},
  {"auth.argon2_memlimit", "\"19MB\"", "argon2id memory for new password hashes", set_size<&config::argon2_memlimit>},
  {"auth.scram_iterations", "4096", "PBKDF2 iterations for SCRAM-SHA-256 keys (RFC 7677: at least 4096)", set_unsigned<&config::scram_iterations>},
  {"auth.cache_ttl", "3600", "seconds a verified password is remembered, so a reconnecting client skips argon2id; failures are never cached; 0 disables", set_seconds<&config::auth_cache_ttl>},
  {"auth.proxy_separator", "\"+\"", "between a user name and a proxy identity's label in a login name (\"alice+phoneproxy\": `lemonade user proxy`), none of the characters user names may hold; empty: proxy identities cannot log in", set_string<&config::proxy_separator>},
  {"auth.master_key_file", "\"\"", "file of the key (64 hex digits) device keys of proxy deployments are kept under (`lemonade key`), made with the first key; empty uses DATA_DIR/master.key", set_path<&config::master_key_file>},
  {"auth.cache_size", "10000", "accounts whose verified password is remembered (least recently verified dropped first); 0 disables", set_unsigned<&config::auth_cache_size>},
  {"auth.smime_max_certificates", "8", "S/MIME certificates a user may provision (HTTPS /smime, `lemonade key cert`); CONVERT to application/pkcs7-mime envelopes for each of them", set_unsigned<&config::smime_max_certificates>},
  {"auth.pairing_code_lifetime", "600", "seconds a one-time pairing code (HTTPS /keys/pairing, `lemonade key pair`) may be redeemed for a device key", set_seconds<&config::pairing_code_lifetime>},
  {"auth.max_pairing_codes", "8", "unredeemed pairing codes a user may have at once", set_unsigned<&config::max_pairing_codes>},

  {"limits.max_line_length", "\"64KB\"", "longest command line, literals excluded; longer gets BAD [TOOBIG]", set_size<&config::max_line_length>},
  {"limits.max_literal_size", "\"50MB\"", "largest literal (and so message) accepted; larger gets NO [TOOBIG]", set_size<&config::max_literal_size>},
  {"limits.max_command_size", "\"64MB\"", "largest command including all its literals", set_size<&config::max_command_size>},
  {"limits.max_nesting_depth", "16", "deepest parenthesised list in a command", set_unsigned<&config::max_nesting_depth>},
  {"limits.max_mailbox_name_length", "1024", "longest mailbox name in octets of UTF-8", set_size<&config::max_mailbox_name_length>},
  {"limits.max_mailbox_depth", "32", "most hierarchy levels in a mailbox name", set_unsigned<&config::max_mailbox_depth>},
  {"limits.max_mailboxes", "10000", "mailboxes per account", set_unsigned<&config::max_mailboxes>},
  {"limits.min_free_space", "\"64MB\"", "disk space kept free on the data directory: below it APPEND and COPY get NO [OVERQUOTA], so that reading, flagging and deleting mail go on working on a full disk", set_size<&config::min_free_space>},
  {"limits.max_account_size", "0", "octets of mail one account may hold over all its mailboxes (a quota; e.g. \"2GB\"); over it APPEND and COPY get NO [OVERQUOTA], LMTP 452 4.2.2 (552 5.2.3 for a message bigger than the whole quota), already at RCPT when MAIL declared a SIZE= that does not fit or the account is full, and the queue retries; 0: no limit", set_size<&config::max_account_size>},
  {"limits.max_append_messages", "1000", "messages in one MULTIAPPEND command", set_unsigned<&config::max_append_messages>},
  {"limits.max_mime_depth", "32", "deepest multipart / message/rfc822 nesting parsed; deeper parts are described as opaque", set_unsigned<&config::max_mime_depth>},
  {"limits.max_mime_parts", "1000", "MIME parts parsed per message; the rest is described as one opaque part", set_unsigned<&config::max_mime_parts>},
  {"limits.max_indexed_text", "\"4MB\"", "decoded body text per message kept in the SEARCH index", set_size<&config::max_indexed_text>},
};

const key_def* find_key(std::string_view key) {
  for (auto& d : key_defs)
    if (key == d.key) return &d;
  return nullptr;
}

// Walks a parsed table and applies every leaf; unknown keys are errors so a
// typo never silently keeps a default.
void apply_table(config& c, const toml::table& t, const std::string& prefix) {
  for (auto&& [k, v] : t) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (auto* sub = v.as_table(); sub && !find_key(key)) {
      apply_table(c, *sub, key);
      continue;
    }
    auto* def = find_key(key);
    if (!def) throw config_error(key + ": unknown setting");
    def->set(c, v, key);
  }
}

// Parses an override value as a TOML value; anything that is not valid TOML
// is taken as a bare string, so `-o imap.listen=127.0.0.1:2143` works.
void apply_override(config& c, const std::string& key, const std::string& value) {
  auto* def = find_key(key);
  if (!def) throw config_error("-o " + key + ": unknown setting");
  try {
    auto parsed = toml::parse("v = " + value);
    if (auto* node = parsed.get("v")) {
      def->set(c, *node, key);
      return;
    }
  } catch (const toml::parse_error&) {
    // not TOML: a bare string
  }
  toml::value<std::string> s(value);
  def->set(c, s, key);
}

}  // namespace

std::pair<std::string, std::string> split_override(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    throw config_error("-o " + arg + ": expected key=value");
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

config load_config(const std::filesystem::path& data_dir,
                   const std::vector<std::pair<std::string, std::string>>& overrides) {
  config c;
  c.data_dir = data_dir;
  auto file = data_dir / "lemonade.toml";
  std::ifstream in(file);
  if (!in) throw config_error(file.string() + ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  toml::table table;
  try {
    table = toml::parse(text.str(), file.string());
  } catch (const toml::parse_error& e) {
    throw config_error(file.string() + ":" + std::to_string(e.source().begin.line) + ": " +
                       std::string(e.description()));
  }
  try {
    apply_table(c, table, "");
  } catch (const config_error& e) {
    throw config_error(file.string() + ": " + e.what());
  }
  for (auto& [k, v] : overrides) apply_override(c, k, v);

  if (c.scram_iterations < 4096) throw config_error("auth.scram_iterations: RFC 7677 requires at least 4096");
  if (c.timeout_authenticated < std::chrono::minutes(30) && !c.short_autologout)
    throw config_error("imap.timeout_authenticated: RFC 3501 §5.4 requires at least 30 minutes (see imap.short_autologout)");
  if (c.idle_keepalive < std::chrono::seconds(1)) throw config_error("imap.idle_keepalive: at least 1 second");
  if (c.compress_level < 1 || c.compress_level > 9) throw config_error("imap.compress_level: 1 to 9");
  if (c.compress_window_bits < 9 || c.compress_window_bits > 15)
    throw config_error("imap.compress_window_bits: 9 to 15");
  if (c.compress_mem_level < 1 || c.compress_mem_level > 9) throw config_error("imap.compress_mem_level: 1 to 9");
  if (c.convert_quality < 1 || c.convert_quality > 100) throw config_error("imap.convert_quality: 1 to 100");
  if (c.convert_threads < 1) throw config_error("imap.convert_threads: at least 1");
  if (c.convert_max_messages < 1 || c.convert_max_parts < 1)
    throw config_error("imap.convert_max_messages, imap.convert_max_parts: at least 1");
  if (c.convert_max_side < 1 || c.convert_max_side > 65535) throw config_error("imap.convert_max_side: 1 to 65535");
  // A part and a result travel to and from the conversion worker as one
  // frame each (convert/worker.cpp).
  if (c.convert_max_input > (512u << 20) || c.convert_max_output > (512u << 20))
    throw config_error("imap.convert_max_input, imap.convert_max_output: at most 512MB");
  // RFC 5464 §4.1: "at least 1024 bytes, and an annotation count per
  // server or mailbox of at least 10".
  if (c.metadata_max_value < 1024) throw config_error("imap.metadata_max_value: at least 1KB (RFC 5464 §4.1)");
  if (c.metadata_max_entries < 10) throw config_error("imap.metadata_max_entries: at least 10 (RFC 5464 §4.1)");
  if (c.max_line_length < 1024) throw config_error("limits.max_line_length: at least 1KB");
  if (c.submission_max_line_length < 512)
    throw config_error("submission.max_line_length: must be at least 512 (RFC 5321 §4.5.3.1.4)");
  if (c.max_command_size < c.max_literal_size)
    throw config_error("limits.max_command_size: must be at least limits.max_literal_size");
  if (c.max_mime_depth < 1 || c.max_mime_depth > 256) throw config_error("limits.max_mime_depth: 1 to 256");
  if (c.max_mime_parts < 1) throw config_error("limits.max_mime_parts: at least 1");
  if (c.storage_threads < 1) throw config_error("server.storage_threads: at least 1");
  // A separator user names may hold would make "alice.phone" both a user
  // and alice's "phone" identity.
  if (c.proxy_separator.size() > 4) throw config_error("auth.proxy_separator: at most 4 characters");
  for (char ch : c.proxy_separator)
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-' || ch == '@' ||
        static_cast<unsigned char>(ch) <= ' ' || static_cast<unsigned char>(ch) >= 0x7f)
      throw config_error("auth.proxy_separator: not a character user names may hold (letters, digits, . _ - @), a space or a control");
  if (c.delivery_threads < 1) throw config_error("server.delivery_threads: at least 1");
  if (c.tls_cert.empty() != c.tls_key.empty())
    throw config_error("tls.cert and tls.key: set both or neither");
  return c;
}

const std::vector<config_key_doc>& config_keys() {
  static const std::vector<config_key_doc> docs = [] {
    std::vector<config_key_doc> out;
    for (auto& d : key_defs) out.push_back({d.key, d.default_value, d.description});
    return out;
  }();
  return docs;
}

std::string default_config_text() {
  std::string out =
      "# Lemonade configuration. Every key is listed with its default;\n"
      "# `lemonade serve -o key=value` overrides any of them for one run.\n";
  std::string section;
  for (auto& d : key_defs) {
    std::string key = d.key;
    auto dot = key.find('.');
    auto sec = key.substr(0, dot);
    if (sec != section) {
      out += "\n[" + sec + "]\n";
      section = sec;
    }
    out += "# " + std::string(d.description) + "\n";
    out += key.substr(dot + 1) + " = " + d.default_value + "\n";
  }
  return out;
}

}  // namespace lemonade::core
