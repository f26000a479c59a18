#include "smtp/client.hpp"

#include <algorithm>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/strings.hpp"
#include "mime/binary.hpp"
#include "mime/parser.hpp"
#include "net/stream.hpp"
#include "smtp/syntax/address.hpp"
#include "store/api/queue.hpp"

namespace lemonade::smtp {
namespace {

using tcp = asio::ip::tcp;

struct failure {
  std::string reply;  // applies to every recipient not yet answered
};

// One connection to the smarthost: replies read whole (RFC 5321 §4.2:
// "xyz-" lines up to the "xyz " one), every wait under the deadline.
class conversation {
 public:
  conversation(asio::any_io_executor ex, const relay_target& t)
      : t_(t), stream_(std::make_shared<net::stream>(ex)), timer_(ex) {}

  asio::awaitable<void> connect() {
    tcp::resolver resolver(timer_.get_executor());
    arm(t_.connect_timeout);
    try {
      auto endpoints = co_await resolver.async_resolve(t_.host, std::to_string(t_.port), asio::use_awaitable);
      co_await stream_->connect(endpoints);
    } catch (const boost::system::system_error& e) {
      timer_.cancel();
      throw failure{"451 4.4.1 cannot connect to " + name() + ": " + e.code().message()};
    }
    timer_.cancel();
  }

  // The reply's code and its lines (text after "xyz-"/"xyz ").
  struct reply {
    int code = 0;
    std::vector<std::string> lines;
    std::string text() const { return std::to_string(code) + " " + (lines.empty() ? "" : lines.back()); }
  };

  asio::awaitable<reply> read_reply() {
    reply r;
    for (;;) {
      auto nl = in_.find("\r\n");
      if (nl == std::string::npos) {
        if (in_.size() > 64 * 1024) throw failure{"451 4.5.0 " + name() + " sent an over-long line"};
        co_await fill();
        continue;
      }
      std::string line = in_.substr(0, nl);
      in_.erase(0, nl + 2);
      if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0]))) {
        throw failure{"451 4.5.0 " + name() + " sent a malformed reply"};
      }
      r.code = std::stoi(line.substr(0, 3));
      r.lines.push_back(line.size() > 4 ? line.substr(4) : "");
      if (line.size() == 3 || line[3] == ' ') co_return r;
    }
  }

  asio::awaitable<reply> command(const std::string& line) {
    co_await send(line + "\r\n");
    co_return co_await read_reply();
  }

  asio::awaitable<void> send(std::string_view data) {
    arm();
    try {
      co_await stream_->write(asio::buffer(data.data(), data.size()));
    } catch (const boost::system::system_error& e) {
      timer_.cancel();
      throw failure{"451 4.4.2 connection to " + name() + " lost: " + e.code().message()};
    }
    timer_.cancel();
  }

  asio::awaitable<void> start_tls() {
    arm();
    try {
      co_await stream_->start_tls_client(t_.tls_context, name());
    } catch (const boost::system::system_error& e) {
      timer_.cancel();
      throw failure{"451 4.7.5 TLS with " + name() + " failed: " + e.code().message()};
    }
    timer_.cancel();
    in_.clear();  // RFC 3207 §4.2: nothing from before the handshake
  }

  bool tls_active() const { return stream_->tls_active(); }
  void close() { stream_->close(); }
  const std::string& name() const { return t_.server_name.empty() ? t_.host : t_.server_name; }

 private:
  void arm() { arm(t_.timeout); }
  void arm(std::chrono::seconds d) {
    timer_.expires_after(d);
    std::weak_ptr<net::stream> weak = stream_;
    timer_.async_wait([weak](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto s = weak.lock()) s->close();
    });
  }

  asio::awaitable<void> fill() {
    char buf[8192];
    arm();
    std::size_t n = 0;
    try {
      n = co_await stream_->read_some(asio::buffer(buf));
    } catch (const boost::system::system_error& e) {
      timer_.cancel();
      throw failure{"451 4.4.2 connection to " + name() + " lost: " + e.code().message()};
    }
    timer_.cancel();
    in_.append(buf, n);
  }

  const relay_target& t_;
  std::shared_ptr<net::stream> stream_;
  asio::steady_timer timer_;
  std::string in_;
};

