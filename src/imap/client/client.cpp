#include "imap/client/client.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/strings.hpp"
#include "net/stream.hpp"

namespace lemonade::imap::client {

namespace {

using tcp = asio::ip::tcp;

bool quotable(std::string_view s) {
  if (s.size() > 1024) return false;
  for (unsigned char c : s)
    if (c == '\r' || c == '\n' || c == 0 || c >= 0x80) return false;
  return true;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

// --- command ---------------------------------------------------------------

void command::add_text(std::string_view t) {
  if (pieces_.empty() || pieces_.back().literal) pieces_.push_back({});
  pieces_.back().text += t;
}

command& command::atom(std::string_view a) {
  add_text(" ");
  add_text(a);
  return *this;
}

command& command::raw(std::string_view text, bool space) {
  if (space) add_text(" ");
  add_text(text);
  return *this;
}

command& command::string(std::string_view s) {
  if (!quotable(s)) return literal(s);
  std::string q = " \"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  q += '"';
  add_text(q);
  return *this;
}

command& command::literal(std::string_view octets, bool literal8) {
  add_text(" ");
  pieces_.push_back({std::string(octets), true, literal8});
  return *this;
}

// --- connection ------------------------------------------------------------

connection::connection(asio::any_io_executor ex, options o)
    : ex_(ex), opt_(std::move(o)), timer_(ex) {}

connection::~connection() {
  timer_.cancel();
  if (stream_) stream_->close();
}

std::pair<std::shared_ptr<net::stream>, std::string> connection::release() {
  timer_.cancel();
  return {std::move(stream_), std::move(in_)};
}

bool connection::tls_active() const { return stream_ && stream_->tls_active(); }

void connection::arm() {
  // A wait past the deadline closes the socket, which ends the wait with
  // an error; the timer holds only a weak reference.
  timer_.expires_after(opt_.timeout);
  std::weak_ptr<net::stream> weak = stream_;
  timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto s = weak.lock()) s->close();
  });
}

void connection::disarm() { timer_.cancel(); }

asio::awaitable<std::unique_ptr<connection>> connection::open(asio::any_io_executor ex, options o) {
  std::unique_ptr<connection> c(new connection(ex, std::move(o)));
  co_await c->connect();
  co_return c;
}

asio::awaitable<void> connection::connect() {
  tcp::resolver resolver(ex_);
  auto endpoints = co_await resolver.async_resolve(opt_.host, std::to_string(opt_.port), asio::use_awaitable);
  stream_ = std::make_shared<net::stream>(ex_);
  arm();
  try {
    co_await stream_->connect(endpoints);
  } catch (const boost::system::system_error& e) {
    disarm();
    throw error("cannot connect to " + opt_.host + ":" + std::to_string(opt_.port) + ": " + e.code().message());
  }
  disarm();
  auto server_name = opt_.server_name.empty() ? opt_.host : opt_.server_name;
  if (opt_.tls == options::security::implicit) {
    if (!opt_.tls_context) throw error("TLS asked for without a TLS context");
    arm();
    try {
      co_await stream_->start_tls_client(opt_.tls_context, server_name);
    } catch (const boost::system::system_error& e) {
      disarm();
      throw error("TLS handshake with " + opt_.host + " failed: " + e.code().message());
    }
    disarm();
  }
  auto first = co_await read_response();
  if (!first.starts_with("* ")) throw error("no IMAP greeting");
  auto greeting = parse_untagged(std::string_view(first).substr(2));
  if (greeting.status == "BYE") throw error("the server refused the connection: " + greeting.text);
  if (greeting.status != "OK" && greeting.status != "PREAUTH") throw error("no IMAP greeting");
  if (greeting.code.size() > 11 && core::istarts_with(greeting.code, "CAPABILITY "))
    take_capabilities(std::string_view(greeting.code).substr(11));
  else
    co_await refresh_capabilities();
  if (opt_.tls == options::security::starttls ||
      (opt_.tls == options::security::starttls_if_offered && has_capability("STARTTLS") && opt_.tls_context))
    co_await starttls();
}

