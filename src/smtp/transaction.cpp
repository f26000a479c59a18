// The content of a mail transaction: DATA (RFC 5321 §4.1.1.4, §4.5.2),
// BDAT (RFC 3030 §2-4), and the end of a message: queued durably before
// the 250 (DESIGN.md §5).
#include <system_error>
#include <tuple>

#include <spdlog/spdlog.h>

#include "core/strings.hpp"
#include "delivery/local.hpp"

#include "smtp/message.hpp"
#include "smtp/session.hpp"
#include "smtp/session_impl.hpp"

namespace lemonade::smtp {

using syntax::status_code;

namespace {

// Content is written to the staged file on a storage thread in pieces of
// about this size (a write can block on a busy disk).
constexpr std::size_t write_batch = 256 * 1024;

// RFC 5321 §4.4 Stamp; `with` as RFC 3848 names the protocol.
std::string received_field(const connection_info& conn, const std::string& helo, const std::string& hostname,
                           const std::string& with, const std::string& rcpt) {
  auto literal = conn.address.find(':') != std::string::npos ? "[IPv6:" + conn.address + "]" : "[" + conn.address + "]";
  std::string out = "Received: from " + helo + " (" + literal + ")\r\n\tby " + hostname + " (Lemonade) with " + with;
  if (!rcpt.empty()) out += "\r\n\tfor <" + rcpt + ">";
  out += "; " + rfc5322_now() + "\r\n";
  return out;
}

// The reply code for an exception thrown while storing: 452 when the
// disk is short (RFC 3463 4.3.1), else 451 (4.3.0); and its text.
std::pair<int, std::string> storage_failure(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const store::error& err) {
    return {err.what_code == store::error::code::no_space ? 452 : 451, err.what()};
  } catch (const std::system_error& err) {
    return {err.code() == std::errc::no_space_on_device ? 452 : 451, err.what()};
  } catch (const std::exception& err) {
    return {451, err.what()};
  }
}

// The store's words when e is an over-quota refusal.
std::optional<std::string> over_quota(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const store::error& err) {
    if (err.what_code == store::error::code::over_quota) return std::string(err.what());
  } catch (...) {
  }
  return std::nullopt;
}

}  // namespace

void session::start_transaction_content() {
  if (tx_->content) return;
  bool lists = false;
  for (auto& r : tx_->recipients) lists = lists || !r.members.empty();
  if (lmtp() && !tx_->recipients.empty() && !lists) {
    tx_->content_account = srv_.accounts->open(tx_->recipients.front().target.user);
    tx_->content = tx_->content_account->store().stage_message();
  } else {
    // Submission, or LMTP to a list: staged in the queue's space; over
    // LMTP the accounts' copies are made from it, then the list's queued
    // message takes it.
    tx_->content = srv_.store.queue().stage();
  }
  auto rcpt = tx_->recipients.size() == 1 ? tx_->recipients.front().address.text() : std::string();
  auto with = lmtp() ? std::string("LMTP") : std::string("ESMTP") + (tls_ ? "S" : "") + (user_ ? "A" : "");
  auto received = received_field(conn_, hello_ ? hello_->domain : "unknown", srv_.cfg.hostname, with, rcpt);
  if (lmtp()) {
    // RFC 5321 §4.4: the final delivery puts the reverse path in a
    // Return-Path: field at the top.
    received = "Return-Path: <" + (tx_->mail.from.empty() ? std::string() : tx_->mail.from.text()) + ">\r\n" + received;
  }
  tx_->writer = std::make_unique<message_writer>(*tx_->content, received, srv_.cfg.hostname, 256 * 1024, !lmtp());
}

asio::awaitable<bool> session::begin_content() {
  std::string failure;
  int code = 451;
  try {
    co_await blocking(
        [&] {
          start_transaction_content();
          return true;
        },
        srv_.storage);
    co_return true;
  } catch (...) {
    std::tie(code, failure) = storage_failure(std::current_exception());
  }
  spdlog::warn("conn={} event=queue_unavailable error=\"{}\"", conn_.id, failure);
  tx_.reset();
  if (code == 452) reply(452, status_code{4, 3, 1}, "Insufficient system storage; try again later");
  else reply(451, status_code{4, 3, 0}, "Local error in processing; try again later");
  co_return false;
}

