// mailbox/: the account registry keeping recently used accounts open, the
// settled HIGHESTMODSEQ a session may announce, and the selected view's
// bookkeeping for expunges it must hold back (RFC 7162 §3.2).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "mailbox/account.hpp"
#include "mailbox/selected.hpp"
#include "store/sqlite/store.hpp"
#include "../temp_dir.hpp"

namespace lemonade::mailbox {
namespace {

using test::temp_dir;

store::new_message msg(std::string body) {
  store::new_message m;
  m.data = std::move(body);
  m.internal_date = 1700000000;
  return m;
}

class mailbox_account : public ::testing::Test {
 protected:
  temp_dir dir;
  std::unique_ptr<store::mail_store> st = store::sqlite::open_store(dir.path, {});
  store::user_record alice = st->users().add_user({0, "alice", "hash", {"s", 4096, "k1", "k2"}});
  store::user_record bob = st->users().add_user({0, "bob", "hash", {"s", 4096, "k1", "k2"}});
};

TEST_F(mailbox_account, registry_keeps_the_most_recently_used_open) {
  account_registry keep_one(*st, 1);
  std::weak_ptr<account> a = keep_one.open(alice);
  EXPECT_FALSE(a.expired());  // no session holds it, the registry does
  EXPECT_EQ(keep_one.open(alice), a.lock());
  std::weak_ptr<account> b = keep_one.open(bob);
  EXPECT_TRUE(a.expired());  // bob took the one place
  EXPECT_FALSE(b.expired());

  account_registry keep_none(*st, 0);
  std::weak_ptr<account> c = keep_none.open(alice);
  EXPECT_TRUE(c.expired());  // closed with its last holder
  auto held = keep_none.open(alice);
  EXPECT_EQ(keep_none.open(alice), held);  // one account per user while held
}

TEST_F(mailbox_account, settled_highestmodseq_follows_the_store) {
  account acct(st->open_account(alice));
  auto inbox = *acct.store().find_mailbox("INBOX");
  auto before = acct.settled_highestmodseq(inbox.id);
  ASSERT_TRUE(before);
  auto res = acct.append(inbox, {msg("Subject: a\r\n\r\n"), msg("Subject: b\r\n\r\n")});
  auto after = acct.settled_highestmodseq(inbox.id);
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, res.highestmodseq);
  EXPECT_GT(store::to_int(*after), store::to_int(*before));
}

TEST_F(mailbox_account, held_expunges_give_a_modseq_below_them) {
  auto acct = std::make_shared<account>(st->open_account(alice));
  auto inbox = *acct->store().find_mailbox("INBOX");
  acct->append(inbox, {msg("Subject: a\r\n\r\n"), msg("Subject: b\r\n\r\n"), msg("Subject: c\r\n\r\n")});
  auto view = selected_mailbox::open(*acct, inbox.id, false);
  ASSERT_EQ(view->exists(), 3u);

  // Another session flags and expunges message 2.
  acct->store_flags(inbox.id, {store::uid{2}}, store::flag_op::add, {store::flag_deleted, {}}, std::nullopt,
                    nullptr);
  auto ex = acct->expunge_deleted(inbox.id, nullptr);
  ASSERT_EQ(ex.uids.size(), 1u);

  // During FETCH/STORE/SEARCH (RFC 3501 §7.4.1) the expunge waits; the
  // flag change goes out, and a MODSEQ below the expunge's comes with it.
  auto held = view->sync(false);
  EXPECT_FALSE(held.complete);
  EXPECT_TRUE(held.expunged.empty());
  EXPECT_EQ(held.flags_changed, (std::vector<std::uint32_t>{2}));
  ASSERT_TRUE(held.below_held);
  EXPECT_EQ(store::to_int(*held.below_held), store::to_int(ex.highestmodseq) - 1);
  EXPECT_TRUE(view->pending());

  // At the next command that allows it, the expunge is reported.
  auto now = view->sync(true);
  EXPECT_TRUE(now.complete);
  EXPECT_FALSE(now.below_held);
  EXPECT_EQ(now.expunged, (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(view->exists(), 2u);
  EXPECT_FALSE(view->pending());
}

}  // namespace
}  // namespace lemonade::mailbox