asio::awaitable<void> connection::starttls() {
  if (!opt_.tls_context) throw error("STARTTLS asked for without a TLS context");
  if (!has_capability("STARTTLS")) throw error("the server does not offer STARTTLS");
  auto r = co_await run(command("STARTTLS"));
  if (!r.ok()) throw error("STARTTLS refused: " + r.text);
  // RFC 3501 §6.2.1: anything the server sent before the handshake is
  // not to be trusted; the buffer must be empty.
  if (!in_.empty()) throw error("data after the STARTTLS response");
  arm();
  try {
    co_await stream_->start_tls_client(opt_.tls_context, opt_.server_name.empty() ? opt_.host : opt_.server_name);
  } catch (const boost::system::system_error& e) {
    disarm();
    throw error("TLS handshake with " + opt_.host + " failed: " + e.code().message());
  }
  disarm();
  // "the client MUST discard cached information about server
  // capabilities" (RFC 3501 §6.2.1).
  co_await refresh_capabilities();
}

asio::awaitable<void> connection::refresh_capabilities() {
  auto r = co_await run(command("CAPABILITY"));
  if (!r.ok()) throw error("CAPABILITY failed: " + r.text);
  for (auto& u : r.responses)
    if (u.name == "CAPABILITY") {
      caps_.clear();
      for (auto& v : u.items) caps_.push_back(upper(v.text));
    }
}

void connection::take_capabilities(std::string_view list) {
  caps_.clear();
  for (auto& v : parse_values(list)) caps_.push_back(upper(v.text));
}

bool connection::has_capability(std::string_view name) const {
  return std::any_of(caps_.begin(), caps_.end(), [&](auto& c) { return core::iequals(c, name); });
}

asio::awaitable<void> connection::fill() {
  char buf[16384];
  arm();
  std::size_t n = 0;
  try {
    n = co_await stream_->read_some(asio::buffer(buf));
  } catch (const boost::system::system_error& e) {
    disarm();
    throw error("connection to " + opt_.host + " lost: " + e.code().message());
  }
  disarm();
  in_.append(buf, n);
}

asio::awaitable<void> connection::send(std::string_view data) {
  arm();
  try {
    co_await stream_->write(asio::buffer(data.data(), data.size()));
  } catch (const boost::system::system_error& e) {
    disarm();
    throw error("connection to " + opt_.host + " lost: " + e.code().message());
  }
  disarm();
}

asio::awaitable<std::string> connection::read_response() {
  std::string out;
  std::size_t scan = 0;
  for (;;) {
    auto nl = in_.find("\r\n", scan);
    if (nl == std::string::npos) {
      scan = in_.empty() ? 0 : in_.size() - 1;
      if (out.size() + in_.size() > opt_.max_response) throw error("response over the size limit");
      co_await fill();
      continue;
    }
    std::string_view line(in_.data(), nl);
    auto n = literal_size_at_end(line);
    if (!n) {
      out.append(line);
      in_.erase(0, nl + 2);
      co_return out;
    }
    if (out.size() + nl + 2 + *n > opt_.max_response) throw error("response over the size limit");
    while (in_.size() < nl + 2 + *n) co_await fill();
    out.append(in_, 0, nl + 2 + *n);
    in_.erase(0, nl + 2 + *n);
    scan = 0;
  }
}

