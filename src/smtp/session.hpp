#pragma once
// One submission connection (RFC 6409 over RFC 5321): read -> frame ->
// parse -> execute -> reply, as one coroutine on its own strand. Replies
// are buffered and sent when the input holds no further complete command
// (RFC 2920 §3.2: pipelined commands get their replies together, and
// nothing the client sent is ever lost). See README.md for the rules.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "auth/xenc.hpp"
#include "net/stream.hpp"
#include "smtp/context.hpp"
#include "smtp/parse/command.hpp"
#include "smtp/syntax/framer.hpp"
#include "smtp/syntax/reply.hpp"

namespace lemonade::smtp {

class message_writer;

class session final : public std::enable_shared_from_this<session> {
 public:
  session(server_context& srv, net::stream s, connection_info info);
  ~session();
  asio::awaitable<void> run();
  // Ends the session: at once if it waits for the client (421 first),
  // else after the command in flight. Thread-safe.
  void request_shutdown();
  // docs/xencrypted.md: ends the session (421 4.7.0) if its XKEY named a
  // key for which revoked(key id) is true: at once if it waits for the
  // client, else after the command in flight. Thread-safe.
  void end_if_key_revoked(std::function<bool(const std::string&)> revoked);

 private:
  // The mail transaction (RFC 5321 §3.3): MAIL, RCPTs, then the content.
  struct recipient {
    syntax::mailbox address;
    parse::rcpt_cmd cmd;
    delivery::local_target target;  // where LMTP delivers it
    // A list alias (delivery::local_addresses): the addresses of its
    // members, queued as recipients of their own (RFC 3461 §5.2.7.3).
    std::vector<std::string> members;
  };
  struct transaction {
    parse::mail_cmd mail;
    std::vector<recipient> recipients;
    // Submission stages in the queue; LMTP in the first recipient's
    // account, whose copy is then made by a rename (delivery::deliver).
    std::shared_ptr<store::staged_message> content;
    std::shared_ptr<mailbox::account> content_account;
    std::unique_ptr<message_writer> writer;
    bool chunking = false;  // a BDAT was seen: DATA may not follow
    bool failed = false;    // a BDAT failed: discard chunks until RSET
    std::uint64_t size = 0;
    // Writing the content failed (a full disk): the rest is read and
    // dropped, and the end of the content is answered with this.
    std::optional<std::pair<int, std::string>> write_error;
  };

  // I/O.
  enum class read_result { data, closed, timeout };
  asio::awaitable<read_result> read_more();
  asio::awaitable<void> flush();
  void reply(int code, syntax::status_code status, std::string text);
  void reply(syntax::reply r);
  void arm(std::chrono::steady_clock::duration d);