asio::awaitable<void> session::write_content(std::string_view piece) {
  if (tx_->write_error) co_return;
  try {
    co_await blocking(
        [&] {
          tx_->writer->write(piece);
          return true;
        },
        srv_.storage);
  } catch (...) {
    tx_->write_error = storage_failure(std::current_exception());
    spdlog::warn("conn={} event=queue_write_failed error=\"{}\"", conn_.id, tx_->write_error->second);
  }
}

void session::reply_storage_failure(const recipient& r, int code) {
  if (code == 452) reply(452, status_code{4, 3, 1}, "<" + r.address.text() + "> Insufficient system storage");
  else reply(451, status_code{4, 3, 0}, "<" + r.address.text() + "> Local error in processing");
}

store::queued_message session::queued_envelope() const {
  store::queued_message m;
  m.sender = tx_->mail.from.empty() ? "" : tx_->mail.from.text();
  m.envid = tx_->mail.envid.value_or("");
  m.ret = static_cast<int>(tx_->mail.ret);
  m.body = static_cast<int>(tx_->mail.body);
  m.smtputf8 = tx_->mail.smtputf8;
  return m;
}

void session::refuse_write_error(bool end_of_content) {
  if (lmtp() && end_of_content) {
    // RFC 2033 §4.2: after the content, one reply per recipient.
    for (auto& r : tx_->recipients) reply_storage_failure(r, tx_->write_error->first);
  } else if (tx_->write_error->first == 452) {
    reply(452, status_code{4, 3, 1}, "Insufficient system storage; try again later");
  } else {
    reply(451, status_code{4, 3, 0}, "Local error in processing; try again later");
  }
  tx_.reset();
}

asio::awaitable<bool> session::data() {
  if (!tx_) {
    reply(503, status_code{5, 5, 1}, "Need MAIL and RCPT before DATA");
    co_return true;
  }
  if (tx_->recipients.empty()) {
    // RFC 5321 §3.3: "no valid recipients" (554) when every RCPT failed.
    reply(554, status_code{5, 5, 1}, "No valid recipients");
    co_return true;
  }
  if (tx_->chunking) {
    // RFC 3030 §4.1: DATA after BDAT in one transaction is 503.
    reply(503, status_code{5, 5, 1}, "DATA after BDAT; use BDAT to the end or RSET");
    co_return true;
  }
  if (tx_->mail.body == parse::body_type::binary_mime) {
    // RFC 3030 §3: BINARYMIME content is sent with BDAT only.
    reply(503, status_code{5, 5, 1}, "BODY=BINARYMIME requires BDAT");
    co_return true;
  }
  if (!co_await begin_content()) co_return true;
  reply(354, status_code{}, "Start mail input; end with <CRLF>.<CRLF>");
  co_await flush();
  syntax::data_decoder dec(srv_.cfg.submission_max_message_size);
  std::string pending;
  for (;;) {
    auto r = dec.feed(in_, pending);
    in_.erase(0, r.consumed);
    // The last piece is written with the message's delivery or queueing
    // (finish_message), in the same trip to the storage threads.
    if (r.done) break;
    if (pending.size() >= write_batch) {
      co_await write_content(pending);
      pending.clear();
    }
    auto got = co_await read_more();
    if (got != read_result::data) {
      tx_.reset();
      co_return false;  // the client went away (or timed out) mid-message
    }
  }
  if (dec.too_big()) {
    tx_.reset();
    reply(552, status_code{5, 3, 4}, "Message size exceeds the fixed limit of " +
                                         std::to_string(srv_.cfg.submission_max_message_size) + " octets");
    co_return true;
  }
  if (dec.bare_line_end()) {
    // RFC 5321 §2.3.8: "CR and LF MUST only occur together as CRLF".
    tx_.reset();
    reply(554, status_code{5, 6, 0}, "Message contains a bare CR or LF; lines must end with CRLF");
    co_return true;
  }
  if (tx_->write_error) {
    refuse_write_error(true);
    co_return true;
  }
  co_await finish_message(std::move(pending));
  co_return true;
}

asio::awaitable<bool> session::discard_octets(std::uint64_t n) {
  // RFC 3030 §2: a failed BDAT's chunk is still read and dropped.
  for (;;) {
    auto take = std::min<std::uint64_t>(n, in_.size());
    in_.erase(0, take);
    n -= take;
    if (n == 0) co_return true;
    if (co_await read_more() != read_result::data) co_return false;
  }
}

