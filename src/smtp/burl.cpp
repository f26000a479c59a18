// RFC 4468 BURL: a piece of the message fetched from an IMAP server by
// URLFETCH (RFC 4467 §7.3) with our own IMAP client, logged in as the
// submission identity (submission.burl_user). Only imap: URLs with a
// URLAUTH for "submit+" the authenticated user, and only from this server
// (server.hostname) or the servers listed in submission.burl_servers:
// never an arbitrary fetch (DESIGN.md §8).
#include <spdlog/spdlog.h>

#include "core/strings.hpp"
#include "imap/client/client.hpp"
#include "imap/syntax/url.hpp"
#include "net/endpoint.hpp"
#include "smtp/message.hpp"
#include "smtp/session.hpp"
#include "smtp/session_impl.hpp"

namespace lemonade::smtp {

using syntax::status_code;

namespace {

// Where the IMAP server a URL names is reached; nullopt: not one we trust.
std::optional<net::host_port> imap_server_for(const core::config& cfg, const std::string& host) {
  if (core::iequals(host, cfg.hostname)) {
    if (cfg.imap_listen.empty()) return std::nullopt;
    return net::parse_host_port(cfg.imap_listen.front());
  }
  for (auto& entry : cfg.burl_servers) {
    auto eq = entry.find('=');
    if (eq == std::string::npos || !core::iequals(std::string_view(entry).substr(0, eq), host)) continue;
    return net::parse_host_port(entry.substr(eq + 1));
  }
  return std::nullopt;
}

}  // namespace

bool session::burl_enabled() const { return !srv_.cfg.burl_user.empty(); }

asio::awaitable<bool> session::burl(const parse::burl_cmd& c) {
  if (!burl_enabled()) {
    reply(502, status_code{5, 5, 1}, "BURL is not available");
    co_return true;
  }
  // RFC 4468 §3.2: "If no valid RCPT TO address is supplied, the BURL
  // command will simply fail, and no resolution of the BURL URL argument
  // will be performed" (§6: 503 5.5.0 / 554 5.5.0).
  if (!tx_) {
    reply(503, status_code{5, 5, 0}, "Valid RCPT TO required before BURL");
    co_return true;
  }
  if (tx_->recipients.empty()) {
    reply(554, status_code{5, 5, 0}, "No recipients have been specified");
    co_return true;
  }
  if (tx_->failed) {
    reply(503, status_code{5, 5, 1}, "The transaction failed; send RSET");
    co_return true;
  }
  // "If the URL fetch fails, the server will fail the entire transaction."
  auto fail = [&](int code, status_code st, std::string text) {
    tx_->failed = true;
    reply(code, st, std::move(text));
  };
  imap::syntax::url_error err;
  auto u = imap::syntax::parse_url(c.url, false, &err);
  if (!u) {
    fail(554, status_code{5, 6, 6}, "IMAP URL resolution failed: " + err.message);
    co_return true;
  }
  // RFC 4468 §3.3: a "submit+" URL is refused "unless the userid in the
  // URL's <access> token matches the submit client's authorization
  // identity"; a URL without URLAUTH cannot be fetched by us at all.
  if (!u->server || !u->access || !u->token) {
    fail(554, status_code{5, 7, 0}, "IMAP URL authorization failed: not a URLAUTH URL");
    co_return true;
  }
  if (!core::iequals(*u->access, "submit+" + user_->name)) {
    fail(554, status_code{5, 7, 0}, "IMAP URL authorization failed: the URL is not for submit+" + user_->name);
    co_return true;
  }
  auto where = imap_server_for(srv_.cfg, u->server->host);
  if (!where) {
    // RFC 4468 §6 "URL resolution requires trust relationship" (X.7.8
    // there; 5.7.8 is RFC 4954's bad credentials, so X.7.14 as registered).
    fail(554, status_code{5, 7, 14}, "URL resolution requires trust relationship with " + u->server->host);
    co_return true;
  }
  imap::client::options o;
  o.host = where->host;
  o.port = where->port;
  o.tls = imap::client::options::security::starttls_if_offered;
  o.tls_context = srv_.client_tls;
  o.server_name = u->server->host;
  o.timeout = std::chrono::seconds(60);
  o.max_response = srv_.cfg.submission_max_message_size + 64 * 1024;
  std::optional<std::string> data;
  std::string trouble;
  try {
    auto conn = co_await imap::client::connection::open(stream_.socket().get_executor(), o);
    co_await conn->login(srv_.cfg.burl_user, srv_.cfg.burl_password);
    // (A named vector: GCC 12 mishandles a braced list in co_await.)
    std::vector<std::string> urls(1, c.url);
    auto items = co_await conn->urlfetch(urls);
    co_await conn->logout();
    if (!items.empty()) data = std::move(items.front().data);
  } catch (const std::exception& e) {
    trouble = e.what();
  }
  if (!trouble.empty()) {
    spdlog::warn("conn={} event=burl_failed host={} error=\"{}\"", conn_.id, u->server->host, trouble);
    fail(451, status_code{4, 4, 1}, "IMAP server unavailable");
    co_return true;
  }
  if (!data) {
    spdlog::info("conn={} event=burl_nil user=\"{}\"", conn_.id, user_->name);
    fail(554, status_code{5, 6, 6}, "IMAP URL resolution failed");
    co_return true;
  }
  auto max = srv_.cfg.submission_max_message_size;
  if (tx_->size + data->size() > max) {
    fail(554, status_code{5, 3, 4}, "Message too big for system");
    co_return true;
  }
  tx_->chunking = true;  // BURL replaces DATA (RFC 4468 §3.1 item 4)
  if (!tx_->content && !co_await begin_content()) co_return true;
  co_await write_content(*data);
  if (tx_->write_error) {
    refuse_write_error(c.last);
    co_return true;
  }
  tx_->size += data->size();
  if (!c.last) {
    reply(250, status_code{2, 5, 0}, std::to_string(data->size()) + " octets fetched; waiting for more BURL or BDAT");
    co_return true;
  }
  co_await finish_message();
  co_return true;
}

}  // namespace lemonade::smtp
