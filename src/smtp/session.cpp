// The submission session: greeting, the command loop with RFC 2920
// pipelining, HELO/EHLO, the transaction commands and the small ones.
// AUTH and STARTTLS are in auth.cpp, DATA/BDAT and the end of a message in
// transaction.cpp.
#include "smtp/session.hpp"
#include "smtp/session_impl.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/asio/dispatch.hpp>

#include "core/strings.hpp"
#include "smtp/message.hpp"

namespace lemonade::smtp {

using syntax::status_code;

namespace {

constexpr std::size_t read_chunk = 16 * 1024;
constexpr auto write_timeout = std::chrono::seconds(60);

}  // namespace

session::session(server_context& srv, net::stream s, connection_info info)
    : srv_(srv),
      stream_(std::move(s)),
      conn_(std::move(info)),
      timer_(stream_.socket().get_executor()),
      framer_(srv.cfg.submission_max_line_length) {}

session::~session() = default;

void session::arm(std::chrono::steady_clock::duration d) {
  timed_out_ = false;
  timer_.expires_after(d);
  std::weak_ptr<session> weak = weak_from_this();
  timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) {
      self->timed_out_ = true;
      self->stream_.cancel();
    }
  });
}

void session::reply(syntax::reply r) {
  // RFC 2034 §4: enhanced codes on every 2xx/4xx/5xx line except the
  // greeting and the replies to HELO/EHLO; never on 3xx.
  syntax::write(out_, r, r.code < 300 || r.code >= 400);
}

void session::reply(int code, status_code status, std::string text) {
  reply(syntax::reply{code, status, {std::move(text)}});
}

asio::awaitable<void> session::flush() {
  if (out_.empty()) co_return;
  arm(write_timeout);
  co_await stream_.write(asio::buffer(out_));
  timer_.cancel();
  out_.clear();
  if (out_.capacity() > read_chunk) out_.shrink_to_fit();
}

void session::request_shutdown() {
  auto self = shared_from_this();
  asio::dispatch(stream_.socket().get_executor(), [self] {
    // The flag is read before each command; a wait for the client is cut
    // short so an idle connection does not hold the shutdown up.
    if (self->waiting_) self->stream_.cancel();
  });
}

void session::end_if_key_revoked(std::function<bool(const std::string&)> revoked) {
  auto self = shared_from_this();
  asio::dispatch(stream_.socket().get_executor(), [self, revoked = std::move(revoked)] {
    if (!self->xenc_ || self->key_revoked_ || !revoked(self->xenc_->key_id)) return;
    self->key_revoked_ = true;
    spdlog::info("conn={} event=key_revoked_session user=\"{}\" key={}", self->conn_.id,
                 self->user_ ? self->user_->name : "", core::hex_encode(self->xenc_->key_id));
    if (self->waiting_) self->stream_.cancel();
  });
}

// The reply that ends a session whose device key was revoked.
void session::reply_key_revoked() {
  reply(421, status_code{4, 7, 0}, srv_.cfg.hostname + " Device key revoked; closing the connection");
}

asio::awaitable<session::read_result> session::read_more() {
  arm(srv_.cfg.submission_timeout);
  auto old = in_.size();
  in_.resize(old + read_chunk);
  waiting_ = true;
  try {
    auto n = co_await stream_.read_some(asio::buffer(in_.data() + old, read_chunk));
    in_.resize(old + n);
  } catch (const boost::system::system_error&) {
    waiting_ = false;
    in_.resize(old);
    timer_.cancel();
    if (srv_.shutting_down) {
      reply(421, status_code{4, 3, 2}, srv_.cfg.hostname + " Server shutting down");
      co_return read_result::closed;
    }
    if (key_revoked_) {
      reply_key_revoked();
      co_return read_result::closed;
    }
    co_return timed_out_ ? read_result::timeout : read_result::closed;
  }
  waiting_ = false;
  timer_.cancel();
  co_return read_result::data;
}

