// delivery/local: which account an address reaches (issue 14 "Addresses"):
// NAME@D for every local domain, an account named as a full address, the
// +detail part, and server.aliases for a local part or a full address;
// and which sender addresses a user owns (RFC 6409 §6.1).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "delivery/local.hpp"
#include "store/sqlite/store.hpp"
#include "../temp_dir.hpp"

namespace lemonade::delivery {
namespace {

using test::temp_dir;

TEST(LocalAddresses, AccountsDomainsDetailAndAliases) {
  temp_dir dir;
  auto st = store::sqlite::open_store(dir.path, {});
  auto alice = st->users().add_user({0, "alice", "h", {}});
  auto bob = st->users().add_user({0, "bob@example.org", "h", {}});
  local_addresses a(st->users(), {"localhost", "example.net"},
                    {{"postmaster", {"alice"}},
                     {"sales@example.org", {"bob@example.org"}},
                     {"lists", {"alice+lists"}},
                     {"ghost", {"nobody"}},
                     {"team", {"alice", "bob@example.org", "nobody", "ALICE@example.net"}},
                     {"all@example.org", {"alice+team", "sales@example.org"}}});

  auto name = [&](std::string_view l, std::string_view d) {
    auto t = a.resolve(l, d);
    return t ? t->user.name + (t->detail.empty() ? "" : "+" + t->detail) : std::string("-");
  };
  EXPECT_EQ(name("alice", "localhost"), "alice");
  EXPECT_EQ(name("ALICE", "Example.NET"), "alice");
  EXPECT_EQ(name("alice+work", "localhost"), "alice+work");
  EXPECT_EQ(name("alice", "example.com"), "-");          // not a domain of ours
  EXPECT_EQ(name("bob", "example.org"), "bob@example.org");  // an account named as the address
  EXPECT_EQ(name("bob", "localhost"), "-");
  // Aliases: a bare local part at every local domain, a full address as is.
  EXPECT_EQ(name("postmaster", "localhost"), "alice");
  EXPECT_EQ(name("PostMaster", "example.net"), "alice");
  EXPECT_EQ(name("postmaster", "example.com"), "-");
  EXPECT_EQ(name("sales", "example.org"), "bob@example.org");
  EXPECT_EQ(name("Sales", "EXAMPLE.ORG"), "bob@example.org");
  EXPECT_EQ(name("lists", "localhost"), "alice+lists");
  EXPECT_EQ(name("ghost", "localhost"), "-");  // an alias to no account reaches no one

  // server.detail_mailbox = false: the detail is dropped, the account stays.
  local_addresses plain(st->users(), {"localhost"}, {}, false);
  auto t = plain.resolve("alice+work", "localhost");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->user.name, "alice");
  EXPECT_EQ(t->detail, "");

  // The sender check: own addresses and aliases, no one else's.
  EXPECT_TRUE(a.owns(alice, "alice", "example.net"));
  EXPECT_TRUE(a.owns(alice, "postmaster", "localhost"));
  EXPECT_TRUE(a.owns(bob, "sales", "example.org"));
  EXPECT_FALSE(a.owns(alice, "sales", "example.org"));
  EXPECT_FALSE(a.owns(bob, "postmaster", "localhost"));

  // A list: no single account, so resolve() names none and no one may
  // send as it; its members are the addresses of the targets that are
  // accounts, each once (alice twice under two names), without aliases
  // (sales@example.org is an alias, not an account: left out).
  EXPECT_TRUE(a.is_list("team", "localhost"));
  EXPECT_TRUE(a.is_list("Team", "example.net"));
  EXPECT_FALSE(a.is_list("team", "example.com"));
  EXPECT_FALSE(a.is_list("postmaster", "localhost"));
  EXPECT_EQ(name("team", "localhost"), "-");
  EXPECT_FALSE(a.owns(alice, "team", "localhost"));
  auto members = a.list_members("team", "localhost");
  ASSERT_TRUE(members);
  EXPECT_EQ(*members, (std::vector<std::string>{"alice@localhost", "bob@example.org"}));
  members = a.list_members("all", "example.org");
  ASSERT_TRUE(members);
  EXPECT_EQ(*members, (std::vector<std::string>{"alice+team@localhost"}));
  EXPECT_FALSE(a.list_members("postmaster", "localhost"));
  EXPECT_FALSE(a.list_members("alice", "localhost"));
}

}  // namespace
}  // namespace lemonade::delivery
