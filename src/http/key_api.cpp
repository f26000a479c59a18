#include "http/key_api.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "auth/aead.hpp"
#include "auth/password.hpp"
#include "auth/smime.hpp"
#include "auth/xenc.hpp"
#include "core/strings.hpp"
#include "http/binding_session.hpp"
#include "http/poll.hpp"
#include "http/websocket.hpp"
#include "net/listener.hpp"
#include "net/offload.hpp"

namespace lemonade::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using json = nlohmann::json;
using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;
using namespace std::chrono_literals;

constexpr auto io_timeout = 30s;

response make(const request& req, bhttp::status st, const json& body) {
  response res{st, req.version()};
  res.set(bhttp::field::server, "lemonade");
  res.set(bhttp::field::cache_control, "no-store");  // secrets in bodies
  if (st != bhttp::status::no_content) {
    res.set(bhttp::field::content_type, "application/json");
    res.body() = body.dump() + "\n";
  }
  return res;
}

response error(const request& req, bhttp::status st, const std::string& text) {
  return make(req, st, json{{"error", text}});
}

response not_allowed(const request& req, const char* allow) {
  auto res = error(req, bhttp::status::method_not_allowed, "Method not allowed here");
  res.set(bhttp::field::allow, allow);
  return res;
}

// RFC 7617 §2: "Basic" SP base64(user-id ":" password).
std::optional<std::pair<std::string, std::string>> basic_credentials(std::string_view header) {
  if (header.size() < 6 || !core::iequals(header.substr(0, 6), "Basic ")) return std::nullopt;
  auto decoded = core::base64_decode(header.substr(6));
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::pair{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

json certificate_json(const store::smime_certificate& c) {
  return json{{"fingerprint", core::hex_encode(c.fingerprint)},
              {"subject", c.subject},
              {"not_after", c.not_after},
              {"added", c.added}};
}

json key_json(const store::device_key& k) {
  json j{{"id", core::hex_encode(k.id)}, {"device", k.device}, {"created", k.created}};
  if (!k.secret.empty()) j["secret"] = core::base64_encode(k.secret);
  else j["revoked"] = k.revoked ? json(*k.revoked) : json(nullptr);
  return j;
}

}  // namespace

struct key_api::impl {
  asio::io_context& ioc;
  key_api_context ctx;
  std::vector<asio::ip::tcp::acceptor> acceptors;
  // The proxy's own file: `serve` and `lemonade proxy` may share a data
  // directory.
  std::shared_ptr<binding_registry> registry = make_binding_registry(
      ctx.cfg, ctx.cfg.data_dir / (ctx.store ? "binding-paths.tsv" : "proxy-binding-paths.tsv"));
  asio::steady_timer save_timer{ioc};
  ~impl() { registry->save(); }  // what the bindings learned, for the next start

  // Every minute, what the bindings learned of their users' paths, when
  // it changed: a crash loses a minute of it at most. The write (and its
  // fsync) on a storage thread, not a network one.
  void save_paths_later() {
    save_timer.expires_after(std::chrono::minutes(1));
    save_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      asio::post(ctx.storage, [r = registry] { r->save(); });
      save_paths_later();
    });
  }

  // The user a request's credentials log in, or the response refusing it.
  // A proxy identity only where `proxy_allowed` (never for keys).
  asio::awaitable<std::variant<store::user_record, response>> authenticate(const request& req,
                                                                           const std::string& address,
                                                                           bool proxy_allowed = false) {
    auto unauthorized = [&](std::string text) {
      auto res = error(req, bhttp::status::unauthorized, std::move(text));
      res.set(bhttp::field::www_authenticate, "Basic realm=\"lemonade\", charset=\"UTF-8\"");
      return res;
    };
    if (auto locked = ctx.throttle.locked_out(address)) {
      auto res = error(req, bhttp::status::too_many_requests, "Too many failed logins; try again later");
      res.set(bhttp::field::retry_after, std::to_string(locked->count()));
      co_return res;
    }
    auto creds = basic_credentials(req[bhttp::field::authorization]);
    if (!creds) co_return unauthorized("Log in as the user (HTTP Basic)");
    const std::string& name = creds->first;
    const std::string& password = creds->second;
    const auto& sep = ctx.cfg.proxy_separator;
    auto user = co_await net::run_on(ctx.storage, [&] { return store::find_login(ctx.store->users(), name, sep); });
    // An app password of the user's (docs/xencrypted.md): random, so its
    // SHA-256 is looked up, no argon2id; or else the account's password.
    bool ok = false;
    auto app = auth::xenc::code_hash(auth::xenc::code_use::app_password, password);
    if (user && !user->proxy && app) {
      auto label = co_await net::run_on(ctx.storage, [&] { return ctx.store->users().find_app_password(user->name, *app); });
      ok = label.has_value();
    }
    ok = ok || (user && ctx.credentials.check(store::login_name(*user, sep), user->password_hash, password));
    if (!ok) {
      ok = co_await net::run_on(ctx.hashing, [&] {
        return auth::verify_password_or_dummy(user ? &user->password_hash : nullptr, password,
                                              {ctx.cfg.argon2_opslimit, ctx.cfg.argon2_memlimit});
      });
      ok = ok && user;
      if (ok) ctx.credentials.remember(store::login_name(*user, sep), user->password_hash, password);
    }
    if (!ok) {
      co_await failed(address, "auth_failed", name.substr(0, 64));
      co_return unauthorized("Authentication credentials invalid");
    }
    ctx.throttle.record_success(address);
    // Keys are the user's to manage, never a proxy's (docs/xencrypted.md).
    if (user->proxy && !proxy_allowed)
      co_return error(req, bhttp::status::forbidden, "A proxy identity cannot manage device keys");
    co_return std::move(*user);
  }

  // Who a binding's request (a WebSocket resume, a long-poll request)
  // says it is, by HTTP Basic: checked against the user directory; or,
  // on the proxy's listener, which has none, taken as it is, with the
  // password, for the session to check (binding_session::credential).
  struct binding_login {
    std::string name;
    std::optional<std::string> password;  // only where the session checks it
  };
  asio::awaitable<std::variant<binding_login, response>> binding_user(const request& req, const std::string& address) {
    if (ctx.store) {
      auto who = co_await authenticate(req, address, true);
      if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
      co_return binding_login{store::login_name(std::get<store::user_record>(who), ctx.cfg.proxy_separator), {}};
    }
    if (auto locked = ctx.throttle.locked_out(address)) {
      auto res = error(req, bhttp::status::too_many_requests, "Too many failed logins; try again later");
      res.set(bhttp::field::retry_after, std::to_string(locked->count()));
      co_return res;
    }
    auto creds = basic_credentials(req[bhttp::field::authorization]);
    if (!creds) {
      auto res = error(req, bhttp::status::unauthorized, "Log in as the session's user (HTTP Basic)");
      res.set(bhttp::field::www_authenticate, "Basic realm=\"lemonade\", charset=\"UTF-8\"");
      co_return res;
    }
    co_return binding_login{std::move(creds->first), std::move(creds->second)};
  }

  // A failure of a client's own making (a wrong password, a wrong pairing
  // code): counted against its address, answered after the delay.
  asio::awaitable<void> failed(const std::string& address, const char* what, std::string who) {
    auto delay = ctx.throttle.record_failure(address);
    spdlog::info("event={} protocol=https user=\"{}\" remote={} delay_ms={}", what, who, address, delay.count());
    asio::steady_timer t(ioc, delay);
    co_await t.async_wait(asio::use_awaitable);
  }

  static std::int64_t now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // POST /pairing: the code is the credential (docs/xencrypted.md).
  asio::awaitable<response> redeem(const request& req, const std::string& address) {
    if (auto locked = ctx.throttle.locked_out(address)) {
      auto res = error(req, bhttp::status::too_many_requests, "Too many failed attempts; try again later");
      res.set(bhttp::field::retry_after, std::to_string(locked->count()));
      co_return res;
    }
    auto body = json::parse(req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("code") || !body["code"].is_string())
      co_return error(req, bhttp::status::bad_request, "The body must be {\"code\": \"...\"}");
    auto hash = auth::xenc::code_hash(auth::xenc::code_use::pairing, body["code"].get<std::string>());
    std::optional<std::pair<std::string, store::device_key>> got;
    if (hash)
      got = co_await net::run_on(ctx.storage, [&] { return ctx.store->users().redeem_pairing_code(*hash, now()); });
    if (!got) {
      co_await failed(address, "pairing_failed", "");
      co_return error(req, bhttp::status::not_found, "No such pairing code, or it has expired or was used");
    }
    auto& [name, k] = *got;
    spdlog::info("event=key_paired protocol=https user=\"{}\" key={} device=\"{}\" remote={}", name,
                 core::hex_encode(k.id), k.device, address);
    auto j = key_json(k);
    j["user"] = name;
    auto res = make(req, bhttp::status::created, j);
    auth::aead::wipe(k.secret);
    co_return res;
  }

  asio::awaitable<response> handle(const request& req, const std::string& address) {
    std::string_view target(req.target().data(), req.target().size());
    std::vector<std::string_view> parts;
    for (std::size_t at = 1; at <= target.size();) {
      auto slash = target.find('/', at);
      if (slash == std::string_view::npos) slash = target.size();
      parts.push_back(target.substr(at, slash - at));
      at = slash + 1;
    }
    if (auto protocol = ctx.bindings.protocol_at(target.substr(0, target.find('?'))); !protocol.empty()) {
      // The bindings a client may use here (the slides' open question:
      // what does this URL offer?). Upgrades and the long-poll binding's
      // requests never get this far.
      if (req.method() != bhttp::verb::options) {
        auto res = error(req, bhttp::status::upgrade_required,
                         "Use a WebSocket (RFC 6455) here, or the long-poll binding (Lemonade-Session)");
        res.set(bhttp::field::upgrade, "websocket");
        res.set(bhttp::field::connection, "Upgrade");
        co_return res;
      }
      auto& cfg = ctx.cfg;
      auto window = std::max<std::uint64_t>(cfg.https_resume_window, 16 * 1024);
      json websocket{{"type", "websocket"},
                     {"subprotocol", protocol},
                     {"frames", "binary"},
                     {"resumable", true},
                     {"keepalive_ms", cfg.https_keepalive_max.count()},
                     {"window", window},
                     {"grace", cfg.https_resume_grace.count()}};
      json poll{{"type", "poll"},
                {"hold_ms", registry->holds.start.count()},
                {"hold_max_ms", registry->holds.ceiling.count()},
                {"answer_max", std::max<std::uint64_t>(cfg.https_poll_answer_max, 1024)},
                {"window", window},
                {"grace", cfg.https_resume_grace.count()}};
      auto res = make(req, bhttp::status::ok,
                      json{{"protocol", protocol}, {"bindings", json::array({websocket, poll})}});
      res.set(bhttp::field::allow, "GET, POST, DELETE, OPTIONS");
      co_return res;
    }
    if (!ctx.store) co_return error(req, bhttp::status::not_found, "No such resource");  // the proxy's: bindings only
    if (target.empty() || target[0] != '/' || parts.empty() || parts.size() > 3 ||
        (parts[0] != "keys" && parts[0] != "smime" && parts[0] != "pairing") ||
        (parts[0] != "keys" && parts.size() > 2) || (parts[0] == "pairing" && parts.size() > 1))
      co_return error(req, bhttp::status::not_found, "No such resource");
    auto method = req.method();
    // Open to anyone: a pairing code's redemption (the code is the
    // credential).
    if (parts[0] == "pairing") {
      if (method != bhttp::verb::post) co_return not_allowed(req, "POST");
      co_return co_await redeem(req, address);
    }
    auto who = co_await authenticate(req, address);
    if (auto* refused = std::get_if<response>(&who)) co_return std::move(*refused);
    auto user = std::get<store::user_record>(std::move(who));
    auto& users = ctx.store->users();
    try {
      if (parts[0] == "smime") co_return co_await certificates(req, user, parts);
      bool pairing = parts.size() == 2 && parts[1] == "pairing";
      std::string id;
      if (parts.size() >= 2 && !pairing) {
        auto decoded = core::hex_decode(parts[1]);
        if (!decoded || decoded->size() != 8) co_return error(req, bhttp::status::not_found, "No such key");
        id = *decoded;
      }
      if (parts.size() == 3 && parts[2] != "rotate") co_return error(req, bhttp::status::not_found, "No such resource");
      if (parts.size() == 1 && method == bhttp::verb::get) {
        auto keys = co_await net::run_on(ctx.storage, [&] { return users.list_device_keys(user.name); });
        json list = json::array();
        for (auto& k : keys) list.push_back(key_json(k));
        co_return make(req, bhttp::status::ok, json{{"keys", list}});
      }
      if ((parts.size() == 1 || pairing) && method == bhttp::verb::post) {
        auto body = json::parse(req.body(), nullptr, false);
        if (body.is_discarded() || !body.is_object() || !body.contains("device") || !body["device"].is_string())
          co_return error(req, bhttp::status::bad_request, "The body must be {\"device\": \"name\"}");
        auto device = body["device"].get<std::string>();
        if (pairing) {
          auto code = auth::xenc::make_code();
          auto expires = now() + ctx.cfg.pairing_code_lifetime.count();
          co_await net::run_on(ctx.storage, [&] {
            users.add_pairing_code(user.name, device, *auth::xenc::code_hash(auth::xenc::code_use::pairing, code),
                                   now(), expires, ctx.cfg.max_pairing_codes);
          });
          spdlog::info("event=pairing_code protocol=https user=\"{}\" device=\"{}\" expires={}", user.name, device,
                       expires);
          co_return make(req, bhttp::status::created, json{{"code", code}, {"device", device}, {"expires", expires}});
        }
        auto k = co_await net::run_on(ctx.storage, [&] { return users.add_device_key(user.name, device); });
        spdlog::info("event=key_added protocol=https user=\"{}\" key={} device=\"{}\"", user.name,
                     core::hex_encode(k.id), k.device);
        auto res = make(req, bhttp::status::created, key_json(k));
        auth::aead::wipe(k.secret);
        co_return res;
      }
      if (parts.size() == 3 && method == bhttp::verb::post) {
        auto k = co_await net::run_on(ctx.storage, [&] {
          auto made = users.rotate_device_key(user.name, id);
          if (ctx.keys_revoked) ctx.keys_revoked();
          return made;
        });
        spdlog::info("event=key_rotated protocol=https user=\"{}\" old={} key={}", user.name, core::hex_encode(id),
                     core::hex_encode(k.id));
        auto res = make(req, bhttp::status::created, key_json(k));
        auth::aead::wipe(k.secret);
        co_return res;
      }
      if (parts.size() == 2 && !pairing && method == bhttp::verb::delete_) {
        co_await net::run_on(ctx.storage, [&] {
          users.revoke_device_key(user.name, id);
          if (ctx.keys_revoked) ctx.keys_revoked();
        });
        spdlog::info("event=key_revoked protocol=https user=\"{}\" key={}", user.name, core::hex_encode(id));
        co_return make(req, bhttp::status::no_content, json());
      }
      co_return not_allowed(req, parts.size() == 1 ? "GET, POST" : parts.size() == 2 && !pairing ? "DELETE" : "POST");
    } catch (const store::error& e) {
      using code = store::error::code;
      if (e.what_code == code::nonexistent) co_return error(req, bhttp::status::not_found, e.what());
      if (e.what_code == code::invalid_name) co_return error(req, bhttp::status::bad_request, e.what());
      if (e.what_code == code::already_exists || e.what_code == code::limit)
        co_return error(req, bhttp::status::conflict, e.what());
      throw;
    }
  }

  // /smime and /smime/FINGERPRINT: the user's S/MIME certificates, which
  // CONVERT to application/pkcs7-mime envelopes for (docs/xencrypted.md).
  asio::awaitable<response> certificates(const request& req, const store::user_record& user,
                                         const std::vector<std::string_view>& parts) {
    auto& users = ctx.store->users();
    auto method = req.method();
    if (parts.size() == 2 && parts[1] == "server") {
      // The certificate the server made for this user (on the first
      // request): what the user's devices envelope APPENDs for. It opens
      // in this account only.
      if (method != bhttp::verb::get) co_return not_allowed(req, "GET");
      auto id = co_await net::run_on(ctx.storage, [&] { return users.make_server_smime(user.name); });
      auth::aead::wipe(id.private_key);
      response res{bhttp::status::ok, req.version()};
      res.set(bhttp::field::server, "lemonade");
      res.set(bhttp::field::content_type, "application/pem-certificate-chain");  // RFC 8555 §9.1
      res.body() = auth::smime::to_pem(id.certificate);
      co_return res;
    }
    if (parts.size() == 1 && method == bhttp::verb::get) {
      auto certs = co_await net::run_on(ctx.storage, [&] { return users.list_smime_certificates(user.name); });
      json list = json::array();
      for (auto& c : certs) list.push_back(certificate_json(c));
      co_return make(req, bhttp::status::ok, json{{"certificates", list}});
    }
    if (parts.size() == 1 && method == bhttp::verb::post) {
      store::smime_certificate c;
      try {
        auto read = auth::smime::read_certificate(req.body(), now());
        c = {std::move(read.fingerprint), std::move(read.subject), read.not_after, now(), std::move(read.der)};
      } catch (const auth::smime::bad_certificate& e) {
        co_return error(req, bhttp::status::bad_request, e.what());
      }
      co_await net::run_on(ctx.storage,
                           [&] { users.add_smime_certificate(user.name, c, ctx.cfg.smime_max_certificates); });
      spdlog::info("event=smime_certificate_added protocol=https user=\"{}\" fingerprint={} subject=\"{}\"",
                   user.name, core::hex_encode(c.fingerprint), c.subject.substr(0, 200));
      co_return make(req, bhttp::status::created, certificate_json(c));
    }
    if (parts.size() == 2 && method == bhttp::verb::delete_) {
      auto fp = core::hex_decode(parts[1]);
      if (!fp || fp->size() != 32) co_return error(req, bhttp::status::not_found, "No such certificate");
      co_await net::run_on(ctx.storage, [&] { users.remove_smime_certificate(user.name, *fp); });
      spdlog::info("event=smime_certificate_removed protocol=https user=\"{}\" fingerprint={}", user.name,
                   core::hex_encode(*fp));
      co_return make(req, bhttp::status::no_content, json());
    }
    co_return not_allowed(req, parts.size() == 1 ? "GET, POST" : "DELETE");
  }

  asio::awaitable<void> serve(asio::ip::tcp::socket sock) {
    std::string address;
    try {
      auto peer = sock.remote_endpoint();
      address = peer.address().to_string();
      client_facts client{(peer.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(peer.port()),
                          address, peer.address().is_loopback()};
      if (!ctx.store) {
        // The proxy's listener: a binding's session checks the password
        // (no directory here); a wrong one counts as a failed login.
        client.wrong_password = [this, address] {
          auto delay = ctx.throttle.record_failure(address);
          spdlog::info("event=auth_failed protocol=https remote={} delay_ms={}", address, delay.count());
        };
      }
      auto tls = ctx.tls();
      beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), *tls);
      beast::get_lowest_layer(stream).expires_after(io_timeout);
      co_await stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
      beast::flat_buffer buf;
      for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(8192);
        // The long-poll binding's POSTs carry up to a window of octets,
        // other requests up to https.max_request_size. (Beast checks a
        // Content-Length as the header ends: the larger limit first.)
        auto window = std::max<std::uint64_t>(ctx.cfg.https_resume_window, 16 * 1024);
        parser.body_limit(std::max(window, ctx.cfg.https_max_request_size));
        beast::get_lowest_layer(stream).expires_after(io_timeout);
        boost::system::error_code ec;
        co_await bhttp::async_read_header(stream, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
          auto& head = parser.get();
          std::string_view target(head.target().data(), head.target().size());
          bool poll_post = head.method() == bhttp::verb::post &&
                           !ctx.bindings.protocol_at(target.substr(0, target.find('?'))).empty();
          auto limit = poll_post ? window : ctx.cfg.https_max_request_size;
          parser.body_limit(limit);  // for chunked bodies; a Content-Length was checked against the larger one
          beast::get_lowest_layer(stream).expires_after(io_timeout);  // the body's own time
          if (auto length = parser.content_length(); length && *length > limit)
            ec = bhttp::error::body_limit;
          else
            co_await bhttp::async_read(stream, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec == bhttp::error::end_of_stream) break;
        response res;
        bool keep = false, too_large = false;
        if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit) {
          too_large = true;
          request head;
          res = error(head, bhttp::status::payload_too_large, "Request too large");
        } else if (ec) {
          break;
        } else {
          auto req = parser.release();
          std::string_view path(req.target().data(), req.target().size());
          auto protocol = ctx.bindings.protocol_at(path.substr(0, path.find('?')));
          client.device = std::string(req["Lemonade-Device"]);
          if (!protocol.empty() && req.method() != bhttp::verb::options &&
              bhttp::token_list(req[bhttp::field::upgrade]).exists("websocket")) {
            std::optional<resume_request> resume;
            std::optional<response> refused;
            if (std::string_view token = req["Lemonade-Session"]; !token.empty() && token != "new") {
              // A resumption (docs/http-binding.md): the session's own
              // user, by HTTP Basic, and the octets the client has.
              auto who = co_await binding_user(req, address);
              std::string_view received = req["Lemonade-Received"];
              std::uint64_t n = 0;
              auto [end, err] = std::from_chars(received.data(), received.data() + received.size(), n);
              if (auto* r = std::get_if<response>(&who))
                refused = std::move(*r);
              else if (received.empty() || err != std::errc() || end != received.data() + received.size())
                refused = error(req, bhttp::status::bad_request, "Lemonade-Received must be the octets received");
              else
                resume = resume_request{std::string(token), n, std::get<binding_login>(who).name,
                                        std::move(std::get<binding_login>(who).password)};
            }
            if (!refused) {
              co_await serve_websocket(ioc, registry, std::move(stream), std::move(req), protocol,
                                       ctx.bindings.adopt(protocol), std::move(client), std::move(resume));
              co_return;
            }
            res = std::move(*refused);
            keep = false;
          } else if (!protocol.empty() && req.method() != bhttp::verb::options &&
                     (req.method() != bhttp::verb::get || !req["Lemonade-Session"].empty())) {
            // The long-poll binding (docs/http-binding.md, "Long polling").
            auto op = parse_poll(req);
            if (auto* bad = std::get_if<std::string>(&op)) {
              res = error(req, bhttp::status::bad_request, *bad);
            } else {
              std::optional<std::string> login;
              std::optional<std::string> password;
              std::optional<response> refused;
              if (!req[bhttp::field::authorization].empty()) {
                auto who = co_await binding_user(req, address);
                if (auto* r = std::get_if<response>(&who)) {
                  refused = std::move(*r);
                } else {
                  login = std::get<binding_login>(who).name;
                  password = std::move(std::get<binding_login>(who).password);
                }
              }
              if (refused) {
                res = std::move(*refused);
              } else {
                auto poll = std::get<poll_request>(std::move(op));
                res = co_await serve_poll(ioc, registry, req, std::move(poll), protocol, ctx.bindings.adopt(protocol),
                                          client, std::move(login), std::move(password));
              }
            }
            keep = req.keep_alive();
          } else {
            try {
              res = co_await handle(req, address);
            } catch (const std::exception& e) {
              spdlog::error("event=https_failed remote={} error=\"{}\"", address, e.what());
              res = error(req, bhttp::status::internal_server_error, "Internal error; the failure was logged");
            }
            keep = req.keep_alive();
          }
          spdlog::info("event=https remote={} method={} target=\"{}\" status={}", address,
                       std::string(req.method_string()), std::string(req.target().substr(0, 64)),
                       static_cast<unsigned>(res.result()));
        }
        res.keep_alive(keep);
        res.prepare_payload();
        // RFC 9110 §8.6: no Content-Length in a 204.
        if (res.result() == bhttp::status::no_content) res.erase(bhttp::field::content_length);
        beast::get_lowest_layer(stream).expires_after(io_timeout);
        co_await bhttp::async_write(stream, res, asio::use_awaitable);
        if (too_large) {
          // The client may still be sending the body: read and drop it
          // (up to 1 MB, 2 s) before closing, or closing with its octets
          // unread resets the connection before it reads the 413.
          beast::get_lowest_layer(stream).expires_after(2s);
          std::array<char, 16384> sink;
          for (std::size_t drained = 0; drained < (1u << 20);) {
            auto n = co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            drained += n;
          }
        }
        if (!keep) break;
      }
      beast::get_lowest_layer(stream).expires_after(5s);
      boost::system::error_code ignored;
      co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ignored));
    } catch (const std::exception& e) {
      spdlog::debug("event=https_closed remote={} reason=\"{}\"", address, e.what());
    }
  }
};

key_api::key_api(asio::io_context& ioc, key_api_context ctx) : p_(new impl{ioc, std::move(ctx), {}}) {}
key_api::~key_api() = default;

void key_api::listen(const net::host_port& where) {
  p_->acceptors.push_back(net::bind_listener(p_->ioc, where));
  spdlog::info("event=listen protocol=https address={}", p_->acceptors.back().local_endpoint().address().to_string() +
                                                             ":" + std::to_string(p_->acceptors.back().local_endpoint().port()));
}

void key_api::start() {
  p_->save_paths_later();
  for (auto& a : p_->acceptors) {
    net::start_accepting(
        p_->ioc, a,
        [p = p_.get()](asio::ip::tcp::socket s) { asio::co_spawn(s.get_executor(), p->serve(std::move(s)), asio::detached); },
        "https");
  }
}

}  // namespace lemonade::http
