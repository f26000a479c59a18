// Sealed submission (docs/xencrypted.md): an operator's proxy that logs in
// to submission as a proxy identity ("alice+phone") may send only what the
// device sealed under its key. After XKEY binds the session to a device
// key (as in IMAP), XSEALED carries one object (context "SUBMIT") whose
// plaintext is the transaction's command lines, CRLF-separated:
//   MAIL FROM:<alice@example.org>
//   RCPT TO:<bob@example.org>            (one or more)
//   BURL imap://...;urlauth=submit+alice:internal:... LAST
// The proxy then sends those lines; each must be one of them exactly, used
// once, and the BURL LAST only runs when every sealed recipient was
// accepted. So the proxy can change neither the recipients nor the
// content (the URL names one message, by UIDVALIDITY and UID), and cannot
// send the message twice: one seal, one message. The message must be one
// the device itself appended as encrypted literals (store::new_message::
// sealed_by): so a proxy that altered the APPENDUID the device was told
// cannot have it seal a URL of mail someone else put in the mailbox.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/strings.hpp"
#include "imap/syntax/url.hpp"
#include "smtp/message.hpp"
#include "smtp/session_impl.hpp"

namespace lemonade::smtp {

using syntax::status_code;

asio::awaitable<void> session::xkey(const parse::xkey_cmd& c) {
  if (!user_) {
    reply(530, status_code{5, 7, 0}, "Authentication required");
    co_return;
  }
  if (tx_) {
    reply(503, status_code{5, 5, 1}, "XKEY during a mail transaction");
    co_return;
  }
  auto name = user_->name;
  auto key = co_await blocking([&] { return srv_.store.users().find_device_key(name, c.key_id); }, srv_.reads);
  if (!key) {
    spdlog::info("conn={} event=xkey_refused protocol=submission user=\"{}\" key={}", conn_.id, name,
                 core::hex_encode(c.key_id));
    reply(550, status_code{5, 7, 1}, "No key in use with that id");
    co_return;
  }
  auto x = auth::xenc::bind_session(key->id, key->secret, name, c.client_nonce);
  auto server_nonce = core::hex_encode(x.binding.server_nonce);
  xenc_ = std::move(x);
  sealed_.reset();
  reply(250, status_code{2, 0, 0}, "XKEY " + core::hex_encode(c.key_id) + " " + server_nonce);
}

std::string session::sealed_message_refusal(const parse::burl_cmd& b) {
  auto u = imap::syntax::parse_url(b.url, false);
  // This server's, the account's own, one message by UIDVALIDITY and UID.
  if (!u || !u->server || !core::iequals(u->server->host, srv_.cfg.hostname) || !u->server->user ||
      !core::iequals(*u->server->user, user_->name) || !u->uidvalidity || !u->uid || u->search)
    return "The sealed BURL must name one message of this account on this server";
  auto account = srv_.accounts->open(*user_);
  auto mb = account->store().find_mailbox(u->mailbox);
  auto by = mb && mb->uidvalidity == *u->uidvalidity
                ? account->store().sealed_by(mb->id, store::uid{*u->uid})
                : std::nullopt;
  if (!by) return "The sealed BURL's message does not exist";
  if (by->empty()) return "The sealed BURL's message was not appended encrypted by a device of this account";
  // By a key still in use: not one revoked since (a lost phone's).
  if (!srv_.store.users().find_device_key(user_->name, *by))
    return "The sealed BURL's message was appended under a device key no longer in use";
  return {};
}

asio::awaitable<void> session::xsealed(const parse::xsealed_cmd& c) {
  auto refuse = [&](std::string why, std::string text) {
    spdlog::info("conn={} event=seal_refused protocol=submission user=\"{}\" why={}", conn_.id,
                 user_ ? user_->name : "", why);
    reply(554, status_code{5, 7, 1}, std::move(text));
  };
  if (!xenc_) {
    reply(503, status_code{5, 5, 1}, "XSEALED needs XKEY first");
    co_return;
  }
  if (tx_) {
    reply(503, status_code{5, 5, 1}, "XSEALED during a mail transaction");
    co_return;
  }
  auto& x = *xenc_;
  auto got = auth::xenc::open_client(x, "SUBMIT", c.object);
  if (!got) {
    refuse("does_not_open", "The sealed envelope does not open under the session's key and binding");
    co_return;
  }
  if (got->h.seq <= x.received) {
    refuse("replayed", "The sealed envelope's sequence number is not above the last one");
    co_return;
  }
  x.received = got->h.seq;
  // MAIL, then RCPTs, then one BURL ... LAST: each line as the parser takes it.
  sealed_envelope env;
  std::string_view rest = got->plain;
  bool burl = false, ok = true;
  std::optional<parse::burl_cmd> burl_cmd;
  while (ok && !rest.empty()) {
    auto end = rest.find("\r\n");
    auto line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    auto p = parse::parse_command(line, {true});
    if (!p.cmd || burl) {
      ok = false;
    } else if (std::holds_alternative<parse::mail_cmd>(*p.cmd)) {
      ok = env.mail.empty();
      env.mail = line;
    } else if (std::holds_alternative<parse::rcpt_cmd>(*p.cmd)) {
      ok = !env.mail.empty();
      env.rcpts.emplace_back(std::string(line), false);
    } else if (auto* b = std::get_if<parse::burl_cmd>(&*p.cmd)) {
      ok = !env.rcpts.empty() && b->last;
      env.burl = line;
      burl_cmd = *b;
      burl = true;
    } else {
      ok = false;
    }
  }
  if (!ok || !burl) {
    sealed_.reset();
    reply(501, status_code{5, 5, 4}, "The sealed envelope must be MAIL FROM, RCPT TO lines and one BURL ... LAST");
    co_return;
  }
  auto why = co_await blocking([&] { return sealed_message_refusal(*burl_cmd); }, srv_.reads);
  if (!why.empty()) {
    sealed_.reset();
    refuse("message_not_sealed", why);
    co_return;
  }
  spdlog::info("conn={} event=sealed protocol=submission user=\"{}\" recipients={} seq={}", conn_.id, user_->name,
               env.rcpts.size(), got->h.seq);
  auto n = env.rcpts.size();
  env.seq = got->h.seq;
  sealed_ = std::move(env);
  reply(250, status_code{2, 0, 0}, "Sealed envelope accepted for " + std::to_string(n) + " recipient(s)");
}

bool session::sealed_allows(const parse::command& cmd, std::string_view line) {
  auto refuse = [&](int code, std::string text) {
    spdlog::info("conn={} event=proxy_refused protocol=submission user=\"{}\" proxy=\"{}\" line=\"{}\"", conn_.id,
                 user_->name, user_->proxy->label, std::string(line.substr(0, line.find(' '))));
    reply(code, status_code{5, 7, 1}, std::move(text));
    return false;
  };
  while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
  if (std::holds_alternative<parse::mail_cmd>(cmd)) {
    if (!sealed_ || sealed_->mail_used || line != sealed_->mail)
      return refuse(550, "A proxy identity's MAIL FROM must be the one its device sealed (XSEALED)");
    sealed_->mail_used = true;
  } else if (std::holds_alternative<parse::rcpt_cmd>(cmd)) {
    if (!sealed_ || !sealed_->mail_used) return refuse(550, "Recipients come in a sealed envelope (XSEALED)");
    auto it = std::find_if(sealed_->rcpts.begin(), sealed_->rcpts.end(),
                           [&](auto& r) { return !r.second && r.first == line; });
    if (it == sealed_->rcpts.end()) return refuse(550, "This recipient is not in the sealed envelope");
    it->second = true;
  } else if (std::holds_alternative<parse::data_cmd>(cmd)) {
    return refuse(550, "A proxy identity's message comes by the sealed BURL");
  } else if (std::holds_alternative<parse::burl_cmd>(cmd)) {
    if (!sealed_ || !sealed_->mail_used || line != sealed_->burl)
      return refuse(554, "This BURL is not the sealed envelope's");
    // Every sealed recipient sent and accepted: no fewer than the device
    // asked for.
    bool all = std::all_of(sealed_->rcpts.begin(), sealed_->rcpts.end(), [](auto& r) { return r.second; });
    if (!all || !tx_ || tx_->recipients.size() != sealed_->rcpts.size()) {
      // The seal is spent, and this answer to it sealed for the device.
      auto seq = sealed_->seq;
      tx_.reset();
      sealed_.reset();
      auto from = out_.size();
      refuse(554, "Not every recipient of the sealed envelope was accepted; nothing was sent");
      seal_reply(from, seq);
      return false;
    }
  }
  return true;
}

void session::seal_reply(std::size_t from, std::uint64_t seq) {
  if (!xenc_ || from >= out_.size()) return;
  // The plaintext is the reply as sent, its last CRLF left off, under the
  // context "SUBMIT <n>" (n the seal's sequence number): a proxy cannot
  // claim a message was sent, or refused, in the store's place.
  std::string_view reply_text(out_);
  reply_text.remove_prefix(from);
  reply_text.remove_suffix(2);
  auto& x = *xenc_;
  auto obj = auth::xenc::seal(x.key, auth::xenc::direction::to_client, x.key_id, ++x.sent, x.binding,
                              "SUBMIT " + std::to_string(seq), reply_text);
  // "250-2.0.0 XSEALED <base64>": the reply's own enhanced code on the
  // line too (RFC 2034 §4).
  auto words = reply_text.substr(4);
  auto code = words.substr(0, words.find(' '));
  bool enhanced = !code.empty() && code[0] >= '2' && code[0] <= '5' && code.find('.') != std::string_view::npos;
  out_.insert(from, std::string(reply_text.substr(0, 3)) + "-" + (enhanced ? std::string(code) + " " : "") +
                        "XSEALED " + core::base64_encode(obj) + "\r\n");
}

}  // namespace lemonade::smtp
