// proxy/routes: which backends a user of `lemonade proxy` goes to.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "proxy/routes.hpp"

namespace lemonade::proxy {
namespace {

std::string names(const route& r) {
  std::string out;
  for (auto& b : r) out += (out.empty() ? "" : ",") + std::string(b.tls ? "s:" : "") + b.text();
  return out;
}

TEST(ProxyRoutes, ParseRoute) {
  EXPECT_EQ(names(parse_route("imap://127.0.0.1:10143")), "127.0.0.1:10143");
  EXPECT_EQ(names(parse_route("imaps://mail.example.org, imap://localhost:2")), "s:mail.example.org:993,localhost:2");
  EXPECT_EQ(names(parse_route("imaps://[::1]:993/")), "s:::1:993");
  // Passwords in the clear only to a loopback host.
  EXPECT_THROW(parse_route("imap://mail.example.org:143"), std::invalid_argument);
  EXPECT_THROW(parse_route("http://127.0.0.1"), std::invalid_argument);
  EXPECT_THROW(parse_route("imap://127.0.0.1:1,"), std::invalid_argument);
  // A user:password@ never reaches the message.
  try {
    parse_route("imaps://bob:secret@mail.example.org");
    FAIL() << "a URL with user information was taken";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
  }
}

TEST(ProxyRoutes, LookupAndReload) {
  auto dir = std::filesystem::temp_directory_path() /
             ("lemonade-routes-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir);
  auto file = dir / "routes";
  {
    std::ofstream(file) << "# comment\n\nAlice@Example.org imap://127.0.0.1:1 # hers\n@example.org imap://127.0.0.1:2\n";
  }
  router r(parse_route("imap://127.0.0.1:9"), file);
  EXPECT_EQ(names(r.lookup("alice@EXAMPLE.org")), "127.0.0.1:1");  // her own line, any case
  EXPECT_EQ(names(r.lookup("bob@example.org")), "127.0.0.1:2");    // the domain's
  EXPECT_EQ(names(r.lookup("bob@example.net")), "127.0.0.1:9");    // the default
  EXPECT_EQ(names(r.lookup("bob")), "127.0.0.1:9");
  // A change is read at the next lookup (a recent file is looked at every
  // time); a file with an error keeps what was read.
  { std::ofstream(file) << "bob imap://127.0.0.1:3,imap://127.0.0.1:4\n"; }
  EXPECT_EQ(names(r.lookup("bob")), "127.0.0.1:3,127.0.0.1:4");
  EXPECT_EQ(names(r.lookup("alice@example.org")), "127.0.0.1:9");
  { std::ofstream(file) << "bob imap://127.0.0.1:5\nbroken\n"; }
  EXPECT_EQ(names(r.lookup("bob")), "127.0.0.1:3,127.0.0.1:4");
  std::filesystem::remove(file);
  EXPECT_EQ(names(r.lookup("bob")), "127.0.0.1:3,127.0.0.1:4");
  // At start-up an error is fatal, with the file and line.
  { std::ofstream(file) << "bob imap://127.0.0.1:5\nbob imap://127.0.0.1:6\n"; }
  try {
    router again(parse_route("imap://127.0.0.1:9"), file);
    FAIL() << "a name twice was taken";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(file.string() + ":2:"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lemonade::proxy