asio::awaitable<bool> session::bdat(const parse::bdat_cmd& c) {
  auto refuse = [&](int code, status_code st, std::string text) -> asio::awaitable<bool> {
    bool alive = co_await discard_octets(c.size);
    reply(code, st, std::move(text));
    co_return alive;
  };
  // docs/xencrypted.md: a proxy identity's message is the one the device
  // sealed the URL of, fetched by BURL; never content the proxy sends.
  if (proxy())
    co_return co_await refuse(550, status_code{5, 7, 1}, "A proxy identity's message comes by the sealed BURL");
  if (!tx_) co_return co_await refuse(503, status_code{5, 5, 1}, "Need MAIL and RCPT before BDAT");
  if (tx_->failed) {
    // RFC 3030 §2: chunks already in the pipeline after a failed one are
    // dropped; the transaction stays failed until RSET.
    co_return co_await refuse(503, status_code{5, 5, 1}, "The transaction failed; send RSET");
  }
  if (tx_->recipients.empty()) co_return co_await refuse(554, status_code{5, 5, 1}, "No valid recipients");
  auto max = srv_.cfg.submission_max_message_size;
  if (c.size > max || tx_->size + c.size > max) {
    tx_->failed = true;
    co_return co_await refuse(552, status_code{5, 3, 4},
                              "Message size exceeds the fixed limit of " + std::to_string(max) + " octets");
  }
  tx_->chunking = true;
  if (!tx_->content && !co_await begin_content()) {
    // The reply is given; the chunk's octets are still read (RFC 3030 §2).
    co_return co_await discard_octets(c.size);
  }
  std::uint64_t left = c.size;
  for (;;) {
    auto take = std::min<std::uint64_t>(left, in_.size());
    if (take > 0 && (take >= write_batch || take == left)) {
      co_await write_content(std::string_view(in_).substr(0, take));
      in_.erase(0, take);
      left -= take;
    }
    if (left == 0) break;
    if (co_await read_more() != read_result::data) {
      tx_.reset();
      co_return false;
    }
  }
  tx_->size += c.size;
  if (tx_->write_error) {
    refuse_write_error(c.last);
    co_return true;
  }
  if (!c.last) {
    // RFC 3030 §2: "A 250 response MUST be sent to each successful BDAT
    // data block".
    reply(250, status_code{2, 0, 0}, std::to_string(c.size) + " octets received");
    co_return true;
  }
  co_await finish_message();
  co_return true;
}