asio::awaitable<void> session::run() {
  auto self = shared_from_this();
  spdlog::info("conn={} event=connect protocol={} remote={} tls={}{}{}", conn_.id, lmtp() ? "lmtp" : "submission",
               conn_.remote, conn_.implicit_tls || !conn_.binding.empty(), conn_.binding.empty() ? "" : " binding=",
               conn_.binding);
  if (!conn_.binding.empty()) tls_ = true;  // the HTTPS listener ended it
  try {
    if (conn_.implicit_tls) {
      auto ctx = srv_.tls ? srv_.tls() : nullptr;
      if (!ctx) throw std::runtime_error("no TLS context");
      arm(std::chrono::seconds(30));
      co_await stream_.start_tls(ctx);
      timer_.cancel();
      tls_ = true;
    }
    co_await serve();
  } catch (const std::exception& e) {
    spdlog::info("conn={} event=connection_error error=\"{}\"", conn_.id, e.what());
  }
  stream_.close();
  spdlog::info("conn={} event=disconnect user=\"{}\" messages={}", conn_.id, user_ ? user_->name : "", messages_);
}

asio::awaitable<void> session::serve() {
  // RFC 5321 §4.2: no enhanced code on the greeting (RFC 2034 §4).
  syntax::write(out_, {220, std::nullopt, {srv_.cfg.hostname + (lmtp() ? " LMTP Lemonade" : " ESMTP Lemonade")}}, false);
  for (;;) {
    // Every complete command in the buffer, in order, replies collected.
    for (;;) {
      auto ev = framer_.next(in_);
      if (ev.what == syntax::line_event::kind::need_more) break;
      if (ev.what == syntax::line_event::kind::too_long) {
        in_.erase(0, ev.size);
        // RFC 5321 §4.5.3.1.4; §4.2.4 allows 500 for a line too long.
        if (ev.ended) reply(500, status_code{5, 5, 6}, "Line too long");
        continue;
      }
      std::string line(syntax::strip_line_end(std::string_view(in_).substr(0, ev.size)));
      in_.erase(0, ev.size);
      if (!co_await handle(line)) {
        co_await flush();
        co_return;
      }
    }
    if (in_.empty() && in_.capacity() > read_chunk) in_.shrink_to_fit();
    // RFC 2920 §3.2: replies go out once no further command is waiting.
    co_await flush();
    auto r = co_await read_more();
    if (r == read_result::timeout) {
      // RFC 5321 §4.5.3.2: the server may close after its timeout.
      reply(421, status_code{4, 4, 2}, srv_.cfg.hostname + " Timeout; closing the connection");
      co_await flush();
      co_return;
    }
    if (r == read_result::closed) {
      co_await flush();  // the 421 of a shutdown, if any
      co_return;
    }
  }
}

std::vector<std::string> session::extensions() const {
  // Every keyword beside its RFC; only what works end to end.
  std::vector<std::string> ext;
  if (lmtp()) {
    // RFC 2033 §5: LMTP takes the ESMTP extensions that make sense for
    // final delivery; no AUTH (the MTA is trusted by where it connects).
    ext.push_back("PIPELINING");
    ext.push_back("SIZE " + std::to_string(srv_.cfg.submission_max_message_size));
    ext.push_back("ENHANCEDSTATUSCODES");
    ext.push_back("8BITMIME");
    ext.push_back("BINARYMIME");
    ext.push_back("CHUNKING");
    ext.push_back("SMTPUTF8");
    return ext;
  }
  ext.push_back("PIPELINING");                                              // RFC 2920
  ext.push_back("SIZE " + std::to_string(srv_.cfg.submission_max_message_size));  // RFC 1870
  ext.push_back("ENHANCEDSTATUSCODES");                                     // RFC 2034
  if (!tls_ && srv_.tls && srv_.tls()) ext.push_back("STARTTLS");           // RFC 3207
  if (!user_ && plaintext_allowed()) ext.push_back("AUTH PLAIN LOGIN SCRAM-SHA-256");  // RFC 4954
  else if (!user_) ext.push_back("AUTH SCRAM-SHA-256");
  ext.push_back("8BITMIME");                                                // RFC 6152
  ext.push_back("BINARYMIME");                                              // RFC 3030
  ext.push_back("CHUNKING");                                                // RFC 3030
  ext.push_back("SMTPUTF8");                                                // RFC 6531
  ext.push_back("DSN");                                                     // RFC 3461
  // RFC 4468 §3.1: bare "BURL" before AUTH ("supported, authentication
  // required"), "BURL imap" after; only with a fetching identity set up.
  if (burl_enabled()) ext.push_back(user_ ? "BURL imap" : "BURL");
  return ext;
}

