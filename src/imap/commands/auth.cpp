// RFC 3501 §6.2.1 STARTTLS, §6.2.2 AUTHENTICATE (RFC 4959 SASL-IR,
// RFC 4616 PLAIN, RFC 7677 SCRAM-SHA-256), §6.2.3 LOGIN.
//
// Failed logins are answered after a delay that grows per client address,
// and an address with too many failures is refused for a while
// (auth::login_throttle). Passwords are never logged.
#include "imap/commands/commands.hpp"

#include <spdlog/spdlog.h>

#include "auth/password.hpp"
#include "auth/sasl.hpp"
#include "auth/scram.hpp"
#include "core/strings.hpp"

namespace lemonade::imap::commands {
namespace {

constexpr std::size_t max_sasl_line = 8192;

void check_lockout(command_context& ctx) {
  if (ctx.server.throttle.locked_out(ctx.session.conn.address))
    refuse("Too many failed logins from your address; try again later", "UNAVAILABLE");
}

void require_plaintext(command_context& ctx) {
  // RFC 3501 §6.2.3 and RFC 5530 §3: PRIVACYREQUIRED.
  if (!ctx.plaintext_allowed())
    refuse("Plaintext authentication is disabled on unencrypted connections; use STARTTLS",
           "PRIVACYREQUIRED");
}

asio::awaitable<void> login_failed(command_context& ctx, std::string_view user, std::string_view why) {
  auto delay = ctx.server.throttle.record_failure(ctx.session.conn.address);
  spdlog::info("conn={} event=auth_failed user=\"{}\" reason=\"{}\" delay_ms={}", ctx.session.conn.id,
               std::string(user).substr(0, 64), why, delay.count());
  co_await ctx.io.sleep(delay);
  refuse("Authentication failed", "AUTHENTICATIONFAILED");
}

// How the credentials were checked, for the login log line.
enum class checked_by { argon2id, cache, scram };

const char* to_string(checked_by c) {
  switch (c) {
    case checked_by::argon2id: return "argon2id";
    case checked_by::cache: return "cache";
    case checked_by::scram: return "scram";
  }
  return "?";
}

std::optional<store::user_record> find_login(command_context& ctx, std::string_view login) {
  return store::find_login(ctx.server.store.users(), login, ctx.server.cfg.proxy_separator);
}

std::string login_name(command_context& ctx, const store::user_record& u) {
  return store::login_name(u, ctx.server.cfg.proxy_separator);
}

asio::awaitable<void> logged_in(command_context& ctx, const store::user_record& user, checked_by how) {
  ctx.server.throttle.record_success(ctx.session.conn.address);
  if (user.proxy) {
    // Set before looking again: an identity removed or changed while its
    // password was checked is found by the look, and one changed after it
    // by the server's check of open sessions, which now sees this one.
    ctx.session.user_id = user.id;
    ctx.session.proxy = user.proxy;
    std::optional<store::user_record> again;
    try {
      again = co_await ctx.blocking(
          [&] { return ctx.server.store.users().find_proxy(user.name, user.proxy->label); },
          command_context::work::read);
    } catch (...) {
      ctx.session.user_id = 0;
      ctx.session.proxy.reset();
      throw;
    }
    if (!again || !again->proxy->same_as(*user.proxy)) {
      ctx.session.user_id = 0;
      ctx.session.proxy.reset();
      co_await login_failed(ctx, login_name(ctx, user), "proxy identity changed during login");
      co_return;
    }
  }
  auto acct = co_await ctx.blocking([&] { return ctx.server.accounts.open(user); });
  ctx.session.user = user.name;
  ctx.session.user_id = user.id;
  ctx.session.proxy = user.proxy;
  ctx.session.account = std::move(acct);
  ctx.session.state = session_state::authenticated;
  if (ctx.session.conn.on_login) ctx.session.conn.on_login(login_name(ctx, user));
  // RFC 3501 §7.1: the capabilities change at login, so send them along.
  ctx.result.resp_code = ctx.capability_code();
  ctx.result.text = "Logged in";
  if (user.proxy)
    spdlog::info("conn={} event=login user=\"{}\" proxy=\"{}\" auth={}", ctx.session.conn.id, user.name,
                 user.proxy->label, to_string(how));
  else
    spdlog::info("conn={} event=login user=\"{}\" auth={}", ctx.session.conn.id, user.name, to_string(how));
}

struct checked_user {
  store::user_record user;
  checked_by how;
};

// Checks a password. Unknown users cost as much as known ones (argon2id
// of a dummy hash), so timing does not tell which names exist. A password
// that matched less than auth.cache_ttl ago skips argon2id
// (auth::credential_cache); a wrong one never does.
asio::awaitable<std::optional<checked_user>> check_password(command_context& ctx, const std::string& name,
                                                            const std::string& password) {
  auto& cache = ctx.server.credentials;
  struct lookup {
    std::optional<store::user_record> user;
    bool cached = false;
  };
  auto found = co_await ctx.blocking(
      [&] {
        lookup l{find_login(ctx, name)};
        if (l.user) l.cached = cache.check(login_name(ctx, *l.user), l.user->password_hash, password);
        else cache.forget(name);  // deleted since: drop what was remembered
        return l;
      },
      command_context::work::read);
  if (found.cached) co_return checked_user{std::move(*found.user), checked_by::cache};
  const auto& user = found.user;
  bool ok = co_await ctx.blocking(
      [&] {
        return auth::verify_password_or_dummy(user ? &user->password_hash : nullptr, password,
                                              {ctx.server.cfg.argon2_opslimit, ctx.server.cfg.argon2_memlimit});
      },
      command_context::work::hash);
  if (!user || !ok) co_return std::nullopt;
  cache.remember(login_name(ctx, *user), user->password_hash, password);
  co_return checked_user{std::move(*found.user), checked_by::argon2id};
}

// One SASL client response: the initial response if given, else "+ " and
// a line. "*" cancels (RFC 3501 §6.2.2).
asio::awaitable<std::string> sasl_response(command_context& ctx, const std::string& challenge) {
  ctx.continuation(core::base64_encode(challenge));
  co_await ctx.io.flush();
  auto line = co_await ctx.io.read_line(max_sasl_line);
  if (!line) reject_syntax("Authentication exchange failed");
  if (*line == "*") reject_syntax("Authentication cancelled");
  auto decoded = core::base64_decode(*line);
  if (!decoded) reject_syntax("Invalid base64 in authentication response");
  co_return *decoded;
}

std::string initial(const std::optional<std::string>& ir) {
  if (*ir == "=") return {};  // RFC 4959 §3: "=" is an empty initial response
  auto decoded = core::base64_decode(*ir);
  if (!decoded) reject_syntax("Invalid base64 in initial response");
  return *decoded;
}

// The first client response: the initial response if given (RFC 4959),
// else what follows an empty challenge.
asio::awaitable<std::string> first_response(command_context& ctx, const parse::authenticate_cmd& cmd) {
  if (cmd.initial_response) co_return initial(cmd.initial_response);
  const std::string empty;
  co_return co_await sasl_response(ctx, empty);
}

asio::awaitable<void> authenticate_plain(command_context& ctx, const parse::authenticate_cmd& cmd) {
  require_plaintext(ctx);
  std::string msg = co_await first_response(ctx, cmd);
  auto creds = auth::parse_plain(msg);
  if (!creds) reject_syntax("Malformed PLAIN response (RFC 4616)");
  // No proxy authorisation yet: an authzid must name the same user.
  if (!creds->authzid.empty() && creds->authzid != creds->authcid) {
    co_await login_failed(ctx, creds->authcid, "authzid not permitted");
    co_return;
  }
  auto user = co_await check_password(ctx, creds->authcid, creds->password);
  if (!user) {
    co_await login_failed(ctx, creds->authcid, "bad credentials");
    co_return;
  }
  co_await logged_in(ctx, user->user, user->how);
}

asio::awaitable<void> authenticate_scram(command_context& ctx, const parse::authenticate_cmd& cmd) {
  auth::scram_sha256_server scram(
      [&ctx](std::string_view name) -> std::optional<auth::scram_secrets> {
        auto u = find_login(ctx, name);
        if (!u) return std::nullopt;
        return auth::scram_secrets{u->scram.salt, u->scram.iterations, u->scram.stored_key, u->scram.server_key};
      },
      ctx.server.scram_fake_salt_key);

  std::string msg = co_await first_response(ctx, cmd);
  auto first = co_await ctx.blocking([&] { return scram.step(msg); }, command_context::work::read);
  if (first.st != auth::scram_sha256_server::status::next) {
    co_await login_failed(ctx, scram.attempted_username(), first.message);
    co_return;
  }
  auto final_msg = co_await sasl_response(ctx, first.message);
  auto done = co_await ctx.blocking([&] { return scram.step(final_msg); }, command_context::work::hash);
  if (done.st != auth::scram_sha256_server::status::success) {
    co_await login_failed(ctx, scram.username(), done.message);
    co_return;
  }
  // RFC 5802 §5: the client verifies the server signature; IMAP carries
  // it as one more challenge, answered with an empty response.
  auto ack = co_await sasl_response(ctx, done.message);
  if (!ack.empty()) reject_syntax("Expected an empty response after server-final-message");
  auto user = co_await ctx.blocking([&] { return find_login(ctx, scram.username()); }, command_context::work::read);
  if (!user) {
    co_await login_failed(ctx, scram.username(), "user vanished");
    co_return;
  }
  co_await logged_in(ctx, *user, checked_by::scram);
}

}  // namespace

asio::awaitable<void> starttls(command_context& ctx, args&) {
  // RFC 3501 §6.2.1. The registry allows it only before login; the
  // capability is not offered on TLS connections.
  if (ctx.session.tls_active) reject_syntax("TLS is already active");
  if (!ctx.server.tls) refuse("TLS is not available");
  ctx.result_sent = true;
  const response::status_line ok{ctx.tag(), response::status::ok, std::nullopt, "Begin TLS negotiation now"};
  co_await ctx.io.start_tls(ok);
  ctx.session.tls_active = true;
}

asio::awaitable<void> compress(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::compress_cmd>(a);
  // RFC 4978 §3: "BAD Command unknown, invalid or unknown argument"; the
  // capability is not offered when the configuration turns it off.
  if (!ctx.server.cfg.compress) reject_syntax("COMPRESS is not offered");
  if (cmd.algorithm != "DEFLATE") reject_syntax("Unknown compression algorithm " + cmd.algorithm.substr(0, 32));
  if (ctx.session.compress_active) refuse("DEFLATE is already active", "COMPRESSIONACTIVE");
  ctx.result_sent = true;
  const response::status_line ok{ctx.tag(), response::status::ok, std::nullopt, "DEFLATE active"};
  co_await ctx.io.start_compress(ok);
  ctx.session.compress_active = true;
}

asio::awaitable<void> login(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::login_cmd>(a);
  require_plaintext(ctx);
  check_lockout(ctx);
  auto user = co_await check_password(ctx, cmd.user, cmd.password);
  if (!user) {
    co_await login_failed(ctx, cmd.user, "bad credentials");
    co_return;
  }
  co_await logged_in(ctx, user->user, user->how);
}

asio::awaitable<void> authenticate(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::authenticate_cmd>(a);
  check_lockout(ctx);
  if (cmd.mechanism == "PLAIN") {
    co_await authenticate_plain(ctx, cmd);
  } else if (cmd.mechanism == "SCRAM-SHA-256") {
    co_await authenticate_scram(ctx, cmd);
  } else {
    refuse("Unsupported authentication mechanism", "CANNOT");
  }
}

}  // namespace lemonade::imap::commands
