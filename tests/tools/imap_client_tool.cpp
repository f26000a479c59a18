// Drives imap/client against a server for tests/imap_client: logs in,
// optionally APPENDs a file (a literal, sent with LITERAL+ or after the
// server's continuation), URLFETCHes URLs, logs out. Prints what it got:
//   TLS yes|no
//   CAPS <capabilities after login>
//   APPEND <status> [<code>] <text>
//   URL <url> <octets>\n<data>\n   or   URL <url> NIL
// Exit 0 on success, 1 with "ERROR <message>" on stderr otherwise.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "imap/client/client.hpp"
#include "net/tls.hpp"

namespace client = lemonade::imap::client;
namespace asio = boost::asio;

int main(int argc, char** argv) {
  client::options o;
  std::string user, password, append_file;
  std::vector<std::string> urls;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "ERROR " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--port") o.port = static_cast<std::uint16_t>(std::stoi(next()));
    else if (a == "--host") o.host = next();
    else if (a == "--tls") {
      auto t = next();
      o.tls = t == "starttls"   ? client::options::security::starttls
              : t == "implicit" ? client::options::security::implicit
                                : client::options::security::none;
    } else if (a == "--user") user = next();
    else if (a == "--password") password = next();
    else if (a == "--append-file") append_file = next();
    else if (a == "--timeout-ms") o.timeout = std::chrono::milliseconds(std::stoi(next()));
    else urls.push_back(a);
  }
  if (o.tls != client::options::security::none) o.tls_context = lemonade::net::make_client_tls(false);
  asio::io_context ioc;
  int rc = 0;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        try {
          auto c = co_await client::connection::open(ioc.get_executor(), o);
          std::cout << "TLS " << (c->tls_active() ? "yes" : "no") << "\n";
          co_await c->login(user, password);
          std::cout << "CAPS";
          for (auto& cap : c->capabilities()) std::cout << " " << cap;
          std::cout << "\n";
          if (!append_file.empty()) {
            std::ifstream f(append_file, std::ios::binary);
            std::stringstream ss;
            ss << f.rdbuf();
            auto r = co_await c->run(client::command("APPEND").atom("INBOX").literal(ss.str()));
            std::cout << "APPEND " << r.status << " [" << r.code << "] " << r.text << "\n";
          }
          if (!urls.empty()) {
            for (auto& f : co_await c->urlfetch(urls)) {
              if (f.data)
                std::cout << "URL " << f.url << " " << f.data->size() << "\n" << *f.data << "\n";
              else
                std::cout << "URL " << f.url << " NIL\n";
            }
          }
          co_await c->logout();
        } catch (const std::exception& e) {
          std::cerr << "ERROR " << e.what() << "\n";
          rc = 1;
        }
      },
      asio::detached);
  ioc.run();
  std::cout.flush();
  return rc;
}
