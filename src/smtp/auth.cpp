// RFC 3207 STARTTLS and RFC 4954 AUTH (PLAIN RFC 4616, LOGIN, SCRAM-SHA-256
// RFC 7677) for submission. The same policy as IMAP: plaintext mechanisms
// only over TLS or from loopback (auth.plaintext), failures answered after
// a delay that grows per address, lockout after too many (auth.*).
// Passwords are never logged.
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "auth/password.hpp"
#include "auth/sasl.hpp"
#include "auth/scram.hpp"
#include "core/strings.hpp"
#include "smtp/message.hpp"
#include "smtp/session.hpp"
#include "smtp/session_impl.hpp"

namespace lemonade::smtp {

using syntax::status_code;

namespace {

// RFC 4954 §4: "a line of at most 12288 octets" for an AUTH exchange.
constexpr std::size_t max_sasl_line = 12288;

}  // namespace

bool session::plaintext_allowed() const {
  switch (srv_.cfg.plaintext) {
    case core::plaintext_policy::always: return true;
    case core::plaintext_policy::loopback: return tls_ || conn_.loopback;
    case core::plaintext_policy::never: return tls_;
  }
  return false;
}

asio::awaitable<bool> session::starttls() {
  auto ctx = srv_.tls ? srv_.tls() : nullptr;
  if (tls_) {
    reply(503, status_code{5, 5, 1}, "TLS is already active");
    co_return true;
  }
  if (!ctx) {
    reply(454, status_code{4, 7, 0}, "TLS not available");
    co_return true;
  }
  reply(220, status_code{2, 0, 0}, "Ready to start TLS");
  co_await flush();
  // Whatever the client sent after STARTTLS, before the handshake, is
  // dropped: it came in the clear and may have been injected (RFC 3207
  // §4.2 and §6; CVE-2011-0411).
  in_.clear();
  arm(std::chrono::seconds(30));
  co_await stream_.start_tls(ctx);
  timer_.cancel();
  tls_ = true;
  // RFC 3207 §4.2: "the server MUST discard any knowledge obtained from
  // the client, such as the argument to the EHLO command".
  hello_.reset();
  tx_.reset();
  user_.reset();
  xenc_.reset();
  sealed_.reset();
  co_return true;
}

asio::awaitable<std::optional<std::string>> session::sasl_response(const std::string& challenge) {
  // RFC 4954 §4: "334" SP base64 challenge; a "*" line cancels.
  syntax::write(out_, {334, std::nullopt, {core::base64_encode(challenge)}}, false);
  co_await flush();
  for (;;) {
    auto nl = in_.find('\n');
    if (nl != std::string::npos) {
      std::string line(syntax::strip_line_end(std::string_view(in_).substr(0, nl + 1)));
      in_.erase(0, nl + 1);
      co_return line;
    }
    if (in_.size() > max_sasl_line) co_return std::nullopt;
    if (co_await read_more() != read_result::data) co_return std::nullopt;
  }
}

asio::awaitable<void> session::auth_failed(std::string_view user, std::string_view why) {
  auto delay = srv_.throttle.record_failure(conn_.address);
  spdlog::info("conn={} event=auth_failed protocol=submission user=\"{}\" reason=\"{}\" delay_ms={}", conn_.id,
               std::string(user).substr(0, 64), why, delay.count());
  asio::steady_timer t(stream_.socket().get_executor(), delay);
  co_await t.async_wait(asio::use_awaitable);
  // RFC 4954 §6: 535 5.7.8 "Authentication credentials invalid".
  reply(535, status_code{5, 7, 8}, "Authentication credentials invalid");
}

asio::awaitable<std::optional<store::user_record>> session::check_password(const std::string& name,
                                                                            const std::string& password) {
  // As IMAP LOGIN: a password verified recently skips argon2id; unknown
  // users cost a dummy hash, so timing does not tell which names exist.
  struct lookup {
    std::optional<store::user_record> user;
    bool cached = false;
  };
  auto found = co_await blocking(
      [&] {
        // A user, or one of a user's proxy identities ("alice+phone",
        // docs/xencrypted.md: it may submit only what its device sealed).
        lookup l{store::find_login(srv_.store.users(), name, srv_.cfg.proxy_separator)};
        if (l.user)
          l.cached = srv_.credentials.check(store::login_name(*l.user, srv_.cfg.proxy_separator),
                                            l.user->password_hash, password);
        else srv_.credentials.forget(name);
        return l;
      },
      srv_.reads);
  if (found.cached) co_return found.user;
  bool ok = co_await blocking(
      [&] {
        return auth::verify_password_or_dummy(found.user ? &found.user->password_hash : nullptr, password,
                                              {srv_.cfg.argon2_opslimit, srv_.cfg.argon2_memlimit});
      },
      srv_.hashing);
  if (!found.user || !ok) co_return std::nullopt;
  srv_.credentials.remember(store::login_name(*found.user, srv_.cfg.proxy_separator), found.user->password_hash,
                            password);
  co_return found.user;
}

asio::awaitable<bool> session::authenticate(const parse::auth_cmd& c) {
  if (!hello_) {
    reply(503, status_code{5, 5, 1}, "Say EHLO first");
    co_return true;
  }
  // RFC 4954 §4: "After a successful AUTH command completes, a server MUST
  // reject any further AUTH commands with a 503 reply", and AUTH is not
  // permitted during a mail transaction.
  if (user_ || tx_) {
    reply(503, status_code{5, 5, 1}, user_ ? "Already authenticated" : "AUTH during a mail transaction");
    co_return true;
  }
  if (srv_.throttle.locked_out(conn_.address)) {
    reply(454, status_code{4, 7, 0}, "Too many failed logins from your address; try again later");
    co_return true;
  }
  bool plain_text = c.mechanism == "PLAIN" || c.mechanism == "LOGIN";
  if (plain_text && !plaintext_allowed()) {
    // RFC 4954 §6: 538 5.7.11 "Encryption required for requested
    // authentication mechanism".
    reply(538, status_code{5, 7, 11}, "Encryption required for requested authentication mechanism");
    co_return true;
  }
  auto decode = [](const std::string& b64) -> std::optional<std::string> {
    if (b64 == "=") return std::string();
    return core::base64_decode(b64);
  };
  // The first client response: the initial response, or one after an
  // empty challenge ("334 ").
  auto first = [&]() -> asio::awaitable<std::optional<std::string>> {
    if (c.initial) co_return decode(*c.initial);
    auto line = co_await sasl_response("");
    if (!line) co_return std::nullopt;
    if (*line == "*") co_return std::nullopt;
    co_return decode(*line);
  };
  auto cancelled = [&] { reply(501, status_code{5, 5, 2}, "Authentication cancelled or malformed"); };

  std::optional<store::user_record> user;
  std::string attempted;
  if (c.mechanism == "PLAIN") {
    auto msg = co_await first();
    if (!msg) {
      cancelled();
      co_return true;
    }
    auto creds = auth::parse_plain(*msg);
    if (!creds) {
      cancelled();
      co_return true;
    }
    attempted = creds->authcid;
    if (creds->authzid.empty() || creds->authzid == creds->authcid)
      user = co_await check_password(creds->authcid, creds->password);
  } else if (c.mechanism == "LOGIN") {
    // The widely used (never standardized) LOGIN: "Username:" then
    // "Password:" prompts.
    if (c.initial) {
      // An initial response is the user name (as Outlook and others send).
      auto name = decode(*c.initial);
      if (!name) {
        cancelled();
        co_return true;
      }
      attempted = *name;
    } else {
      auto line = co_await sasl_response("Username:");
      auto name = line && *line != "*" ? decode(*line) : std::nullopt;
      if (!name) {
        cancelled();
        co_return true;
      }
      attempted = *name;
    }
    auto line = co_await sasl_response("Password:");
    auto password = line && *line != "*" ? decode(*line) : std::nullopt;
    if (!password) {
      cancelled();
      co_return true;
    }
    user = co_await check_password(attempted, *password);
  } else if (c.mechanism == "SCRAM-SHA-256") {
    auto& users = srv_.store.users();
    const auto& separator = srv_.cfg.proxy_separator;
    auth::scram_sha256_server scram(
        [&users, &separator](std::string_view name) -> std::optional<auth::scram_secrets> {
          auto u = store::find_login(users, name, separator);
          if (!u) return std::nullopt;
          return auth::scram_secrets{u->scram.salt, u->scram.iterations, u->scram.stored_key, u->scram.server_key};
        },
        srv_.scram_fake_salt_key);
    auto msg = co_await first();
    if (!msg) {
      cancelled();
      co_return true;
    }
    auto step1 = co_await blocking([&] { return scram.step(*msg); }, srv_.reads);
    attempted = scram.attempted_username();
    if (step1.st == auth::scram_sha256_server::status::next) {
      auto line = co_await sasl_response(step1.message);
      auto final_msg = line && *line != "*" ? decode(*line) : std::nullopt;
      if (!final_msg) {
        cancelled();
        co_return true;
      }
      auto done = co_await blocking([&] { return scram.step(*final_msg); }, srv_.hashing);
      if (done.st == auth::scram_sha256_server::status::success) {
        // RFC 4954 §4: the server's last SCRAM message as a challenge,
        // answered by an empty line.
        auto ack = co_await sasl_response(done.message);
        if (!ack || (!ack->empty() && *ack != "=")) {
          cancelled();
          co_return true;
        }
        user = co_await blocking([&] { return store::find_login(users, scram.username(), separator); },
                                 srv_.reads);
      }
    }
  } else {
    // RFC 4954 §4: 504 5.5.4 for a mechanism not supported.
    reply(504, status_code{5, 5, 4}, "Unrecognized authentication type");
    co_return true;
  }
  if (!user) {
    co_await auth_failed(attempted, "bad credentials");
    co_return true;
  }
  srv_.throttle.record_success(conn_.address);
  user_ = std::move(user);
  if (conn_.on_login) conn_.on_login(store::login_name(*user_, srv_.cfg.proxy_separator));
  if (user_->proxy)
    spdlog::info("conn={} event=login protocol=submission user=\"{}\" proxy=\"{}\" mechanism={}", conn_.id,
                 user_->name, user_->proxy->label, c.mechanism);
  else
    spdlog::info("conn={} event=login protocol=submission user=\"{}\" mechanism={}", conn_.id, user_->name,
                 c.mechanism);
  reply(235, status_code{2, 7, 0}, "Authentication successful");
  co_return true;
}

}  // namespace lemonade::smtp