asio::awaitable<void> session::deliver_lmtp(std::string last) {
  mailbox::describe_limits limits;
  limits.parse.max_depth = srv_.cfg.max_mime_depth;
  limits.parse.max_parts = srv_.cfg.max_mime_parts;
  limits.max_search_body = static_cast<std::size_t>(srv_.cfg.max_indexed_text);
  auto& rcpts = tx_->recipients;
  // What became of each recipient, decided in one trip to the storage
  // threads (the content's last piece, the check, every copy), then
  // answered here. RFC 2033 §4.2: one reply per recipient, in the order
  // of the RCPTs.
  struct outcome {
    int code = 250;                          // 250, or 451/452 (storage_failure)
    std::string failure;                     // its text
    std::optional<std::string> over_quota;   // a full account, in the store's words
  };
  std::vector<outcome> outcomes(rcpts.size());
  std::optional<std::pair<int, std::string>> write_failure;
  std::int64_t list_queue_id = 0;
  bool ok = true;
  co_await blocking(
      [&] {
        try {
          if (!last.empty()) tx_->writer->write(last);
          tx_->writer->finish();
          tx_->content->finish();
        } catch (...) {
          write_failure = storage_failure(std::current_exception());
          return true;
        }
        ok = delivery::storable(tx_->content->view(), limits);
        if (!ok) return true;
        bool first_direct = true;
        for (std::size_t i = 0; i < rcpts.size(); ++i) {
          auto& r = rcpts[i];
          if (!r.members.empty()) continue;
          // The first account's copy is the staged file itself, renamed,
          // when it was staged there (no list among the recipients).
          bool adopt = first_direct && tx_->content_account;
          first_direct = false;
          try {
            if (adopt) delivery::deliver(*srv_.accounts, r.target, tx_->content, limits);
            else delivery::deliver(*srv_.accounts, r.target, std::string(tx_->content->view()), limits);
          } catch (...) {
            auto e = std::current_exception();
            outcomes[i].over_quota = over_quota(e);
            if (!outcomes[i].over_quota) std::tie(outcomes[i].code, outcomes[i].failure) = storage_failure(e);
          }
        }
        // The lists last, in one queued message: it takes the content
        // staged in the queue's space, once the accounts have their copies.
        if (!tx_->content_account) {
          auto m = queued_envelope();
          queue_recipients(m, rcpts, true);
          try {
            list_queue_id = srv_.store.queue().enqueue(std::move(m), *tx_->content);
          } catch (...) {
            auto f = storage_failure(std::current_exception());
            for (std::size_t i = 0; i < rcpts.size(); ++i)
              if (!rcpts[i].members.empty()) outcomes[i] = {f.first, f.second, std::nullopt};
          }
        }
        return true;
      },
      srv_.storage);
  if (list_queue_id && srv_.queued) srv_.queued();
  for (std::size_t i = 0; i < rcpts.size(); ++i) {
    auto& r = rcpts[i];
    auto& o = outcomes[i];
    if (write_failure) {
      // The content could not be stored (a full disk): a temporary
      // failure for every recipient.
      if (i == 0)
        spdlog::warn("conn={} event=delivery protocol=lmtp error=\"{}\"", conn_.id, write_failure->second);
      reply_storage_failure(r, write_failure->first);
      continue;
    }
    if (!ok) {
      reply(554, status_code{5, 6, 0}, "<" + r.address.text() + "> A NUL octet outside any body part cannot be stored");
      continue;
    }
    if (o.over_quota) {
      // RFC 2033 §4.2, RFC 3463: a full mailbox is this recipient's
      // temporary failure (4.2.2); a message bigger than the whole quota
      // will never fit (5.2.3).
      bool never = tx_->content->size() > srv_.cfg.max_account_size;
      spdlog::warn("conn={} event=delivery protocol=lmtp rcpt=\"{}\" error=\"{}\"", conn_.id, r.address.text(),
                   *o.over_quota);
      if (never) reply(552, status_code{5, 2, 3}, "<" + r.address.text() + "> Message is larger than the mailbox quota");
      else reply(452, status_code{4, 2, 2}, "<" + r.address.text() + "> Mailbox full (quota exceeded)");
      continue;
    }
    if (o.code != 250) {
      spdlog::warn("conn={} event=delivery protocol=lmtp rcpt=\"{}\" error=\"{}\"", conn_.id, r.address.text(),
                   o.failure);
      // RFC 2033 §4.2: a temporary failure for this recipient only.
      reply_storage_failure(r, o.code);
      continue;
    }
    if (!r.members.empty()) {
      spdlog::info("conn={} event=delivery protocol=lmtp rcpt=\"{}\" result=queued queue_id={} members={}", conn_.id,
                   r.address.text(), list_queue_id, r.members.size());
      reply(250, status_code{2, 1, 5}, "<" + r.address.text() + "> queued for its " +
                                           std::to_string(r.members.size()) + " addresses as " +
                                           std::to_string(list_queue_id));
      continue;
    }
    spdlog::info("conn={} event=delivery protocol=lmtp rcpt=\"{}\" result=delivered", conn_.id, r.address.text());
    reply(250, status_code{2, 1, 5}, "<" + r.address.text() + "> delivered");
  }
  ++messages_;
  tx_.reset();
}

