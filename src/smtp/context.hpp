#pragma once
// What an SMTP-family session sees (submission now, LMTP next): the
// server's services, set up by cli/ before serving.

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include "auth/credential_cache.hpp"
#include "auth/throttle.hpp"
#include "core/config.hpp"
#include "delivery/local.hpp"
#include "net/inline_reads.hpp"
#include "store/api/store.hpp"

namespace lemonade::smtp {

namespace asio = boost::asio;

// Submission (RFC 6409) and LMTP (RFC 2033) share the engine; the mode is
// the listener's.
enum class mode { submission, lmtp };

struct server_context {
  const core::config& cfg;
  store::mail_store& store;
  const delivery::local_addresses& addresses;
  auth::login_throttle& throttle;
  auth::credential_cache& credentials;
  std::string scram_fake_salt_key;
  asio::any_io_executor storage;  // queue writes (they wait for fsync)
  asio::any_io_executor reads;    // user lookups
  asio::any_io_executor hashing;  // password checks
  std::function<std::shared_ptr<asio::ssl::context>()> tls;
  std::function<void()> queued;   // wakes the queue runner
  // For the connections this server makes (BURL's IMAP fetches).
  std::shared_ptr<asio::ssl::context> client_tls;
  // LMTP delivers at once, into the accounts the IMAP sessions share.
  mailbox::account_registry* accounts = nullptr;
  // Quick reads on the network threads (net/inline_reads.hpp), shared
  // with IMAP; null: every read on `reads`.
  net::inline_reads* quick_reads = nullptr;
  std::atomic<bool> shutting_down{false};
};

struct connection_info {
  std::uint64_t id = 0;
  std::string remote;   // address:port, for logs and Received:
  std::string address;  // address only: the key for login throttling
  bool loopback = false;
  bool implicit_tls = false;
  smtp::mode mode = smtp::mode::submission;
  // Carried over a binding of the HTTPS listener (http/binding.hpp), which
  // ended TLS itself: the session counts as under TLS and offers no
  // STARTTLS. "websocket", or "" for a connection of this server's own.
  std::string binding;
  // Told the login name ("alice", "alice+phone") at a successful login:
  // the binding lets only that user resume the session.
  std::function<void(const std::string&)> on_login;
};

}  // namespace lemonade::smtp
