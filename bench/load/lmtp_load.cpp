// The LMTP and submission clients of bench/run/delivery.py in C++: the same
// messages (delivery.py builds them, dot-stuffed, before the clock starts,
// and writes them to a plan file), the same commands, one connection per
// client, so the generator's share of the machine's two cores is a small
// fraction of the Python one's and the figure is the server's
// (bench/README.md, "Delivery").
//
//   lmtp-load --port P --plan FILE [--lmtp] [--password W]
//
// The plan: per client a line "C <sender> <rcpt> <user or -> <count>\n",
// then per message "M <octets>\n" followed by the octets (stuffed, without
// the final ".\r\n"). Output, one JSON object: "t0" (CLOCK_MONOTONIC
// seconds when the first connection was opened, as Python's
// time.perf_counter), and per client "ok", "errors", "first_error",
// "last" (CLOCK_MONOTONIC of its last 250, or null) and "accepted" (the
// indices of its messages that got a 250).
//
// One thread per client with blocking sockets: simple, and at the rates
// measured (a few thousand messages a second) a few percent of a core.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

double monotonic() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct plan {
  std::string sender, rcpt, user;
  std::vector<std::string> messages;
};

struct result {
  long ok = 0, errors = 0;
  std::string first_error;
  double last = 0;
  std::vector<std::size_t> accepted;
};

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