  asio::awaitable<void> serve();
  asio::awaitable<bool> handle(std::string_view line);  // false: close
  void hello(const parse::hello_cmd& c);
  void mail(parse::mail_cmd c);
  asio::awaitable<void> rcpt(parse::rcpt_cmd c);
  asio::awaitable<bool> data();
  asio::awaitable<bool> bdat(const parse::bdat_cmd& c);
  asio::awaitable<bool> discard_octets(std::uint64_t n);
  asio::awaitable<bool> burl(const parse::burl_cmd& c);
  bool burl_enabled() const;
  bool lmtp() const { return conn_.mode == mode::lmtp; }
  // RFC 2033 §4.2: after the content, one reply per accepted recipient,
  // each once its copy is stored.
  // `last`: the content's last piece, not yet written (DATA writes it
  // here, in the same trip to the storage threads as the rest).
  asio::awaitable<void> deliver_lmtp(std::string last);
  asio::awaitable<void> finish_message(std::string last = {});
  // The queue's recipients for `rcpts` (lists_only: their lists'
  // members alone, LMTP delivering the others itself).
  static void queue_recipients(store::queued_message& m, const std::vector<recipient>& rcpts, bool lists_only);
  asio::awaitable<bool> starttls();
  asio::awaitable<bool> authenticate(const parse::auth_cmd& c);
  asio::awaitable<std::optional<std::string>> sasl_response(const std::string& challenge);
  asio::awaitable<std::optional<store::user_record>> check_password(const std::string& name,
                                                                    const std::string& password);
  asio::awaitable<void> auth_failed(std::string_view user, std::string_view why);
  // sealed.cpp, docs/xencrypted.md: a proxy identity submits only what the
  // device sealed (XKEY, then XSEALED with the envelope and BURL URL).
  asio::awaitable<void> xkey(const parse::xkey_cmd& c);
  asio::awaitable<void> xsealed(const parse::xsealed_cmd& c);
  // Why the message a sealed BURL names may not be sent ("" if it may).
  std::string sealed_message_refusal(const parse::burl_cmd& b);
  // For a proxy identity's MAIL, RCPT, DATA and BURL: true when `line`
  // is the sealed envelope's (and marks it used), else replies and false.
  bool sealed_allows(const parse::command& cmd, std::string_view line);
  bool proxy() const { return user_ && user_->proxy && !lmtp(); }
  // The reply written to out_ from `from` on (the sealed BURL LAST's),
  // sealed for the device in a first line "250-XSEALED <base64>".
  void seal_reply(std::size_t from, std::uint64_t seq);
  bool plaintext_allowed() const;
  std::vector<std::string> extensions() const;
  void start_transaction_content();
  // start_transaction_content() on a storage thread; false (and a 452 or
  // 451 reply) when the queue cannot take a message now (a full disk).
  asio::awaitable<bool> begin_content();
  // Appends to the staged content on a storage thread; a failure is kept
  // in tx_->write_error (and later pieces are dropped), never thrown.
  asio::awaitable<void> write_content(std::string_view piece);
  // The 452/451 for tx_->write_error; the transaction is dropped.
  // Answers a failed write of the content (tx_->write_error): LMTP gives
  // one reply per recipient at the end of the content.
  void refuse_write_error(bool end_of_content = false);
  void reply_key_revoked();
  // LMTP's reply for one recipient when storing failed: 452 (code 452,
  // a full disk) or 451.
  void reply_storage_failure(const recipient& r, int code);
  // The queued message's envelope from MAIL (RFC 3461's ENVID and RET,
  // BODY, SMTPUTF8); recipients and submitter left to the caller.
  store::queued_message queued_envelope() const;

  template <class F>
  auto blocking(F f, asio::any_io_executor pool) -> asio::awaitable<decltype(f())>;
  // A read that SQLite's page cache most likely answers (a recipient's
  // account): on this network thread while srv_.quick_reads admits it,
  // else on the read pool (net/inline_reads.hpp).
  template <class F>
  auto quick_read(F f) -> asio::awaitable<decltype(f())>;

  server_context& srv_;
  net::stream stream_;
  connection_info conn_;
  asio::steady_timer timer_;
  bool timed_out_ = false;
  std::string in_, out_;
  syntax::line_framer framer_;
  // Session state (RFC 5321 §4.1.4; RFC 3207 §4.2 resets it after TLS).
  std::optional<parse::hello_cmd> hello_;
  bool tls_ = false;
  std::optional<store::user_record> user_;
  std::optional<transaction> tx_;
  // A proxy identity's XKEY, and the envelope the device sealed: its
  // command lines exactly, each usable once.
  std::optional<auth::xenc::session_keys> xenc_;
  struct sealed_envelope {
    std::string mail;
    std::vector<std::pair<std::string, bool>> rcpts;  // line, used
    std::string burl;
    bool mail_used = false;
    std::uint64_t seq = 0;  // the seal's sequence number
  };
  std::optional<sealed_envelope> sealed_;
  unsigned messages_ = 0;
  bool waiting_ = false;  // in read_more, between commands
  bool key_revoked_ = false;  // end_if_key_revoked found the XKEY's key revoked
};

}  // namespace lemonade::smtp
