#pragma once
// The proxy's mediated sessions (issue 17, docs/proxy.md). In front of a
// backend that lacks IDLE, ESEARCH, CONDSTORE (or SPECIAL-USE, where
// proxy.special_use names mailboxes), `lemonade proxy` does not relay
// octets after login: it reads the client's commands one at a time (the
// IMAP framer: lines and literals) and the backend's responses (the IMAP
// client: whole responses), passes most of them through untouched, and
// answers these itself:
//
//   IDLE (RFC 2177)             from NOOPs to the backend every
//                               proxy.poll_interval while the client idles;
//                               their untagged responses go out as they come
//   SEARCH RETURN (RFC 4731)    the backend's SEARCH without RETURN, its
//                               result sent as ESEARCH
//   COMPRESS=DEFLATE (RFC 4978) toward the client, by the proxy (never
//                               passed to the backend: the proxy reads the
//                               octets)
//   CONDSTORE (RFC 7162 §3.1)   MODSEQs the proxy gives the flag changes,
//                               new messages and expunges it observes
//                               (modseq_cache.hpp): each SELECT fetches
//                               every message's flags; FETCH MODSEQ and
//                               CHANGEDSINCE, STORE UNCHANGEDSINCE, SEARCH
//                               MODSEQ and STATUS HIGHESTMODSEQ from them
//   QRESYNC (RFC 7162 §3.2)     from them and the proxy's expunge log:
//                               SELECT (QRESYNC ...), FETCH VANISHED,
//                               VANISHED for EXPUNGE
//   ENABLE (RFC 5161)           for CONDSTORE and QRESYNC, where the
//                               backend lacks it
//   SPECIAL-USE (RFC 6154)      attributes in LIST for the mailboxes
//                               proxy.special_use names
//   CAPABILITY                  the backend's, less the proxy's own
//                               business, plus the above
//
// A backend that has IDLE keeps it: the client's IDLE and DONE go to it.
// A backend that fails, closes or takes longer than proxy.backend_timeout
// over a response gets the client * BYE [UNAVAILABLE] (its own BYE when it
// sent one). In front of a backend with all three, sessions stay byte relays.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/config.hpp"

namespace lemonade::net {
class stream;
}
namespace lemonade::imap::client {
class connection;
}

namespace lemonade::proxy {

namespace asio = boost::asio;

// What the proxy adds in front of a backend with `caps` (its capabilities
// after login).
struct additions {
  bool idle = false;       // RFC 2177, by polling
  bool esearch = false;    // RFC 4731, from SEARCH
  bool condstore = false;  // RFC 7162 §3.1, from the modseq cache
  bool enable = false;     // RFC 5161, for CONDSTORE
  bool special_use = false;  // RFC 6154, by name (only where mediated anyway)
  bool any() const { return idle || esearch || condstore; }
};
// `condstore`: whether the proxy may keep MODSEQs (proxy.condstore);
// `special_use`: whether proxy.special_use names any mailbox.
additions additions_for(const std::vector<std::string>& caps, bool condstore, bool special_use = false);

// proxy.special_use: mailbox name (upper case) -> attribute ("\Sent").
using special_use_map = std::map<std::string, std::string>;
// Throws std::invalid_argument for an entry that is not "Use=Name,..."
// with a use of RFC 6154 §2.
special_use_map parse_special_use(const std::vector<std::string>& entries);
// A LIST response (after "* ") with the attribute its mailbox has in
// `map` added (the name as listed, or under INBOX and its delimiter);
// nullopt when it has none, or has it already.
std::optional<std::string> mark_special_use(std::string_view list_response, const special_use_map& map);

// The capability list a client sees after login: the backend's (as it
// wrote them), without STARTTLS, LOGINDISABLED, SASL-IR and AUTH=, and in
// a mediated session without the backend's COMPRESS=; then what the proxy
// adds (COMPRESS=DEFLATE when mediated and compress is on).
std::string client_capabilities(const std::vector<std::string>& backend_caps, const additions& add,
                                bool compress);

// RFC 4731 §3.1 result options of a SEARCH command, and the command
// without them, for a backend without ESEARCH.
struct search_return {
  bool min = false, max = false, all = false, count = false;
};
struct stripped_search {
  search_return options;
  std::string command;  // "tag SEARCH criteria...", literals as they were
};
// `command` is a whole SEARCH or UID SEARCH command, `args_at` the offset
// just past its name. nullopt when it has no RETURN; throws
// std::invalid_argument (with the text for a BAD) for an option the proxy
// cannot answer (SAVE, UPDATE, PARTIAL, CONTEXT: their extensions are not
// offered) or a malformed list.
std::optional<stripped_search> strip_search_return(std::string_view command, std::size_t args_at);
// The numbers of a "* SEARCH" response (its text after "* "), and its
// trailing "(MODSEQ n)" of RFC 7162 §3.1.5 when present.
struct search_result {
  std::vector<std::uint32_t> numbers;
  std::optional<std::uint64_t> modseq;
};
std::optional<search_result> parse_search_response(std::string_view untagged_text);
// "* ESEARCH (TAG "t") [UID] MIN .. MAX .. COUNT .. ALL ..", CRLF included.
std::string esearch_response(std::string_view tag, bool uid, const search_return& r,
                             std::vector<std::uint32_t> numbers, std::optional<std::uint64_t> modseq);

// A session's link to its server, for a graceful stop (SIGTERM). The
// server sets `stopping` and cancels `wake` on the session's strand, then
// calls `end` when set. A mediated session waits on `wake` and says
// * BYE between commands (a command under way finishes first); a relayed
// one sets `end` and closes both sides at once (its octets may be
// compressed end to end, where a BYE of the proxy's would not fit).
struct session_control {
  explicit session_control(const asio::any_io_executor& ex) : wake(ex) {}
  asio::steady_timer wake;
  bool stopping = false;
  std::function<void()> end;
};

class modseq_cache;

struct mediation {
  const core::config& cfg;
  std::shared_ptr<net::stream> client;
  std::string client_in;  // client input read past the login
  std::unique_ptr<imap::client::connection> backend;
  std::string capabilities;  // client_capabilities(...)
  additions add;
  std::uint64_t id = 0;
  std::string user;     // printable, for logs
  std::string account;  // backend and login name as given (the cache's key)
  std::shared_ptr<session_control> control;
  std::shared_ptr<modseq_cache> cache;  // set when add.condstore
  std::shared_ptr<const special_use_map> special_use;  // set when add.special_use
};
// Runs the session until either side ends it.
asio::awaitable<void> mediate(mediation m);

}  // namespace lemonade::proxy