class connection {
 public:
  explicit connection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void send(const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
      auto n = ::send(fd_, s.data() + done, s.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
  }
  // One reply, all its lines: the code and the text.
  std::pair<int, std::string> reply() {
    std::string all;
    for (;;) {
      auto line = read_line();
      all += line;
      if (line.size() < 4 || line[3] != '-') {
        int code = line.size() >= 3 ? std::atoi(line.substr(0, 3).c_str()) : 0;
        return {code, all};
      }
    }
  }

 private:
  std::string read_line() {
    for (;;) {
      auto nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        std::string line = buf_.substr(pos_, nl + 1 - pos_);
        pos_ = nl + 1;
        if (pos_ > 65536) {
          buf_.erase(0, pos_);
          pos_ = 0;
        }
        return line;
      }
      char chunk[16384];
      auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error("connection closed");
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  int fd_ = -1;
  std::string buf_;
  std::size_t pos_ = 0;
};

void run_client(int port, bool lmtp, const std::string& password, const plan& p, std::size_t c, result& r) {
  auto fail = [&](const std::string& what, const std::string& text) {
    ++r.errors;
    if (r.first_error.empty()) {
      auto t = text;
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
      r.first_error = what + ": " + t;
    }
  };
  try {
    connection conn(port);
    auto [code, text] = conn.reply();
    if (code != 220) return fail("greeting", text);
    conn.send(std::string(lmtp ? "LHLO" : "EHLO") + " client" + std::to_string(c) + ".bench.example\r\n");
    std::tie(code, text) = conn.reply();
    if (code != 250) return fail(lmtp ? "LHLO" : "EHLO", text);
    // An EHLO/LHLO keyword line: "250-PIPELINING" or "250 PIPELINING".
    bool pipelining = false;
    for (std::size_t at = 0; at < text.size();) {
      auto end = text.find('\n', at);
      auto line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      std::string word = line.size() > 4 ? line.substr(4) : "";
      for (auto& ch : word) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      pipelining = pipelining || word == "PIPELINING";
      if (end == std::string::npos) break;
      at = end + 1;
    }
    if (!p.user.empty()) {
      conn.send("AUTH PLAIN " + base64(std::string(1, '\0') + p.user + std::string(1, '\0') + password) + "\r\n");
      std::tie(code, text) = conn.reply();
      if (code != 235) return fail("AUTH", text);
    }
    const std::string cmds[] = {"MAIL FROM:<" + p.sender + ">\r\n", "RCPT TO:<" + p.rcpt + ">\r\n", "DATA\r\n"};
    const int want[] = {250, 250, 354};
    for (std::size_t i = 0; i < p.messages.size(); ++i) {
      std::vector<std::pair<int, std::string>> got;
      if (pipelining) {
        conn.send(cmds[0] + cmds[1] + cmds[2]);
        for (int k = 0; k < 3; ++k) got.push_back(conn.reply());
      } else {
        for (int k = 0; k < 3; ++k) {
          conn.send(cmds[k]);
          got.push_back(conn.reply());
          if (got.back().first != want[k]) break;
        }
      }
      bool good = got.size() == 3;
      for (std::size_t k = 0; good && k < 3; ++k) good = got[k].first == want[k];
      if (!good) {
        for (std::size_t k = 0; k < got.size(); ++k)
          if (got[k].first != want[k]) {
            fail("MAIL/RCPT/DATA", got[k].second);
            break;
          }
        if (!got.empty() && got.back().first == 354) {
          conn.send(".\r\n");
          conn.reply();
        }
        conn.send("RSET\r\n");
        conn.reply();
        continue;
      }
      conn.send(p.messages[i]);
      conn.send(".\r\n");
      std::tie(code, text) = conn.reply();  // one recipient: one reply (RFC 2033 §4.2)
      if (code == 250) {
        ++r.ok;
        r.last = monotonic();
        r.accepted.push_back(i);
      } else {
        fail("end of DATA", text);
      }
    }
    conn.send("QUIT\r\n");
    try {
      conn.reply();
    } catch (const std::exception&) {
    }
  } catch (const std::exception& e) {
    ++r.errors;
    if (r.first_error.empty()) r.first_error = std::string("connection: ") + e.what();
  }
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", ch);
      out += b;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  bool lmtp = false;
  std::string plan_file, password;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "lmtp-load: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--port") port = std::atoi(next().c_str());
    else if (a == "--plan") plan_file = next();
    else if (a == "--password") password = next();
    else if (a == "--lmtp") lmtp = true;
    else {
      std::cerr << "usage: lmtp-load --port P --plan FILE [--lmtp] [--password W]\n";
      return 2;
    }
  }
  std::ifstream in(plan_file, std::ios::binary);
  if (!port || !in) {
    std::cerr << "lmtp-load: --port and a readable --plan are needed\n";
    return 2;
  }
  std::vector<plan> plans;
  std::vector<std::size_t> counts;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string tag;
    f >> tag;
    if (tag == "C") {
      if (!plans.empty() && plans.back().messages.size() != counts.back()) {
        std::cerr << "lmtp-load: a client of the plan has not as many messages as its C line says\n";
        return 2;
      }
      plan p;
      std::size_t count = 0;
      if (!(f >> p.sender >> p.rcpt >> p.user >> count)) {
        std::cerr << "lmtp-load: bad plan line: " << line << "\n";
        return 2;
      }
      if (p.user == "-") p.user.clear();
      plans.push_back(std::move(p));
      counts.push_back(count);
    } else if (tag == "M" && !plans.empty()) {
      std::size_t n = 0;
      if (!(f >> n)) {
        std::cerr << "lmtp-load: bad plan line: " << line << "\n";
        return 2;
      }
      std::string octets(n, '\0');
      in.read(octets.data(), static_cast<std::streamsize>(n));
      if (static_cast<std::size_t>(in.gcount()) != n) {
        std::cerr << "lmtp-load: the plan ends inside a message\n";
        return 2;
      }
      plans.back().messages.push_back(std::move(octets));
    } else {
      std::cerr << "lmtp-load: bad plan line: " << line << "\n";
      return 2;
    }
  }
  if (!plans.empty() && plans.back().messages.size() != counts.back()) {
    std::cerr << "lmtp-load: a client of the plan has not as many messages as its C line says\n";
    return 2;
  }
  std::vector<result> results(plans.size());
  std::vector<std::thread> threads;
  double t0 = monotonic();
  for (std::size_t c = 0; c < plans.size(); ++c)
    threads.emplace_back(run_client, port, lmtp, std::cref(password), std::cref(plans[c]), c, std::ref(results[c]));
  for (auto& t : threads) t.join();
  std::string out = "{\"t0\": " + std::to_string(t0) + ", \"clients\": [";
  for (std::size_t c = 0; c < results.size(); ++c) {
    auto& r = results[c];
    if (c) out += ", ";
    out += "{\"ok\": " + std::to_string(r.ok) + ", \"errors\": " + std::to_string(r.errors) +
           ", \"first_error\": " + (r.first_error.empty() ? std::string("null") : json_string(r.first_error)) +
           ", \"last\": " + (r.last > 0 ? std::to_string(r.last) : std::string("null")) + ", \"accepted\": [";
    for (std::size_t k = 0; k < r.accepted.size(); ++k) out += (k ? ", " : "") + std::to_string(r.accepted[k]);
    out += "]}";
  }
  out += "]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