void session::hello(const parse::hello_cmd& c) {
  // RFC 2033 §4.1: an LMTP server speaks only after LHLO, which an SMTP
  // server does not know.
  if ((c.what == parse::hello_cmd::kind::lhlo) != lmtp()) {
    reply(500, status_code{5, 5, 1}, lmtp() ? "This is LMTP: use LHLO" : "LHLO is for LMTP; this is submission");
    return;
  }
  // RFC 5321 §4.1.4: a later EHLO resets the state as RSET does.
  tx_.reset();
  hello_ = c;
  syntax::reply r{250, std::nullopt, {srv_.cfg.hostname + " Lemonade at your service"}};
  if (c.what != parse::hello_cmd::kind::helo)
    for (auto& e : extensions()) r.lines.push_back(e);
  // RFC 2034 §4: no enhanced code in the reply to HELO/EHLO.
  syntax::write(out_, r, false);
}

asio::awaitable<bool> session::handle(std::string_view line) {
  auto parsed = parse::parse_command(line, {true});
  if (!parsed.cmd) {
    reply(std::move(parsed.error));
    co_return true;
  }
  auto& cmd = *parsed.cmd;
  if (srv_.shutting_down) {
    reply(421, status_code{4, 3, 2}, srv_.cfg.hostname + " Server shutting down");
    co_return false;
  }
  if (key_revoked_) {
    reply_key_revoked();
    co_return false;
  }
  if (auto* c = std::get_if<parse::hello_cmd>(&cmd)) {
    hello(*c);
  } else if (std::holds_alternative<parse::quit_cmd>(cmd)) {
    reply(221, status_code{2, 0, 0}, srv_.cfg.hostname + " Bye");
    co_return false;
  } else if (std::holds_alternative<parse::noop_cmd>(cmd)) {
    reply(250, status_code{2, 0, 0}, "OK");
  } else if (std::holds_alternative<parse::rset_cmd>(cmd)) {
    // RFC 5321 §4.1.1.5: the transaction is dropped; EHLO, AUTH and TLS stay.
    tx_.reset();
    reply(250, status_code{2, 0, 0}, "OK");
  } else if (std::holds_alternative<parse::vrfy_cmd>(cmd)) {
    // RFC 5321 §3.5.3: a server that will not verify says 252.
    reply(252, status_code{2, 5, 0}, "Cannot VRFY user, but will accept message and attempt delivery");
  } else if (std::holds_alternative<parse::help_cmd>(cmd)) {
    reply(syntax::reply{214, status_code{2, 0, 0},
                        {"Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT",
                         "See RFC 5321 and RFC 6409"}});
  } else if (lmtp() && (std::holds_alternative<parse::starttls_cmd>(cmd) || std::holds_alternative<parse::auth_cmd>(cmd) ||
                         std::holds_alternative<parse::burl_cmd>(cmd))) {
    reply(502, status_code{5, 5, 1}, "Not available over LMTP");
  } else if (std::holds_alternative<parse::starttls_cmd>(cmd)) {
    co_return co_await starttls();
  } else if (auto* c = std::get_if<parse::auth_cmd>(&cmd)) {
    co_return co_await authenticate(*c);
  } else if (auto* c = std::get_if<parse::xkey_cmd>(&cmd); c && !lmtp()) {
    co_await xkey(*c);
  } else if (auto* c = std::get_if<parse::xsealed_cmd>(&cmd); c && !lmtp()) {
    co_await xsealed(*c);
  } else if (proxy() && !std::holds_alternative<parse::bdat_cmd>(cmd) && !sealed_allows(cmd, line)) {
    // replied
  } else if (auto* c = std::get_if<parse::mail_cmd>(&cmd)) {
    mail(std::move(*c));
  } else if (auto* c = std::get_if<parse::rcpt_cmd>(&cmd)) {
    co_await rcpt(std::move(*c));
  } else if (std::holds_alternative<parse::data_cmd>(cmd)) {
    co_return co_await data();
  } else if (auto* c = std::get_if<parse::bdat_cmd>(&cmd)) {
    co_return co_await bdat(*c);
  } else if (auto* c = std::get_if<parse::burl_cmd>(&cmd)) {
    // A proxy identity's sealed BURL LAST (sealed_allows let it through):
    // its reply is sealed for the device, and the seal is spent (one
    // sealed envelope, one message).
    std::optional<std::uint64_t> seal = proxy() && c->last && sealed_ ? std::optional(sealed_->seq) : std::nullopt;
    auto from = out_.size();
    auto alive = co_await burl(*c);
    if (seal) {
      seal_reply(from, *seal);
      sealed_.reset();
    }
    co_return alive;
  } else if (std::holds_alternative<parse::xkey_cmd>(cmd) || std::holds_alternative<parse::xsealed_cmd>(cmd)) {
    reply(502, status_code{5, 5, 1}, "Not available over LMTP");
  }
  co_return true;
}

