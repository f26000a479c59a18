#pragma once
// The HTTPS listener (on `lemonade proxy`, without a store: the IMAP
// bindings alone). Device keys (docs/xencrypted.md, "Provisioning over HTTPS"):
// the user's own client, never the proxy, makes, lists, rotates and
// revokes the keys its devices share with the store. HTTP/1.1 over TLS
// (Boost.Beast), the user's credentials by HTTP Basic (RFC 7617), JSON.
//
//   GET    /keys                       200 {"keys": [{"id", "device", "created", "revoked"}]}
//   POST   /keys {"device": D}         201 {"id", "device", "created", "secret"}
//   POST   /keys/ID/rotate             201 {"id", "device", "created", "secret"}  (ID revoked)
//   DELETE /keys/ID                    204
//   POST   /keys/pairing {"device": D} 201 {"code", "device", "expires"}
//   GET    /smime                      200 {"certificates": [{"fingerprint", "subject", "not_after", "added"}]}
//   GET    /smime/server               200 the certificate the server made for the user (PEM)
//   POST   /smime (a PEM certificate)  201 {"fingerprint", "subject", "not_after", "added"}
//   DELETE /smime/FINGERPRINT          204
// and, without logging in:
//   POST   /pairing {"code": C}        201 {"user", "id", "device", "created", "secret"}
// and the protocol bindings (docs/http-binding.md):
//   GET /imap, GET /submission with Upgrade: websocket   101, then the protocol
//   POST, GET, DELETE /imap, /submission with Lemonade-Session: the long-poll binding
//   OPTIONS /imap, OPTIONS /submission                   200 {"protocol", "bindings"}
//
// The user logs in with the account's password or an app password
// (`lemonade key app-password`). A proxy identity's login is refused
// (403): keys never go through the proxy. (A binding's session logs in
// inside its protocol, as on the protocol's own port.) Failed logins and failed pairing codes are throttled alike
// (auth::login_throttle).

#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "auth/credential_cache.hpp"
#include "auth/throttle.hpp"
#include "core/config.hpp"
#include "http/binding.hpp"
#include "net/endpoint.hpp"
#include "store/api/store.hpp"

namespace lemonade::http {

namespace asio = boost::asio;

struct key_api_context {
  const core::config& cfg;
  store::mail_store* store;  // null on `lemonade proxy`: the bindings alone, no keys
  auth::login_throttle& throttle;
  auth::credential_cache& credentials;
  asio::any_io_executor storage;  // store writes and reads
  asio::any_io_executor hashing;  // argon2id
  std::function<std::shared_ptr<asio::ssl::context>()> tls;
  // Called (on a storage thread) after a key was revoked or rotated: the
  // sessions using it end.
  std::function<void()> keys_revoked;
  // IMAP and submission over WebSocket at /imap and /submission
  // (https.bindings; docs/http-binding.md).
  http::bindings bindings;
};

class key_api {
 public:
  key_api(asio::io_context& ioc, key_api_context ctx);
  ~key_api();
  // Throws std::runtime_error when the address cannot be bound.
  void listen(const net::host_port& where);
  void start();

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

}  // namespace lemonade::http