bool has_extension(const conversation::reply& ehlo, std::string_view name) {
  for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
    std::string_view l = ehlo.lines[i];
    if (core::iequals(l.substr(0, l.find(' ')), name)) return true;
  }
  return false;
}

// RFC 5321 §4.5.2: a line that starts with "." gets another; the end is
bool has_eight_bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// Whether content could go by DATA as it is: no NUL, no bare CR or LF
// (RFC 5321 §2.3.8), so a BINARYMIME message that is in fact text may.
bool fits_in_data(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\0') return false;
    if (c == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n')) return false;
    if (c == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
  }
  return true;
}

// CRLF "." CRLF (a message not ending in CRLF gets one).
std::string dot_stuffed(std::string_view content) {
  std::string out;
  out.reserve(content.size() + content.size() / 64 + 5);
  bool line_start = true;
  for (char c : content) {
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = c == '\n';
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  out += ".\r\n";
  return out;
}

asio::awaitable<void> talk(conversation& c, const relay_target& t, const relay_envelope& env,
                           std::string_view content, relay_result& result) {
  auto& replies = result.replies;
  co_await c.connect();
  auto greeting = co_await c.read_reply();
  if (greeting.code != 220) throw failure{"451 4.4.0 " + c.name() + " greeting: " + greeting.text()};
  auto ehlo = co_await c.command("EHLO " + t.helo);
  if (ehlo.code != 250) throw failure{"451 4.4.0 " + c.name() + " EHLO: " + ehlo.text()};
  if (t.tls != relay_target::tls_mode::none && has_extension(ehlo, "STARTTLS") && t.tls_context) {
    auto r = co_await c.command("STARTTLS");
    if (r.code != 220) throw failure{"451 4.7.5 " + c.name() + " STARTTLS: " + r.text()};
    co_await c.start_tls();
    ehlo = co_await c.command("EHLO " + t.helo);
    if (ehlo.code != 250) throw failure{"451 4.4.0 " + c.name() + " EHLO: " + ehlo.text()};
  }
  if (t.tls == relay_target::tls_mode::require && !c.tls_active())
    throw failure{"451 4.7.5 " + c.name() + " offers no STARTTLS, and TLS is required"};
  if (!t.user.empty()) {
    std::string plain = std::string(1, '\0') + t.user + std::string(1, '\0') + t.password;
    auto r = co_await c.command("AUTH PLAIN " + core::base64_encode(plain));
    if (r.code != 235) throw failure{"451 4.7.0 " + c.name() + " AUTH: " + r.text()};
  }
  bool dsn = has_extension(ehlo, "DSN");
  bool binary = env.body == 3 && !fits_in_data(content);
  bool eight_bit = !binary && has_eight_bit(content);
  bool chunking = has_extension(ehlo, "CHUNKING");
  bool takes_8bit = has_extension(ehlo, "8BITMIME");
  // RFC 3030 §3 and RFC 6152 §3: content the next hop cannot take is
  // converted (mime::downgrade: the parts that need it re-encoded as
  // quoted-printable or base64, 8-bit octets kept where the hop takes
  // them), or, where that cannot be done (8-bit octets in a header, say),
  // the message is returned.
  std::string converted;
  if ((binary && !(has_extension(ehlo, "BINARYMIME") && chunking)) || (eight_bit && !takes_8bit)) {
    auto down = mime::downgrade(content, mime::parse_message(content), takes_8bit);
    if (!down)
      throw failure{"554 5.6.3 " + c.name() +
                    (binary ? " does not take binary content" : " does not offer 8BITMIME") +
                    " and the message cannot be converted (8-bit octets in a header, say)"};
    converted = std::move(*down);
    content = converted;
    binary = false;
    eight_bit = has_eight_bit(content);
  }
  bool utf8_envelope = env.smtputf8 && (has_eight_bit(env.sender) || std::any_of(env.recipients.begin(), env.recipients.end(),
                                                                                   [](const auto& r) { return has_eight_bit(r.address); }));
  if (utf8_envelope && !has_extension(ehlo, "SMTPUTF8"))
    throw failure{"553 5.6.7 the addresses are UTF-8 and " + c.name() + " does not offer SMTPUTF8"};
  std::string mail = "MAIL FROM:<" + env.sender + ">";
  if (has_extension(ehlo, "SIZE")) mail += " SIZE=" + std::to_string(content.size());
  if (binary) mail += " BODY=BINARYMIME";
  else if (eight_bit || (env.body == 2 && has_extension(ehlo, "8BITMIME"))) mail += " BODY=8BITMIME";
  if (env.smtputf8 && has_extension(ehlo, "SMTPUTF8")) mail += " SMTPUTF8";
  if (dsn && env.ret) mail += env.ret == 1 ? " RET=FULL" : " RET=HDRS";
  if (dsn && !env.envid.empty()) mail += " ENVID=" + syntax::xtext_encode(env.envid);
  auto m = co_await c.command(mail);
  if (m.code != 250) throw failure{m.text()};
  std::vector<std::size_t> accepted;
  for (std::size_t i = 0; i < env.recipients.size(); ++i) {
    auto& rcpt = env.recipients[i];
    std::string line = "RCPT TO:<" + rcpt.address + ">";
    if (dsn && rcpt.notify) {
      // RFC 3461 §4.1, as the recipient asked.
      std::vector<std::string> words;
      if (rcpt.notify & store::notify_never) words.push_back("NEVER");
      if (rcpt.notify & store::notify_success) words.push_back("SUCCESS");
      if (rcpt.notify & store::notify_failure) words.push_back("FAILURE");
      if (rcpt.notify & store::notify_delay) words.push_back("DELAY");
      line += " NOTIFY=";
      for (std::size_t k = 0; k < words.size(); ++k) line += (k ? "," : "") + words[k];
    }
    if (dsn && !rcpt.orcpt.empty()) {
      auto semi = rcpt.orcpt.find(';');
      line += " ORCPT=" + rcpt.orcpt.substr(0, semi) + ";" + syntax::xtext_encode(rcpt.orcpt.substr(semi + 1));
    }
    auto r = co_await c.command(line);
    if (r.code == 250 || r.code == 251) accepted.push_back(i);
    else replies[i] = r.text();
  }
  if (accepted.empty()) {
    co_await c.command("QUIT");
    co_return;
  }
  conversation::reply done;
  if (binary) {
    // RFC 3030 §3: binary content only in BDAT chunks, never DATA.
    co_await c.send("BDAT " + std::to_string(content.size()) + " LAST\r\n");
    co_await c.send(content);
    done = co_await c.read_reply();
  } else {
    auto d = co_await c.command("DATA");
    if (d.code != 354) {
      for (auto i : accepted) replies[i] = d.text();
      co_return;
    }
    co_await c.send(dot_stuffed(content));
    done = co_await c.read_reply();
  }
  for (auto i : accepted) replies[i] = done.text();
  result.dsn_passed = dsn;
  result.tls = c.tls_active();
  try {
    co_await c.command("QUIT");
  } catch (const failure&) {
    // The message is taken; a lost QUIT changes nothing.
  }
}

}  // namespace

asio::awaitable<relay_result> relay_message(asio::any_io_executor ex, const relay_target& target,
                                            const relay_envelope& envelope, std::string_view content) {
  relay_result result;
  result.replies.resize(envelope.recipients.size());
  conversation c(ex, target);
  std::string trouble;
  try {
    co_await talk(c, target, envelope, content, result);
  } catch (const failure& f) {
    trouble = f.reply;
  } catch (const std::exception& e) {
    trouble = std::string("451 4.4.0 ") + e.what();
  }
  c.close();
  if (!trouble.empty())
    for (auto& r : result.replies)
      if (r.empty()) r = trouble;
  co_return result;
}

}  // namespace lemonade::smtp