void session::mail(parse::mail_cmd c) {
  if (!hello_) {
    reply(503, status_code{5, 5, 1}, "Say EHLO first");
    return;
  }
  // RFC 6409 §4.3: "The MSA MUST, by default, issue an error response to
  // the MAIL command if the session has not been authenticated".
  if (!user_ && !lmtp()) {
    reply(530, status_code{5, 7, 0}, "Authentication required");
    return;
  }
  if (tx_) {
    // RFC 5321 §4.1.4: no MAIL inside a transaction.
    reply(503, status_code{5, 5, 1}, "Nested MAIL command");
    return;
  }
  if (auto most = lmtp() ? srv_.cfg.lmtp_max_messages : srv_.cfg.submission_max_messages; most > 0 && messages_ >= most) {
    reply(452, status_code{4, 5, 3}, "Too many messages in this connection; reconnect to send more");
    return;
  }
  // RFC 1870 §6: a declared SIZE over the limit is refused now.
  if (c.size && *c.size > srv_.cfg.submission_max_message_size) {
    reply(552, status_code{5, 3, 4}, "Message size exceeds the fixed limit of " +
                                         std::to_string(srv_.cfg.submission_max_message_size) + " octets");
    return;
  }
  // RFC 6409 §6.1: the sender must be one of the user's addresses; a null
  // reverse path is allowed (§3.2: "MUST NOT, in itself, be cause for
  // rejecting a message").
  if (!lmtp() && !c.from.empty() && !srv_.addresses.owns(*user_, c.from.local, c.from.domain)) {
    reply(550, status_code{5, 7, 1}, "Sender address <" + c.from.text() + "> is not yours (" + user_->name + ")");
    return;
  }
  tx_.emplace();
  auto from = c.from.text();
  tx_->mail = std::move(c);
  reply(250, status_code{2, 1, 0}, "Sender <" + from + "> OK");
}