void session::queue_recipients(store::queued_message& m, const std::vector<recipient>& rcpts, bool lists_only) {
  auto dsn_of = [](const recipient& r) {
    store::queued_recipient q;
    q.address = r.address.text();
    if (r.cmd.notify) {
      auto bit = [](bool on, unsigned b) { return on ? b : 0u; };
      q.notify = bit(r.cmd.notify->never, store::notify_never) | bit(r.cmd.notify->success, store::notify_success) |
                 bit(r.cmd.notify->failure, store::notify_failure) | bit(r.cmd.notify->delay, store::notify_delay);
    }
    if (r.cmd.orcpt) q.orcpt = r.cmd.orcpt->first + ";" + r.cmd.orcpt->second;
    return q;
  };
  // A list's member who also gets a copy of their own (named directly, or
  // by another list) gets just one, whatever the order of the RCPTs.
  auto taken = [&](const std::string& address) {
    for (auto& q : m.recipients)
      if (!(q.notify & store::list_expanded) && core::iequals(q.address, address)) return true;
    for (auto& r : rcpts)
      if (r.members.empty() && core::iequals(r.address.text(), address)) return true;
    return false;
  };
  if (!lists_only)
    for (auto& r : rcpts)
      if (r.members.empty()) m.recipients.push_back(dsn_of(r));
  for (auto& r : rcpts) {
    if (r.members.empty()) continue;
    auto q = dsn_of(r);
    // RFC 3461 §5.2.7.3 (c), a multiple-recipient alias: "Any ENVID, RET,
    // or ORCPT parameters are propagated to all forwarding addresses
    // associated with that alias. The NOTIFY parameter is propagated to
    // the forwarding addresses, except that any SUCCESS keyword is
    // removed. If the original NOTIFY parameter for the alias contained
    // the SUCCESS keyword, an "expanded" DSN is issued for the alias." A
    // NOTIFY left empty asked for nothing but success: NEVER.
    unsigned member_notify = q.notify;
    if (member_notify & store::notify_success) {
      member_notify &= ~store::notify_success;
      if (member_notify == 0) member_notify = store::notify_never;
    }
    for (auto& address : r.members) {
      if (taken(address)) continue;
      store::queued_recipient member;
      member.address = address;
      member.notify = member_notify | store::list_member;
      member.orcpt = q.orcpt;
      m.recipients.push_back(std::move(member));
    }
    // The list itself, only to carry its "expanded" report (once, if it
    // was named twice): the queue agent records it at once.
    if (q.notify & store::notify_success) {
      bool again = false;
      for (auto& o : m.recipients)
        again = again || ((o.notify & store::list_expanded) && core::iequals(o.address, q.address));
      if (!again) {
        q.notify |= store::list_expanded;
        m.recipients.push_back(std::move(q));
      }
    }
  }
}

asio::awaitable<void> session::finish_message(std::string last) {
  if (lmtp()) {
    co_await deliver_lmtp(std::move(last));
    co_return;
  }
  auto m = queued_envelope();
  m.submitter = user_ ? user_->name : "";
  queue_recipients(m, tx_->recipients, false);
  std::int64_t id = 0;
  std::string failure;
  int code = 451;
  mailbox::describe_limits limits;
  limits.parse.max_depth = srv_.cfg.max_mime_depth;
  limits.parse.max_parts = srv_.cfg.max_mime_parts;
  try {
    id = co_await blocking(
        [&]() -> std::int64_t {
          if (!last.empty()) tx_->writer->write(last);
          tx_->writer->finish();
          tx_->content->finish();
          // A NUL octet (BINARYMIME) outside any body part could not be
          // stored for IMAP clients (delivery::storable): refused now,
          // before the 250, not lost later.
          if (!delivery::storable(tx_->content->view(), limits)) return -1;
          return srv_.store.queue().enqueue(std::move(m), *tx_->content);
        },
        srv_.storage);
  } catch (...) {
    std::tie(code, failure) = storage_failure(std::current_exception());
  }
  auto recipients = tx_->recipients.size();
  tx_.reset();
  if (id < 0) {
    reply(554, status_code{5, 6, 0}, "A NUL octet outside any body part cannot be stored");
    co_return;
  }
  if (!failure.empty()) {
    spdlog::warn("conn={} event=queue_failed error=\"{}\"", conn_.id, failure);
    if (code == 452) reply(452, status_code{4, 3, 1}, "Insufficient system storage; try again later");
    else reply(451, status_code{4, 3, 0}, "Local error in processing; try again later");
    co_return;
  }
  ++messages_;
  spdlog::info("conn={} event=queued queue_id={} user=\"{}\" recipients={}", conn_.id, id, user_ ? user_->name : "",
               recipients);
  if (srv_.queued) srv_.queued();
  reply(250, status_code{2, 0, 0}, "Message queued as " + std::to_string(id));
}

}  // namespace lemonade::smtp