asio::awaitable<result> connection::run(const command& c) {
  auto tag = "L" + std::to_string(next_tag_++);
  bool plus = has_capability("LITERAL+");
  result r;
  // Reads responses until `tag`'s or, while waiting to send a literal, a
  // continuation; true when the command ended.
  auto collect = [&](bool want_continuation) -> asio::awaitable<bool> {
    for (;;) {
      auto resp = co_await read_response();
      if (resp.starts_with("+")) {
        if (want_continuation) co_return false;
        throw error("unexpected continuation request");
      }
      if (resp.starts_with("* ")) {
        r.responses.push_back(parse_untagged(std::string_view(resp).substr(2)));
        continue;
      }
      auto sp = resp.find(' ');
      if (resp.substr(0, sp) != tag) throw error("response with an unknown tag: " + resp.substr(0, 40));
      auto st = parse_untagged(std::string_view(resp).substr(sp + 1));
      if (st.status != "OK" && st.status != "NO" && st.status != "BAD") throw error("bad tagged response");
      r.status = st.status;
      r.code = st.code;
      r.text = st.text;
      co_return true;
    }
  };
  std::string out = tag + " ";
  for (std::size_t i = 0; i < c.pieces_.size(); ++i) {
    auto& p = c.pieces_[i];
    if (!p.literal) {
      out += p.text;
      continue;
    }
    out += p.literal8 ? "~{" : "{";
    out += std::to_string(p.text.size());
    if (plus) {
      out += "+}\r\n";
      out += p.text;
      continue;
    }
    out += "}\r\n";
    co_await send(out);
    out.clear();
    if (co_await collect(true)) co_return r;  // refused before the literal
    out += p.text;
  }
  out += "\r\n";
  co_await send(out);
  co_await collect(false);
  co_return r;
}

asio::awaitable<void> connection::login(std::string_view user, std::string_view password) {
  auto r = co_await run(command("LOGIN").string(user).string(password));
  if (!r.ok()) throw error("LOGIN as " + std::string(user) + " refused: " + r.text);
  if (r.code.size() > 11 && core::istarts_with(r.code, "CAPABILITY "))
    take_capabilities(std::string_view(r.code).substr(11));
  else
    co_await refresh_capabilities();
}

asio::awaitable<std::vector<fetched_url>> connection::urlfetch(const std::vector<std::string>& urls) {
  command c("URLFETCH");
  for (auto& u : urls) c.string(u);
  auto r = co_await run(c);
  if (!r.ok()) throw error("URLFETCH failed: " + r.text);
  // RFC 4467 §6: "* URLFETCH" url (nstring) pairs, in one response or
  // several; RFC 5524 §3.2: url "(" metadata ")" in the extended form.
  std::vector<fetched_url> got;
  for (auto& u : r.responses) {
    if (u.name != "URLFETCH") continue;
    for (std::size_t i = 0; i + 1 < u.items.size(); i += 2) {
      fetched_url f;
      f.url = u.items[i].text;
      auto& d = u.items[i + 1];
      if (d.what == value::kind::string) {
        f.data = d.text;
      } else if (d.what == value::kind::list) {
        // RFC 5524 §3.2: ("BODY" nstring) or ("BINARY" nstring) among the
        // metadata.
        for (std::size_t k = 0; k + 1 < d.items.size(); ++k)
          if ((d.items[k].is_atom("BODY") || d.items[k].is_atom("BINARY")) && d.items[k + 1].is_string())
            f.data = d.items[k + 1].text;
      }
      got.push_back(std::move(f));
    }
  }
  std::vector<fetched_url> out;
  for (auto& url : urls) {
    auto it = std::find_if(got.begin(), got.end(), [&](auto& f) { return f.url == url; });
    if (it == got.end()) {
      out.push_back({url, std::nullopt});
    } else {
      out.push_back(std::move(*it));
      got.erase(it);
    }
  }
  co_return out;
}

asio::awaitable<void> connection::wait_readable() { co_await stream_->wait_readable(); }

asio::awaitable<void> connection::read_available() {
  if (in_.size() > opt_.max_response) throw error("response over the size limit");
  char buf[16384];
  auto n = co_await stream_->read_some(asio::buffer(buf));
  in_.append(buf, n);
}

void connection::cancel() {
  if (stream_) stream_->cancel();
}

void connection::close() {
  disarm();
  if (stream_) stream_->close();
}

asio::awaitable<void> connection::logout() {
  try {
    co_await run(command("LOGOUT"));
  } catch (const std::exception&) {
  }
  disarm();
  if (stream_) stream_->close();
}

}  // namespace lemonade::imap::client