asio::awaitable<void> session::rcpt(parse::rcpt_cmd c) {
  if (!tx_) {
    // RFC 5321 §3.3: RCPT without MAIL is 503.
    reply(503, status_code{5, 5, 1}, "Need MAIL before RCPT");
    co_return;
  }
  if (tx_->chunking) {
    reply(503, status_code{5, 5, 1}, "RCPT after BDAT");
    co_return;
  }
  if (tx_->recipients.size() >= srv_.cfg.submission_max_recipients) {
    // RFC 5321 §4.5.3.1.10: 452 for too many recipients.
    reply(452, status_code{4, 5, 3}, "Too many recipients");
    co_return;
  }
  auto to = c.to;
  if (to.domain.empty()) {
    // RFC 5321 §4.1.1.3: <Postmaster> is this server's postmaster.
    to.domain = srv_.cfg.domains.empty() ? srv_.cfg.hostname : srv_.cfg.domains.front();
  }
  if (srv_.addresses.is_list(to.local, to.domain)) {
    // A list alias: a copy for each member, through the queue (LMTP too),
    // which retries and reports for each on its own.
    auto members = co_await quick_read(
        [&] { return srv_.addresses.list_members(to.local, to.domain).value_or(std::vector<std::string>{}); });
    if (members.empty()) {
      reply(550, status_code{5, 1, 1}, "No such user here: <" + to.text() + ">");
      co_return;
    }
    tx_->recipients.push_back({to, std::move(c), {}, std::move(members)});
    reply(250, status_code{2, 1, 5}, "Recipient <" + to.text() + "> OK");
    co_return;
  }
  auto target = co_await quick_read([&] { return srv_.addresses.resolve(to.local, to.domain); });
  bool can_relay = !srv_.cfg.relay_smarthost.empty() || srv_.cfg.relay_mx;
  if (!target && !lmtp() && can_relay && !srv_.addresses.is_local_domain(to.domain)) {
    // For another server: the queue relays it, through relay.smarthost or
    // to the domain's MX hosts. (Only authenticated users get here: RFC
    // 6409 §4.3.)
    tx_->recipients.push_back({to, std::move(c), {}, {}});
    reply(250, status_code{2, 1, 5}, "Recipient <" + to.text() + "> OK");
    co_return;
  }
  if (!target) {
    if (srv_.addresses.is_local_domain(to.domain)) {
      reply(550, status_code{5, 1, 1}, "No such user here: <" + to.text() + ">");
    } else {
      // With relaying off, mail for other servers could not leave: refused
      // rather than accepted. LMTP delivers only to this server's accounts
      // (RFC 2033 §4.2).
      if (lmtp()) reply(550, status_code{5, 1, 1}, "Not a local address: <" + to.text() + ">");
      else reply(550, status_code{5, 7, 1}, "Relaying to <" + to.text() + "> is not available on this server");
    }
    co_return;
  }
  if (srv_.cfg.max_account_size > 0) {
    // A recipient whose quota the message cannot fit is refused here,
    // before the message is sent (RFC 5321 §4.3.2 lists 452 and 552 among
    // RCPT's replies), with the codes its delivery would get: RFC 3463
    // X.2.2 "Mailbox full" is transient (the user may make room), X.2.3
    // "Message length exceeds administrative limit" is not. The size is
    // the one MAIL declared (RFC 1870 SIZE=), else a message of one octet:
    // a full account. Delivery checks again with the real size.
    std::uint64_t size = std::max<std::uint64_t>(tx_->mail.size.value_or(1), 1);
    if (size > srv_.cfg.max_account_size) {
      reply(552, status_code{5, 2, 3}, "<" + to.text() + "> Message is larger than the mailbox quota");
      co_return;
    }
    auto full = co_await blocking(
        [&]() -> std::optional<std::string> {
          try {
            srv_.store.open_account(target->user)->check_quota(size);
          } catch (const store::error& e) {
            if (e.what_code == store::error::code::over_quota) return std::string(e.what());
            spdlog::warn("conn={} event=quota_check rcpt=\"{}\" error=\"{}\"", conn_.id, to.text(), e.what());
          } catch (const std::exception& e) {
            // Not decided here: the delivery will say.
            spdlog::warn("conn={} event=quota_check rcpt=\"{}\" error=\"{}\"", conn_.id, to.text(), e.what());
          }
          return std::nullopt;
        },
        srv_.reads);
    if (full) {
      spdlog::info("conn={} event=rcpt_refused rcpt=\"{}\" reason=\"{}\"", conn_.id, to.text(), *full);
      reply(452, status_code{4, 2, 2}, "<" + to.text() + "> Mailbox full (quota exceeded)");
      co_return;
    }
  }
  tx_->recipients.push_back({to, std::move(c), std::move(*target), {}});
  reply(250, status_code{2, 1, 5}, "Recipient <" + to.text() + "> OK");
}

}  // namespace lemonade::smtp
