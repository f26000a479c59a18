// store/sqlite: the account store's rules (RFC 3501 §6.3 semantics,
// UIDs, MODSEQ, blobs, group commit). To be instantiated per backend
// once store/postgres exists (STYLE.md §7).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "store/sqlite/account.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/inline_blobs.hpp"
#include "store/sqlite/store.hpp"
#include "store/sqlite/trigram_tokenizer.hpp"
#include "../temp_dir.hpp"

namespace lemonade::store {
namespace {

using test::temp_dir;

new_message msg(std::string body, std::uint8_t flags = 0) {
  new_message m;
  m.data = std::move(body);
  m.flags.system = flags;
  m.internal_date = 1700000000;
  return m;
}

std::vector<std::string> names(account_store& a) {
  std::vector<std::string> out;
  for (auto& m : a.list_mailboxes()) out.push_back(m.name + (m.selectable ? "" : "(noselect)"));
  return out;
}

store_limits with_inline_limit(std::size_t octets) {
  store_limits l;
  l.inline_message_size = octets;
  return l;
}

class store_sqlite : public ::testing::Test {
 protected:
  explicit store_sqlite(store_limits limits = {}) : st(sqlite::open_store(dir.path, limits)) {}
  temp_dir dir;
  std::unique_ptr<mail_store> st;
  user_record user = st->users().add_user({0, "alice", "hash", {"s", 4096, "k1", "k2"}});
  std::shared_ptr<account_store> acct = st->open_account(user);
  std::filesystem::path blobs() const { return dir.path / "mail" / std::to_string(user.id) / "blobs"; }
  std::filesystem::path blob_path(const std::string& hash) const { return blobs() / hash.substr(0, 2) / hash; }
  // Rows of message_data, read beside the account's own connections.
  std::int64_t inline_rows() const {
    sqlite::db d(dir.path / "mail" / std::to_string(user.id) / "mail.db");
    auto& s = d.cached("SELECT count(*) FROM message_data");
    std::int64_t n = s.step() ? s.int64(0) : -1;
    s.reset();
    return n;
  }
};

// Every message in a blob file (store.inline_message_size = 0).
class store_sqlite_files : public store_sqlite {
 protected:
  store_sqlite_files() : store_sqlite(with_inline_limit(0)) {}
};

// Messages up to 1,000 octets in the database, larger ones in files.
class store_sqlite_inline : public store_sqlite {
 protected:
  store_sqlite_inline() : store_sqlite(with_inline_limit(1000)) {}
};

TEST_F(store_sqlite, users) {
  EXPECT_TRUE(st->users().find_user("ALICE"));  // case-insensitive
  EXPECT_THROW(st->users().add_user({0, "Alice", "h", {}}), error);
  EXPECT_THROW(st->users().add_user({0, "bad name", "h", {}}), error);
  auto bob = st->users().add_user({0, "bob", "h", {}});
  EXPECT_EQ(st->users().list_users().size(), 2u);
  st->users().delete_user("bob");
  EXPECT_FALSE(st->users().find_user("bob"));
  EXPECT_THROW(st->users().delete_user("bob"), error);
  // Ids are never reused: a running server may still hold bob's account.
  EXPECT_GT(st->users().add_user({0, "bob", "h", {}}).id, bob.id);
}

// Proxy identities: the user's account (id, name) with the identity's own
// credentials and grant; labels are case-insensitive, one per user each;
// removed with their user.
TEST_F(store_sqlite, proxy_identities) {
  auto& users = st->users();
  auto bob = users.add_user({0, "bob", "h", {}});
  user_record p{0, "bob", "proxy-hash", {"s", 4096, "k1", "k2"}, proxy_grant{"phone", allow_expunge}};
  users.add_proxy(p);
  auto found = users.find_proxy("BOB", "Phone");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, bob.id);
  EXPECT_EQ(found->name, "bob");
  EXPECT_EQ(found->password_hash, "proxy-hash");
  EXPECT_EQ(found->scram.server_key, "k2");
  ASSERT_TRUE(found->proxy);
  EXPECT_EQ(found->proxy->label, "phone");
  EXPECT_EQ(found->proxy->allow, unsigned{allow_expunge});
  EXPECT_FALSE(users.find_user("bob")->proxy);  // the user's own record
  EXPECT_THROW(users.add_proxy(p), error);      // already exists
  p.proxy->label = "bad label";
  EXPECT_THROW(users.add_proxy(p), error);
  p.proxy->label = "ops";
  p.name = "nobody";
  EXPECT_THROW(users.add_proxy(p), error);  // no such user
  p.name = "bob";
  users.add_proxy(p);
  users.set_proxy_allowances("bob", "ops", allow_urlauth | allow_shared_metadata);
  EXPECT_EQ(users.find_proxy("bob", "ops")->proxy->allow, unsigned{allow_urlauth | allow_shared_metadata});
  EXPECT_THROW(users.set_proxy_allowances("bob", "nobody", 0), error);
  auto list = users.list_proxies("bob");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].proxy->label, "ops");
  EXPECT_EQ(users.list_all_proxies().size(), 2u);
  users.remove_proxy("bob", "ops");
  EXPECT_FALSE(users.find_proxy("bob", "ops"));
  EXPECT_THROW(users.remove_proxy("bob", "ops"), error);
  EXPECT_FALSE(users.find_proxy("alice", "phone"));  // another user's label
  // Added again under its label with new credentials: another tag, so
  // sessions of the old password are told apart.
  auto before = *users.find_proxy("bob", "phone")->proxy;
  users.remove_proxy("bob", "phone");
  p.proxy->label = "phone";
  p.password_hash = "another-hash";
  users.add_proxy(p);
  auto after = *users.find_proxy("bob", "phone")->proxy;
  EXPECT_EQ(after.allow, before.allow);
  EXPECT_FALSE(after.same_as(before));
  users.delete_user("bob");
  EXPECT_TRUE(users.list_all_proxies().empty());
}

// Pairing codes: redeemed once, in time, for a new key of the device;
// S/MIME certificates: one of each per user, at most `max`; app passwords.
TEST_F(store_sqlite, pairing_codes_and_certificates) {
  auto& users = st->users();
  users.add_user({0, "bob", "h", {}});
  users.add_user({0, "carol", "h", {}});
  std::int64_t now = 1'800'000'000;
  users.add_pairing_code("bob", "watch", std::string(32, 'b'), now - 700, now - 1, 2);
  users.add_pairing_code("bob", "tablet", std::string(32, 'a'), now, now + 600, 2);  // drops the expired one
  users.add_pairing_code("bob", "phone", std::string(32, 'p'), now, now + 600, 2);
  EXPECT_THROW(users.add_pairing_code("bob", "more", std::string(32, 'm'), now, now + 600, 2), error);  // limit
  EXPECT_THROW(users.add_pairing_code("nobody", "tablet", std::string(32, 'c'), now, now + 600, 2), error);
  EXPECT_THROW(users.add_pairing_code("bob", "bad name", std::string(32, 'c'), now, now + 600, 2), error);
  EXPECT_FALSE(users.redeem_pairing_code(std::string(32, 'z'), now));
  EXPECT_FALSE(users.redeem_pairing_code(std::string(32, 'b'), now));  // expired
  auto got = users.redeem_pairing_code(std::string(32, 'a'), now);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, "bob");
  EXPECT_EQ(got->second.device, "tablet");
  EXPECT_EQ(users.find_device_key("bob", got->second.id)->secret, got->second.secret);
  EXPECT_FALSE(users.redeem_pairing_code(std::string(32, 'a'), now));  // once

  store::smime_certificate c{std::string(32, '1'), "CN=bob", now + 100, 0, "der-1"};
  users.add_smime_certificate("bob", c, 2);
  EXPECT_THROW(users.add_smime_certificate("bob", c, 2), error);  // the same again
  users.add_smime_certificate("carol", c, 2);                    // another user's may be the same
  c.fingerprint = std::string(32, '2');
  c.der = "der-2";
  users.add_smime_certificate("bob", c, 2);
  c.fingerprint = std::string(32, '3');
  try {
    users.add_smime_certificate("bob", c, 2);
    ADD_FAILURE() << "a third certificate";
  } catch (const error& e) {
    EXPECT_EQ(e.what_code, error::code::limit);
  }
  auto listed = users.list_smime_certificates("bob");
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[1].der, "der-2");
  EXPECT_EQ(listed[0].subject, "CN=bob");
  EXPECT_GT(listed[0].added, 0);
  users.remove_smime_certificate("bob", std::string(32, '1'));
  EXPECT_THROW(users.remove_smime_certificate("bob", std::string(32, '1')), error);
  EXPECT_EQ(users.list_smime_certificates("bob").size(), 1u);
  EXPECT_EQ(users.list_smime_certificates("carol").size(), 1u);
  // The server's S/MIME identity for bob: made once, its key wrapped.
  EXPECT_FALSE(users.find_server_smime("bob"));
  auto made = users.make_server_smime("bob");
  EXPECT_FALSE(made.certificate.empty());
  EXPECT_EQ(users.make_server_smime("bob").certificate, made.certificate);
  EXPECT_EQ(users.find_server_smime("bob")->private_key, made.private_key);
  EXPECT_NE(users.make_server_smime("carol").certificate, made.certificate);
  EXPECT_THROW(users.make_server_smime("nobody"), error);
  // App passwords, found by hash, for their user only.
  users.add_app_password("bob", "laptop", std::string(32, 'h'));
  EXPECT_THROW(users.add_app_password("bob", "LAPTOP", std::string(32, 'i')), error);
  EXPECT_THROW(users.add_app_password("bob", "bad label", std::string(32, 'i')), error);
  EXPECT_EQ(users.find_app_password("bob", std::string(32, 'h')), "laptop");
  EXPECT_FALSE(users.find_app_password("carol", std::string(32, 'h')));
  EXPECT_FALSE(users.find_app_password("bob", std::string(32, 'i')));
  ASSERT_EQ(users.list_app_passwords("bob").size(), 1u);
  users.remove_app_password("bob", "laptop");
  EXPECT_FALSE(users.find_app_password("bob", std::string(32, 'h')));
  EXPECT_THROW(users.remove_app_password("bob", "laptop"), error);
  users.delete_user("bob");
  EXPECT_TRUE(users.list_smime_certificates("bob").empty());
}

// Device keys (docs/xencrypted.md): made with a secret shown once, listed
// without it, found only while in use; wrapped under the master key, made
// with the first key (mode 0600), and useless without it.
TEST_F(store_sqlite, device_keys) {
  auto& users = st->users();
  users.add_user({0, "bob", "h", {}});
  users.add_user({0, "carol", "h", {}});
  auto master = dir.path / "master.key";
  EXPECT_FALSE(std::filesystem::exists(master));
  auto k = users.add_device_key("bob", "phone");
  EXPECT_EQ(k.id.size(), 8u);
  EXPECT_EQ(k.secret.size(), 32u);
  EXPECT_EQ(k.device, "phone");
  ASSERT_TRUE(std::filesystem::exists(master));
  EXPECT_EQ(std::filesystem::status(master).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto found = users.find_device_key("BOB", k.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->secret, k.secret);
  EXPECT_FALSE(users.find_device_key("carol", k.id));  // another user's key
  EXPECT_THROW(users.add_device_key("bob", "bad name"), error);
  EXPECT_THROW(users.add_device_key("nobody", "phone"), error);
  auto tablet = users.add_device_key("bob", "tablet");
  auto listed = users.list_device_keys("bob");
  ASSERT_EQ(listed.size(), 2u);
  for (auto& l : listed) EXPECT_TRUE(l.secret.empty());
  // Rotation: a new key for the device, the old one revoked.
  auto rotated = users.rotate_device_key("bob", k.id);
  EXPECT_EQ(rotated.device, "phone");
  EXPECT_NE(rotated.id, k.id);
  EXPECT_NE(rotated.secret, k.secret);
  EXPECT_FALSE(users.find_device_key("bob", k.id));
  EXPECT_EQ(users.find_device_key("bob", rotated.id)->secret, rotated.secret);
  EXPECT_THROW(users.rotate_device_key("bob", k.id), error);  // revoked already
  users.revoke_device_key("bob", tablet.id);
  EXPECT_FALSE(users.find_device_key("bob", tablet.id));
  EXPECT_THROW(users.revoke_device_key("bob", tablet.id), error);
  EXPECT_THROW(users.revoke_device_key("carol", rotated.id), error);
  listed = users.list_device_keys("bob");
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(std::count_if(listed.begin(), listed.end(), [](auto& l) { return !l.revoked; }), 1);
  EXPECT_EQ(users.device_keys_in_use(), std::vector<std::string>{rotated.id});

  // The secret is not in the database in the clear.
  std::ifstream db(dir.path / "accounts.db", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)), {});
  EXPECT_EQ(bytes.find(rotated.secret), std::string::npos);
  // Another master key (read by a store opened after it changed): the
  // wrapped keys do not open (an error, not a key); nor with none.
  auto kept = master;
  kept += ".kept";
  std::filesystem::copy_file(master, kept);
  std::ofstream(master) << std::string(64, '7') << "\n";
  EXPECT_THROW(sqlite::open_store(dir.path, {})->users().find_device_key("bob", rotated.id), std::runtime_error);
  // A master key others may read is refused.
  std::filesystem::copy_file(kept, master, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::permissions(master, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
  EXPECT_THROW(sqlite::open_store(dir.path, {})->users().find_device_key("bob", rotated.id), std::runtime_error);
  std::filesystem::permissions(master, std::filesystem::perms::group_read, std::filesystem::perm_options::remove);
  EXPECT_EQ(sqlite::open_store(dir.path, {})->users().find_device_key("bob", rotated.id)->secret, rotated.secret);
  // Missing: no key can be read, and none is made in its place while
  // keys exist.
  std::filesystem::remove(master);
  EXPECT_THROW(sqlite::open_store(dir.path, {})->users().find_device_key("bob", rotated.id), std::runtime_error);
  EXPECT_THROW(sqlite::open_store(dir.path, {})->users().add_device_key("carol", "phone"), std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(master));
  // Keys go with their user.
  users.delete_user("bob");
  EXPECT_TRUE(users.list_device_keys("bob").empty());
}

TEST_F(store_sqlite, default_mailboxes) {
  EXPECT_EQ(names(*acct), (std::vector<std::string>{"Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"}));
  EXPECT_EQ(acct->find_mailbox("Sent")->special_use, "\\Sent");
  EXPECT_EQ(acct->subscriptions().size(), 6u);
}

TEST_F(store_sqlite, create_delete_rename) {
  acct->create_mailbox("a/b/c", "");
  EXPECT_TRUE(acct->find_mailbox("a"));
  EXPECT_TRUE(acct->find_mailbox("a/b"));
  try {
    acct->create_mailbox("a/b", "");
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.what_code, error::code::already_exists);
  }
  acct->delete_mailbox("a/b");  // RFC 3501 §6.3.4: inferiors keep it as \Noselect
  EXPECT_FALSE(acct->find_mailbox("a/b")->selectable);
  try {
    acct->delete_mailbox("a/b");
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.what_code, error::code::has_children);
  }
  acct->delete_mailbox("a/b/c");
  EXPECT_FALSE(acct->find_mailbox("a/b"));  // pruned with its last inferior
  acct->create_mailbox("x/y", "");
  acct->set_subscribed("x/y", true);
  acct->rename_mailbox("x", "z/w");
  EXPECT_TRUE(acct->find_mailbox("z/w/y"));
  EXPECT_FALSE(acct->find_mailbox("x"));
  auto subs = acct->subscriptions();
  EXPECT_NE(std::find(subs.begin(), subs.end(), "z/w/y"), subs.end());
  EXPECT_THROW(acct->delete_mailbox("INBOX"), error);
  EXPECT_THROW(acct->create_mailbox("bad//name", ""), error);
}

TEST_F(store_sqlite, uidvalidity_never_repeats) {
  auto first = acct->create_mailbox("again", "").uidvalidity;
  acct->delete_mailbox("again");
  EXPECT_NE(acct->create_mailbox("again", "").uidvalidity, first);
}

TEST_F(store_sqlite, append_expunge_uids_and_modseq) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto r = acct->append(inbox.id, {msg("a"), msg("b", flag_deleted), msg("c", flag_seen)});
  EXPECT_EQ(r.uids, (std::vector<uid>{uid{1}, uid{2}, uid{3}}));
  auto st1 = acct->status(inbox.id);
  EXPECT_EQ(st1.messages, 3u);
  EXPECT_EQ(st1.unseen, 2u);
  EXPECT_EQ(st1.recent, 3u);
  auto ex = acct->expunge_deleted(inbox.id, nullptr);
  EXPECT_EQ(ex.uids, (std::vector<uid>{uid{2}}));
  EXPECT_GT(to_int(ex.highestmodseq), to_int(r.highestmodseq));
  auto r2 = acct->append(inbox.id, {msg("d")});
  EXPECT_EQ(r2.uids, (std::vector<uid>{uid{4}}));  // never reused
  // \Recent: the first claimant owns them.
  EXPECT_EQ(acct->claim_recent(inbox.id, uid{5}), uid{1});
  EXPECT_EQ(acct->claim_recent(inbox.id, uid{5}), uid{5});
  EXPECT_EQ(acct->status(inbox.id).recent, 0u);
}

// RFC 3501 §2.3.2: "subsequent sessions will not see \Recent set for this
// message". A claim is made in memory, seen at once by STATUS and by a
// snapshot (EXAMINE), saved with the next commit or when the account
// closes, and holds for a mailbox created again under the same id only if
// it is the same mailbox (UIDVALIDITY).
TEST_F(store_sqlite, recent_claims_hold_across_reopening) {
  auto inbox = *acct->find_mailbox("INBOX");
  acct->append(inbox.id, {msg("a"), msg("b")});
  EXPECT_EQ(acct->claim_recent(inbox.id, uid{3}), uid{1});
  EXPECT_EQ(acct->status(inbox.id).recent, 0u);
  EXPECT_EQ(acct->snapshot(inbox.id, uid{1}).first_recent, uid{3});
  acct->append(inbox.id, {msg("c")});  // a commit: the claim is saved with it
  acct.reset();
  acct = st->open_account(user);
  EXPECT_EQ(acct->status(inbox.id).recent, 1u);
  EXPECT_EQ(acct->claim_recent(inbox.id, uid{4}), uid{3});
  acct.reset();  // unsaved until the account closes
  acct = st->open_account(user);
  EXPECT_EQ(acct->status(inbox.id).recent, 0u);
  EXPECT_EQ(acct->claim_recent(inbox.id, uid{4}), uid{4});
  // A mailbox deleted and created again: a new UIDVALIDITY, nothing claimed.
  auto box = acct->create_mailbox("Box", "");
  acct->append(box.id, {msg("x")});
  EXPECT_EQ(acct->claim_recent(box.id, uid{2}), uid{1});
  acct->delete_mailbox("Box");
  auto again = acct->create_mailbox("Box", "");
  acct->append(again.id, {msg("y")});
  EXPECT_EQ(acct->status(again.id).recent, 1u);
  EXPECT_EQ(acct->claim_recent(again.id, uid{2}), uid{1});
}

TEST_F(store_sqlite, store_flags_and_unchanged_since) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto r = acct->append(inbox.id, {msg("a"), msg("b")});
  flag_set seen{flag_seen, {"$Forwarded"}};
  auto res = acct->store_flags(inbox.id, r.uids, flag_op::add, seen, std::nullopt);
  ASSERT_EQ(res.updated.size(), 2u);
  EXPECT_EQ(res.updated[0].flags, seen);
  EXPECT_EQ(acct->status(inbox.id).unseen, 0u);
  // RFC 7162 §3.1.3: messages changed since are left alone.
  auto res2 = acct->store_flags(inbox.id, {r.uids[0]}, flag_op::remove, {flag_seen, {}},
                                modseq{to_int(res.highestmodseq) - 1});
  EXPECT_EQ(res2.modified, (std::vector<uid>{r.uids[0]}));
  EXPECT_TRUE(res2.updated.empty());
  auto res3 = acct->store_flags(inbox.id, {r.uids[0]}, flag_op::add, seen, std::nullopt);
  EXPECT_TRUE(res3.updated.empty());  // no change, no new MODSEQ
}

// docs/xencrypted.md: the key a message came encrypted under goes with it
// when it is copied or moved; one that came in the clear has none.
TEST_F(store_sqlite, sealed_by_follows_the_message) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto trash = *acct->find_mailbox("Trash");
  auto sealed = msg("from the device");
  sealed.sealed_by = "\x01\x02\x03\x04\x05\x06\x07\x08";
  auto r = acct->append(inbox.id, {sealed, msg("delivered")});
  EXPECT_EQ(acct->sealed_by(inbox.id, r.uids[0]), sealed.sealed_by);
  EXPECT_EQ(acct->sealed_by(inbox.id, r.uids[1]), std::string());
  EXPECT_EQ(acct->sealed_by(inbox.id, uid{99}), std::nullopt);
  auto c = acct->copy(inbox.id, {r.uids[0]}, trash.id, false);
  EXPECT_EQ(acct->sealed_by(trash.id, c.target[0]), sealed.sealed_by);
  auto m = acct->copy(inbox.id, {r.uids[1]}, trash.id, true);
  EXPECT_EQ(acct->sealed_by(trash.id, m.target[0]), std::string());
}

TEST_F(store_sqlite, copy_move_and_inbox_rename_share_blobs) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto trash = *acct->find_mailbox("Trash");
  auto r = acct->append(inbox.id, {msg("same bytes"), msg("same bytes"), msg("other")});
  auto c = acct->copy(inbox.id, {r.uids[0], r.uids[2]}, trash.id, false);
  EXPECT_EQ(c.target, (std::vector<uid>{uid{1}, uid{2}}));
  auto m = acct->copy(inbox.id, {r.uids[1]}, trash.id, true);
  EXPECT_EQ(m.expunged, (std::vector<uid>{r.uids[1]}));
  EXPECT_EQ(acct->status(inbox.id).messages, 2u);
  EXPECT_EQ(acct->status(trash.id).messages, 3u);
  auto recs = acct->fetch(trash.id, {uid{1}, uid{3}});
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].blob, recs[1].blob);  // one file for identical bytes
  EXPECT_EQ(acct->read_message(recs[0].blob), "same bytes");
  // RFC 3501 §6.3.5: renaming INBOX moves its messages, INBOX stays.
  acct->rename_mailbox("INBOX", "old");
  EXPECT_EQ(acct->status(inbox.id).messages, 0u);
  EXPECT_EQ(acct->status(acct->find_mailbox("old")->id).messages, 2u);
}

// SELECT of a big mailbox brings a cached snapshot up to date from the
// rows and expunges above its MODSEQ: after any mix of changes it must
// equal what a store with an empty cache reads row by row.
TEST_F(store_sqlite, cached_snapshot_follows_every_change) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto trash = *acct->find_mailbox("Trash");
  std::vector<new_message> many;
  for (int i = 0; i < 1500; ++i) many.push_back(msg("message " + std::to_string(i % 7)));
  acct->append(inbox.id, std::move(many));
  auto same = [&](const char* what) {
    auto cached = acct->snapshot(inbox.id, uid{1});
    auto fresh = st->open_account(user)->snapshot(inbox.id, uid{1});
    ASSERT_EQ(cached.messages.size(), fresh.messages.size()) << what;
    for (std::size_t i = 0; i < fresh.messages.size(); ++i) {
      auto& a = cached.messages[i];
      auto& b = fresh.messages[i];
      ASSERT_TRUE(a.id == b.id && a.mod == b.mod && a.flags == b.flags)
          << what << ": message " << i << " uid " << to_int(a.id) << "/" << to_int(b.id);
    }
    EXPECT_EQ(cached.info.highestmodseq, fresh.info.highestmodseq) << what;
  };
  same("first read");
  std::mt19937 rng(7162);
  auto pick = [&](std::size_t n) {
    auto snap = acct->snapshot(inbox.id, uid{1});
    std::vector<uid> out;
    for (std::size_t i = 0; i < n && !snap.messages.empty(); ++i)
      out.push_back(snap.messages[rng() % snap.messages.size()].id);
    std::sort(out.begin(), out.end(), [](uid a, uid b) { return to_int(a) < to_int(b); });
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  };
  for (int round = 0; round < 40; ++round) {
    switch (rng() % 5) {
      case 0:
        acct->store_flags(inbox.id, pick(1 + rng() % 30), flag_op::add, {flag_seen, {"$Forwarded"}}, std::nullopt);
        break;
      case 1:
        acct->store_flags(inbox.id, pick(1 + rng() % 30), flag_op::replace, {flag_flagged, {"Work"}}, std::nullopt);
        break;
      case 2:
        acct->store_flags(inbox.id, pick(1 + rng() % 10), flag_op::add, {flag_deleted, {}}, std::nullopt);
        acct->expunge_deleted(inbox.id, nullptr);
        break;
      case 3:
        acct->append(inbox.id, {msg("new a"), msg("new b", flag_seen)});
        break;
      case 4:
        acct->copy(inbox.id, pick(1 + rng() % 5), trash.id, true);
        break;
    }
    same(("round " + std::to_string(round)).c_str());
  }
  // Most of the mailbox changed at once: read whole, still the same.
  acct->store_flags(inbox.id, pick(1000), flag_op::add, {flag_answered, {}}, std::nullopt);
  same("after a big change");
  // RENAME INBOX moves every message away (RFC 3501 §6.3.5).
  acct->rename_mailbox("INBOX", "old");
  same("after renaming INBOX");
}

// RFC 3501 §7.4.1 / RFC 2180 §4.1.1: an expunged message stays readable
// (row and blob) until the mailbox layer releases it, and is collected
// with the next write after that; whatever a stop leaves is collected when
// the account opens again.
TEST_F(store_sqlite_files, expunged_messages_stay_readable_until_released) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto r = acct->append(inbox.id, {msg("doomed", flag_deleted), msg("kept")});
  auto blob = acct->fetch(inbox.id, r.uids)[0].blob;
  auto path = dir.path / "mail" / std::to_string(user.id) / "blobs" / blob.substr(0, 2) / blob;
  EXPECT_TRUE(std::filesystem::exists(path));
  auto x = acct->expunge_deleted(inbox.id, nullptr);
  EXPECT_EQ(acct->status(inbox.id).messages, 1u);
  auto ghost = acct->fetch(inbox.id, {r.uids[0]});
  ASSERT_EQ(ghost.size(), 1u);
  EXPECT_EQ(acct->read_message(ghost[0].blob), "doomed");
  // Released below the expunge's MODSEQ: still kept.
  acct->release_expunged(inbox.id, x.highestmodseq);
  acct->set_subscribed("INBOX", true);  // any write
  EXPECT_TRUE(std::filesystem::exists(path));
  acct->release_expunged(inbox.id, modseq{to_int(x.highestmodseq) + 1});
  EXPECT_TRUE(std::filesystem::exists(path));  // until the next write
  acct->set_subscribed("INBOX", true);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(acct->fetch(inbox.id, {r.uids[0]}).empty());
  EXPECT_EQ(acct->fetch(inbox.id, {r.uids[1]}).size(), 1u);

  // Not released, then the account closes and opens: collected.
  auto r2 = acct->append(inbox.id, {msg("doomed too", flag_deleted)});
  auto blob2 = acct->fetch(inbox.id, r2.uids)[0].blob;
  auto path2 = dir.path / "mail" / std::to_string(user.id) / "blobs" / blob2.substr(0, 2) / blob2;
  acct->expunge_deleted(inbox.id, nullptr);
  EXPECT_TRUE(std::filesystem::exists(path2));
  acct.reset();
  acct = st->open_account(user);
  EXPECT_FALSE(std::filesystem::exists(path2));
}

// A blob shared by a live message is never collected with a ghost.
TEST_F(store_sqlite, shared_blob_outlives_its_expunged_copy) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto r = acct->append(inbox.id, {msg("same", flag_deleted), msg("same")});
  auto blob = acct->fetch(inbox.id, r.uids)[0].blob;
  acct->expunge_deleted(inbox.id, nullptr);
  acct->release_expunged(inbox.id, modseq{1000});
  acct->set_subscribed("INBOX", true);
  EXPECT_EQ(acct->read_message(blob), "same");
}

// Issue 12: "a crash must not leak it forever". An APPEND that fails
// after its blob is written takes the blob back at once (unless another
// message has the same content); what a crash leaves is swept.
TEST_F(store_sqlite_files, failed_append_leaves_no_blob) {
  acct->create_mailbox("a/b", "");
  acct->delete_mailbox("a");  // \Noselect: an APPEND to it fails in the commit
  auto a = *acct->find_mailbox("a");
  ASSERT_FALSE(a.selectable);
  auto inbox = *acct->find_mailbox("INBOX");
  acct->append(inbox.id, {msg("shared content")});
  EXPECT_THROW(acct->append(a.id, {msg("lonely content"), msg("shared content")}), error);
  auto blobs = dir.path / "mail" / std::to_string(user.id) / "blobs";
  auto path_of = [&](const std::string& body) {
    auto h = blob_store::content_hash(body);
    return blobs / h.substr(0, 2) / h;
  };
  EXPECT_FALSE(std::filesystem::exists(path_of("lonely content")));
  EXPECT_TRUE(std::filesystem::exists(path_of("shared content")));
}

// A staged message (CATENATE) becomes a blob by a rename; its content
// equals what was written; one identical to a stored blob shares it; one
// never appended leaves no file behind.
TEST_F(store_sqlite_files, staged_messages) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto blobs = dir.path / "mail" / std::to_string(user.id) / "blobs";
  auto staging_files = [&] {
    std::size_t n = 0;
    if (std::filesystem::exists(blobs / "staging"))
      for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(blobs / "staging")) ++n;
    return n;
  };
  auto stage = [&](std::vector<std::string> pieces) {
    std::shared_ptr<staged_message> s = acct->stage_message();
    for (auto& p : pieces) s->write(p);
    s->finish();
    return s;
  };
  acct->append(inbox.id, {msg("Subject: one\r\n\r\nbody\r\n")});
  auto a = stage({"Subject: one\r\n", "\r\n", "body\r\n"});  // same content as the stored one
  auto b = stage({"Subject: two\r\n\r\n", std::string(300000, 'x'), "\r\n"});
  EXPECT_EQ(b->view().size(), b->size());
  EXPECT_EQ(b->size(), 300018u);
  new_message ma = msg(""), mb = msg("");
  ma.staged = a;
  mb.staged = b;
  auto r = acct->append(inbox.id, {ma, mb});
  ASSERT_EQ(r.uids.size(), 2u);
  auto recs = acct->fetch(inbox.id, {uid{1}, uid{2}, uid{3}});
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].blob, recs[1].blob);
  EXPECT_EQ(acct->read_message(recs[1].blob), "Subject: one\r\n\r\nbody\r\n");
  EXPECT_EQ(recs[2].size, 300018u);
  EXPECT_EQ(acct->read_message(recs[2].blob), "Subject: two\r\n\r\n" + std::string(300000, 'x') + "\r\n");
  EXPECT_EQ(blob_store::content_hash(acct->read_message(recs[2].blob)), recs[2].blob);
  // `a` was not renamed (its blob existed): its file goes with it.
  EXPECT_EQ(staging_files(), 1u);
  ma.staged.reset();
  a.reset();
  EXPECT_EQ(staging_files(), 0u);
  {
    auto dropped = stage({"never appended"});
    EXPECT_EQ(staging_files(), 1u);
  }
  EXPECT_EQ(staging_files(), 0u);
}

// store.inline_message_size: a small message lives in message_data, with
// no file; read whole and in pieces like a file; shared by COPY; gone
// with its last reference (the ghost purge), in the same transaction.
TEST_F(store_sqlite_inline, small_messages_live_in_the_database) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto archive = acct->create_mailbox("Kept", "");
  std::string small = "Subject: small\r\n\r\n" + std::string(900, 's') + "\r\n";
  std::string big = "Subject: big\r\n\r\n" + std::string(2000, 'b') + "\r\n";
  auto r = acct->append(inbox.id, {msg(small, flag_deleted), msg(big)});
  auto recs = acct->fetch(inbox.id, r.uids);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(blob_path(recs[0].blob)));
  EXPECT_TRUE(std::filesystem::exists(blob_path(recs[1].blob)));
  EXPECT_EQ(recs[0].blob, blob_store::content_hash(small));
  EXPECT_EQ(inline_rows(), 1);
  EXPECT_EQ(acct->read_message(recs[0].blob), small);
  EXPECT_EQ(acct->read_message(recs[1].blob), big);
  EXPECT_EQ(acct->read_message(recs[0].blob, 9, 5), "small");
  EXPECT_EQ(acct->read_message(recs[0].blob, small.size() - 3, 100), "s\r\n");  // ends first
  EXPECT_EQ(acct->read_message(recs[0].blob, small.size(), 10), "");
  // The same content again, and a COPY: one row.
  acct->append(inbox.id, {msg(small)});
  acct->copy(inbox.id, {r.uids[0]}, archive.id, false);
  EXPECT_EQ(inline_rows(), 1);
  // Expunged and released: the other messages keep it.
  auto x = acct->expunge_deleted(inbox.id, nullptr);
  acct->release_expunged(inbox.id, modseq{to_int(x.highestmodseq) + 1});
  acct->set_subscribed("INBOX", true);  // a write: the purge runs
  EXPECT_EQ(inline_rows(), 1);
  EXPECT_EQ(acct->read_message(recs[0].blob), small);
  // Every reference gone: the row goes with the purge.
  acct->store_flags(inbox.id, {uid{3}}, flag_op::add, flag_set{flag_deleted, {}}, std::nullopt);
  acct->store_flags(archive.id, {uid{1}}, flag_op::add, flag_set{flag_deleted, {}}, std::nullopt);
  auto x1 = acct->expunge_deleted(inbox.id, nullptr);
  auto x2 = acct->expunge_deleted(archive.id, nullptr);
  EXPECT_EQ(inline_rows(), 1);  // ghosts a session may still read
  acct->release_expunged(inbox.id, modseq{to_int(x1.highestmodseq) + 1});
  acct->release_expunged(archive.id, modseq{to_int(x2.highestmodseq) + 1});
  acct->set_subscribed("INBOX", true);
  EXPECT_EQ(inline_rows(), 0);
  EXPECT_TRUE(std::filesystem::exists(blob_path(recs[1].blob)));
  EXPECT_EQ(acct->read_message(recs[1].blob), big);
}

// Two contents whose hashes share the rowid's bits: the second is kept
// in a file, and each reads back as itself.
TEST_F(store_sqlite_inline, rowid_taken_by_another_hash_falls_back_to_a_file) {
  auto inbox = *acct->find_mailbox("INBOX");
  std::string content = "Subject: victim\r\n\r\nhello\r\n";
  auto hash = blob_store::content_hash(content);
  {
    sqlite::db d(dir.path / "mail" / std::to_string(user.id) / "mail.db");
    d.cached("INSERT INTO message_data(id, hash, data) VALUES(?1, ?2, ?3)")
        .bind(1, sqlite::inline_id(hash))
        .bind(2, hash.substr(0, 16) + std::string(48, '0'))
        .bind_blob(3, "someone else")
        .run();
  }
  auto r = acct->append(inbox.id, {msg(content)});
  EXPECT_TRUE(std::filesystem::exists(blob_path(hash)));
  EXPECT_EQ(acct->read_message(acct->fetch(inbox.id, r.uids)[0].blob), content);
  EXPECT_EQ(acct->read_message(hash, 9, 6), "victim");
}

// A staged message (CATENATE, LMTP) up to the limit stays in memory and
// never makes a file; a larger one goes to a staged file at the write
// that passes the limit, and becomes a blob file.
TEST_F(store_sqlite_inline, staged_messages_small_in_memory_large_in_files) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto staging_files = [&] {
    std::size_t n = 0;
    if (std::filesystem::exists(blobs() / "staging"))
      for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(blobs() / "staging")) ++n;
    return n;
  };
  std::shared_ptr<staged_message> small = acct->stage_message();
  small->write("Subject: s\r\n\r\n");
  small->write(std::string(900, 'x'));
  EXPECT_EQ(staging_files(), 0u);
  small->finish();
  std::shared_ptr<staged_message> large = acct->stage_message();
  large->write("Subject: l\r\n\r\n");
  EXPECT_EQ(staging_files(), 0u);
  large->write(std::string(990, 'y'));  // past 1,000
  EXPECT_EQ(staging_files(), 1u);
  large->write("\r\n");
  large->finish();
  EXPECT_EQ(large->view(), "Subject: l\r\n\r\n" + std::string(990, 'y') + "\r\n");
  new_message ms = msg(""), ml = msg("");
  ms.staged = small;
  ml.staged = large;
  auto r = acct->append(inbox.id, {ms, ml});
  auto recs = acct->fetch(inbox.id, r.uids);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(acct->read_message(recs[0].blob), "Subject: s\r\n\r\n" + std::string(900, 'x'));
  EXPECT_EQ(acct->read_message(recs[1].blob), "Subject: l\r\n\r\n" + std::string(990, 'y') + "\r\n");
  EXPECT_FALSE(std::filesystem::exists(blob_path(recs[0].blob)));
  EXPECT_TRUE(std::filesystem::exists(blob_path(recs[1].blob)));
  EXPECT_EQ(inline_rows(), 1);
  EXPECT_EQ(staging_files(), 0u);  // renamed into place
}

TEST(store_sqlite_sweep, deletes_only_unreferenced_old_blobs) {
  temp_dir d;
  auto sweep_once = [&](std::chrono::seconds age, auto&& before) {
    store_limits limits;
    limits.blob_sweep_age = age;
    auto st = sqlite::open_store(d.path, limits);
    auto u = st->users().find_user("bob");
    if (!u) u = st->users().add_user({0, "bob", "hash", {"s", 4096, "k1", "k2"}});
    auto account = std::static_pointer_cast<sqlite::sqlite_account>(st->open_account(*u));
    // The start-up sweep (posted when the account opened) holds the
    // account until it has run.
    for (int i = 0; i < 500 && account.use_count() > 1; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    before(*account, d.path / "mail" / std::to_string(u->id) / "blobs");
    return account->sweep_unreferenced_blobs();
  };
  auto stray_hash = blob_store::content_hash("never committed");
  std::filesystem::path stray, tmp, junk;
  auto plant = [&](sqlite::sqlite_account& account, const std::filesystem::path& blobs, bool backdate) {
    auto inbox = *account.find_mailbox("INBOX");
    if (account.status(inbox.id).messages == 0) account.append(inbox.id, {msg("kept")});
    blob_store(blobs).put("never committed", stray_hash);
    stray = blobs / stray_hash.substr(0, 2) / stray_hash;
    tmp = blobs / stray_hash.substr(0, 2) / ".tmp.1.2";
    std::ofstream(tmp) << "half a message";
    junk = blobs / "README";  // not the store's: left alone
    std::ofstream(junk) << "x";
    // Ages are set, not waited for: an age of 0 against files written just
    // now races the clock (file times may be finer-grained than time()).
    auto when = std::filesystem::file_time_type::clock::now() - (backdate ? std::chrono::hours(2) : std::chrono::hours(0));
    for (auto* f : {&stray, &tmp, &junk}) std::filesystem::last_write_time(*f, when);
  };
  // Younger than the age: kept (it may be an APPEND's, not yet committed).
  EXPECT_EQ(sweep_once(std::chrono::seconds(3600), [&](auto& a, const auto& b) { plant(a, b, false); }), 0u);
  EXPECT_TRUE(std::filesystem::exists(stray));
  EXPECT_TRUE(std::filesystem::exists(tmp));
  // Older than the age: the stray blob and the temporary go, nothing else.
  EXPECT_EQ(sweep_once(std::chrono::seconds(3600), [&](auto& a, const auto& b) { plant(a, b, true); }), 2u);
  EXPECT_FALSE(std::filesystem::exists(stray));
  EXPECT_FALSE(std::filesystem::exists(tmp));
  EXPECT_TRUE(std::filesystem::exists(junk));
  store_limits limits;
  auto st = sqlite::open_store(d.path, limits);
  auto account = st->open_account(*st->users().find_user("bob"));
  EXPECT_EQ(account->read_message(blob_store::content_hash("kept")), "kept");
}

TEST_F(store_sqlite, concurrent_appends_share_commits) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto* sq = dynamic_cast<sqlite::sqlite_account*>(acct.get());
  ASSERT_NE(sq, nullptr);
  auto before = sq->commits();
  constexpr int threads = 8, per_thread = 25;
  std::vector<std::thread> pool;
  std::vector<std::vector<uid>> got(threads);
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i)
        got[t].push_back(acct->append(inbox.id, {msg("m" + std::to_string(t) + "-" + std::to_string(i))}).uids[0]);
    });
  for (auto& th : pool) th.join();
  std::vector<std::uint32_t> all;
  for (auto& g : got)
    for (auto u : g) all.push_back(to_int(u));
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());  // distinct
  EXPECT_EQ(all.size(), static_cast<std::size_t>(threads * per_thread));
  // Group commit: fewer commits than appends (DESIGN.md §5).
  EXPECT_LT(sq->commits() - before, static_cast<std::uint64_t>(threads * per_thread));
}

new_message text_msg(std::string body_text, std::uint8_t flags = 0) {
  auto m = msg("Subject: x\r\n\r\n" + body_text + "\r\n", flags);
  m.search_headers = "subject: x\n";
  m.search_body = std::move(body_text);
  return m;
}

std::vector<std::uint32_t> body_hits(account_store& a, mailbox_id id, std::string needle) {
  text_query q;
  q.in = text_query::where::body;
  q.needle = std::move(needle);
  std::vector<std::uint32_t> out;
  for (auto u : a.search_text(id, q)) out.push_back(to_int(u));
  return out;
}

// The index is brought up to date in batches (search_index.hpp); a SEARCH
// never misses what was appended before it, nor finds what was expunged.
TEST_F(store_sqlite, search_index_catches_up_before_a_search) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto r = acct->append(inbox.id, {text_msg("apple banana"), text_msg("banana cherry"), text_msg("cherry date")});
  auto* sq = dynamic_cast<sqlite::sqlite_account*>(acct.get());
  ASSERT_NE(sq, nullptr);
  EXPECT_EQ(sq->search_backlog(), 3);  // below a batch: left for the SEARCH
  EXPECT_EQ(body_hits(*acct, inbox.id, "banana"), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(sq->search_backlog(), 0);
  // An indexed message expunged: its removal from the index waits, and
  // the next SEARCH does it first.
  acct->store_flags(inbox.id, {r.uids[1]}, flag_op::add, {flag_deleted, {}}, std::nullopt);
  acct->expunge_deleted(inbox.id, nullptr);
  EXPECT_EQ(sq->search_backlog(), 1);
  EXPECT_EQ(body_hits(*acct, inbox.id, "banana"), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(body_hits(*acct, inbox.id, "cherry"), (std::vector<std::uint32_t>{3}));
  // One never indexed, expunged: nothing waits for it.
  acct->append(inbox.id, {text_msg("elderberry", flag_deleted)});
  acct->expunge_deleted(inbox.id, nullptr);
  EXPECT_EQ(sq->search_backlog(), 0);
  EXPECT_TRUE(body_hits(*acct, inbox.id, "elderberry").empty());
  // COPY gives the copy the text; a deleted mailbox's text goes at once.
  auto work = acct->create_mailbox("Work", "");
  acct->copy(inbox.id, {r.uids[0]}, work.id, false);
  EXPECT_EQ(body_hits(*acct, work.id, "apple"), (std::vector<std::uint32_t>{1}));
  acct->delete_mailbox("Work");
  EXPECT_EQ(sq->search_backlog(), 0);
  auto again = acct->create_mailbox("Work", "");
  EXPECT_TRUE(body_hits(*acct, again.id, "apple").empty());
  EXPECT_EQ(body_hits(*acct, inbox.id, "apple"), (std::vector<std::uint32_t>{1}));
}

// Once a batch's worth waits, the store's indexer takes it in without a
// SEARCH.
// The index's tokenizer: every run of three UTF-8 characters, each distinct
// one once, in the order of its first occurrence; nothing below three.
TEST(store_sqlite_index, trigram_tokens_are_distinct_utf8_character_triples) {
  using v = std::vector<std::string>;
  EXPECT_EQ(sqlite::trigram_tokens("abcabca"), (v{"abc", "bca", "cab"}));
  EXPECT_EQ(sqlite::trigram_tokens("grüße"), (v{"grü", "rüß", "üße"}));
  EXPECT_EQ(sqlite::trigram_tokens("aaaa"), (v{"aaa"}));
  EXPECT_EQ(sqlite::trigram_tokens("ab"), v{});
  EXPECT_EQ(sqlite::trigram_tokens("\xe2\x82\xac\xe2\x82\xac"), v{});  // two characters
  // Trigrams over 7 octets (keyed by hash, checked against the text):
  // three CJK characters are 9, three emoji 12; repeats still go once and
  // different ones of the same length stay apart.
  EXPECT_EQ(sqlite::trigram_tokens("日本語日本語"), (v{"日本語", "本語日", "語日本"}));
  EXPECT_EQ(sqlite::trigram_tokens("😀😁😂😀😁😂😀"), (v{"😀😁😂", "😁😂😀", "😂😀😁"}));
  EXPECT_EQ(sqlite::trigram_tokens("aé日aé日"), (v{"aé日", "é日a", "日aé"}));
  // A text far over the dedup table's size still gives every trigram.
  std::string big;
  for (int i = 0; i < 300000; ++i) big += std::to_string(i) + " ";
  auto tokens = sqlite::trigram_tokens(big);
  std::set<std::string> distinct(tokens.begin(), tokens.end());
  std::set<std::string> want;
  for (std::size_t i = 0; i + 3 <= big.size(); ++i) want.insert(big.substr(i, 3));
  EXPECT_EQ(distinct, want);
}

// RFC 3501 §6.4.4: a text key matches a substring. The index (detail=none)
// only knows which messages hold each trigram of the needle; the stored
// text decides: every trigram present but not the substring is no match,
// nor is the needle in the other column; long and non-ASCII needles too.
TEST_F(store_sqlite, indexed_search_checks_the_substring_and_the_column) {
  auto inbox = *acct->find_mailbox("INBOX");
  auto m1 = text_msg("abcd cdef");                 // abc bcd cde def, no "abcdef"
  auto m2 = text_msg("xx abcdef yy");
  auto m3 = text_msg("grüße aus köln");
  auto m4 = text_msg(std::string(100, 'q') + " the quick brown fox jumps over the lazy dog " + std::string(100, 'q'));
  m4.search_headers = "subject: abcdef\n";
  acct->append(inbox.id, {m1, m2, m3, m4});
  using v = std::vector<std::uint32_t>;
  EXPECT_EQ(body_hits(*acct, inbox.id, "abcdef"), (v{2}));
  EXPECT_EQ(body_hits(*acct, inbox.id, "cd c"), (v{1}));
  EXPECT_EQ(body_hits(*acct, inbox.id, "üße aus kö"), (v{3}));
  EXPECT_EQ(body_hits(*acct, inbox.id, "aus köln!"), v{});
  // 40 trigrams: a sample goes to the index, the whole needle is checked.
  EXPECT_EQ(body_hits(*acct, inbox.id, "quick brown fox jumps over the lazy dog"), (v{4}));
  EXPECT_EQ(body_hits(*acct, inbox.id, "quick brown fox jumps over the lazy cat"), v{});
  text_query q;
  q.in = text_query::where::headers;
  q.needle = "abcdef";
  EXPECT_EQ(acct->search_text(inbox.id, q), (std::vector<uid>{uid{4}}));
  q.in = text_query::where::text;
  EXPECT_EQ(acct->search_text(inbox.id, q), (std::vector<uid>{uid{2}, uid{4}}));
}

TEST(store_sqlite_index, background_batches) {
  temp_dir dir;
  store_limits limits;
  limits.search_index_batch = 4;
  auto st = sqlite::open_store(dir.path, limits);
  auto user = st->users().add_user({0, "alice", "hash", {"s", 4096, "k1", "k2"}});
  auto acct = st->open_account(user);
  auto* sq = dynamic_cast<sqlite::sqlite_account*>(acct.get());
  ASSERT_NE(sq, nullptr);
  auto inbox = *acct->find_mailbox("INBOX");
  for (int i = 0; i < 10; ++i) acct->append(inbox.id, {text_msg("word" + std::to_string(i))});
  // What is left below a batch waits for a SEARCH; the rest is done soon.
  for (int tries = 0; tries < 500 && sq->search_backlog() >= 4; ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_LT(sq->search_backlog(), 4);
  EXPECT_EQ(body_hits(*acct, inbox.id, "word7"), (std::vector<std::uint32_t>{8}));
}

// An account stored before the index was kept apart (schema step 8): its
// text moves to search_text and waits for the index.
TEST(store_sqlite_index, old_index_migrates) {
  temp_dir dir;
  auto st = sqlite::open_store(dir.path, {});
  auto user = st->users().add_user({0, "alice", "hash", {"s", 4096, "k1", "k2"}});
  std::filesystem::path file;
  {
    auto acct = st->open_account(user);
    acct->append(acct->find_mailbox("INBOX")->id, {text_msg("ignored")});
  }
  for (auto& e : std::filesystem::recursive_directory_iterator(dir.path / "mail"))
    if (e.path().filename() == "mail.db") file = e.path();
  ASSERT_FALSE(file.empty());
  {
    // Back to schema 7: the FTS5 table with its own copy of the text.
    sqlite::db d(file);
    d.exec("DROP TABLE search_index; DROP TABLE search_text; DROP TABLE search_pending; DROP TABLE search_unindex;"
           "DROP TABLE urlauth_keys; DROP TABLE message_data; DROP TABLE metadata;"
           "DROP TABLE previews; DROP TABLE conversions; ALTER TABLE messages DROP COLUMN sealed_by;"
           "CREATE VIRTUAL TABLE search USING fts5(headers, body, tokenize = 'trigram');"
           "INSERT INTO search(rowid, headers, body) SELECT (mailbox_id << 32) | uid, 'subject: x', 'old text here' "
           "FROM messages; PRAGMA user_version = 7;");
  }
  // A store of its own: st may still hold the account open (its blob sweep
  // keeps it until it has run), and an open account is not migrated again.
  auto fresh = sqlite::open_store(dir.path, {});
  auto acct = fresh->open_account(user);
  auto inbox = *acct->find_mailbox("INBOX");
  EXPECT_EQ(body_hits(*acct, inbox.id, "old text"), (std::vector<std::uint32_t>{1}));
  EXPECT_TRUE(body_hits(*acct, inbox.id, "ignored").empty());
}

// COPY and MOVE keep the sort keys (SORT/THREAD of the copy as of the
// original); copies made before that fix get them back at open (schema
// step 12) from a message with the same blob.
TEST(store_sqlite_sort, copies_keep_sort_keys) {
  temp_dir dir;
  auto st = sqlite::open_store(dir.path, {});
  auto user = st->users().add_user({0, "alice", "hash", {"s", 4096, "k1", "k2"}});
  std::filesystem::path file;
  {
    auto acct = st->open_account(user);
    auto inbox = acct->find_mailbox("INBOX")->id;
    auto trash = acct->find_mailbox("Trash")->id;
    auto m = text_msg("sorted");
    m.sort_info = "keys of the message";
    acct->append(inbox, {m});
    acct->copy(inbox, {uid{1}}, trash, false);
    acct->copy(inbox, {uid{1}}, trash, true);
    auto rows = acct->sort_rows(trash);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].sort_info, "keys of the message");
    EXPECT_EQ(rows[1].sort_info, "keys of the message");
  }
  for (auto& e : std::filesystem::recursive_directory_iterator(dir.path / "mail"))
    if (e.path().filename() == "mail.db") file = e.path();
  ASSERT_FALSE(file.empty());
  {
    // As a copy was stored before the fix: without keys, at schema 11.
    sqlite::db d(file);
    d.exec("UPDATE messages SET sort_info = x'' WHERE uid = 2; DROP TABLE metadata;"
           "DROP TABLE previews; DROP TABLE conversions; ALTER TABLE messages DROP COLUMN sealed_by; PRAGMA user_version = 11;");
  }
  // A store of its own: st may still hold the account open (its blob sweep
  // keeps it until it has run), and an open account is not migrated again.
  auto fresh = sqlite::open_store(dir.path, {});
  auto acct = fresh->open_account(user);
  auto rows = acct->sort_rows(acct->find_mailbox("Trash")->id);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].sort_info, "keys of the message");
}

// RFC 8970 PREVIEW text is kept once per content (schema: previews): a
// COPY shares its original's, it is read only when asked for, previews
// stored in the message rows (schema 14) move there at open, and the row
// goes with the last message holding its blob.
TEST(store_sqlite_preview, kept_per_blob) {
  temp_dir dir;
  auto st = sqlite::open_store(dir.path, {});
  auto user = st->users().add_user({0, "alice", "hash", {"s", 4096, "k1", "k2"}});
  std::filesystem::path file;
  auto previews = [&] {
    sqlite::db d(file);
    auto& s = d.cached("SELECT count(*) FROM previews");
    s.step();
    auto n = s.int64(0);
    s.reset();
    return n;
  };
  {
    auto acct = st->open_account(user);
    auto inbox = acct->find_mailbox("INBOX")->id;
    auto trash = acct->find_mailbox("Trash")->id;
    auto m = text_msg("the body");
    m.preview = "the body";
    acct->append(inbox, {m});
    acct->copy(inbox, {uid{1}}, trash, false);
    auto got = acct->fetch(trash, {uid{1}}, true);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].preview, std::optional<std::string>("the body"));
    EXPECT_EQ(acct->fetch(trash, {uid{1}}, false)[0].preview, std::nullopt);
  }
  for (auto& e : std::filesystem::recursive_directory_iterator(dir.path / "mail"))
    if (e.path().filename() == "mail.db") file = e.path();
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(previews(), 1);
  {
    // As schema 14 kept it: in the message rows.
    sqlite::db d(file);
    d.exec("ALTER TABLE messages ADD COLUMN preview TEXT; ALTER TABLE ghosts ADD COLUMN preview TEXT;"
           "UPDATE messages SET preview = (SELECT text FROM previews p WHERE p.blob = messages.blob);"
           "DROP TABLE previews; DROP TABLE conversions; ALTER TABLE messages DROP COLUMN sealed_by; PRAGMA user_version = 14;");
  }
  auto acct = st->open_account(user);
  auto inbox = acct->find_mailbox("INBOX")->id;
  auto trash = acct->find_mailbox("Trash")->id;
  EXPECT_EQ(acct->fetch(inbox, {uid{1}}, true)[0].preview, std::optional<std::string>("the body"));
  EXPECT_EQ(previews(), 1);
  for (auto id : {inbox, trash}) {
    acct->store_flags(id, {uid{1}}, flag_op::add, {flag_deleted, {}}, std::nullopt);
    acct->expunge_deleted(id, nullptr);
    acct->release_expunged(id, modseq{UINT64_MAX});
  }
  EXPECT_EQ(previews(), 1);  // until the ghosts go, at the next write
  acct->append(inbox, {text_msg("no preview")});
  EXPECT_EQ(previews(), 0);
}

// RFC 5259 §8.5 converted parts: found again, the least recently used
// dropped beyond the bound, and gone with their blob.
TEST_F(store_sqlite, conversions_cache) {
  auto inbox = acct->find_mailbox("INBOX")->id;
  acct->append(inbox, {text_msg("one")});
  auto blob = acct->fetch(inbox, {uid{1}}, false)[0].blob;
  EXPECT_EQ(acct->find_conversion(blob + ":2:image/jpeg"), std::nullopt);
  // Keys name a blob held by a message (a conversion of one gone since is
  // not kept).
  acct->append(inbox, {text_msg("other"), text_msg("zz")});
  auto other = acct->fetch(inbox, {uid{2}}, false)[0].blob, zz = acct->fetch(inbox, {uid{3}}, false)[0].blob;
  acct->put_conversion("nosuchblob", "nosuchblob:1", {"text/plain", "", "x"}, 1000);
  EXPECT_EQ(acct->find_conversion("nosuchblob:1"), std::nullopt);
  acct->put_conversion(blob, blob + ":2:image/jpeg", {"image/jpeg", "", std::string(100, 'j')}, 600);
  acct->put_conversion(other, other + ":1", {"text/plain", "charset=utf-8", std::string(100, 't')}, 600);
  auto got = acct->find_conversion(blob + ":2:image/jpeg");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->type, "image/jpeg");
  EXPECT_EQ(got->data, std::string(100, 'j'));
  EXPECT_EQ(acct->find_conversion(other + ":1")->params, "charset=utf-8");
  // Over the bound (rows count their key and 64 octets more): the oldest
  // goes (same second: by key).
  acct->put_conversion(zz, zz + ":1", {"text/plain", "", std::string(100, 'z')}, 600);
  int left = (acct->find_conversion(blob + ":2:image/jpeg") ? 1 : 0) + (acct->find_conversion(other + ":1") ? 1 : 0);
  EXPECT_EQ(left, 1);
  EXPECT_TRUE(acct->find_conversion(zz + ":1"));
  acct->put_conversion(zz, zz + ":2", {"text/plain", "", std::string(700, 'h')}, 600);  // larger than the bound
  EXPECT_EQ(acct->find_conversion(zz + ":2"), std::nullopt);
  acct->put_conversion(zz, zz + ":3", {"text/plain", "", ""}, 0);  // 0 keeps none, not even empty ones
  EXPECT_EQ(acct->find_conversion(zz + ":3"), std::nullopt);
  // The blob's conversions go with it.
  acct->put_conversion(blob, blob + ":1:text/plain", {"text/plain", "", "x"}, 2000);
  acct->store_flags(inbox, {uid{1}}, flag_op::add, {flag_deleted, {}}, std::nullopt);
  acct->expunge_deleted(inbox, nullptr);
  acct->release_expunged(inbox, modseq{UINT64_MAX});
  acct->append(inbox, {text_msg("two")});
  EXPECT_EQ(acct->find_conversion(blob + ":1:text/plain"), std::nullopt);
  EXPECT_TRUE(acct->find_conversion(zz + ":1"));
}

// RFC 4467 URLAUTH access keys: one per mailbox, stable until RESETKEY,
// different between mailboxes, gone with the mailbox, durable.
TEST(store_sqlite_urlauth, keys_per_mailbox) {
  temp_dir dir;
  std::string inbox_key, work_key;
  store::mailbox_id work_id = 0;
  {
    auto st = sqlite::open_store(dir.path, {});
    auto user = st->users().add_user({0, "alice", "hash", {"s", 4096, "k1", "k2"}});
    auto acct = st->open_account(user);
    auto inbox = acct->find_mailbox("INBOX")->id;
    work_id = acct->create_mailbox("Work", "").id;
    EXPECT_EQ(acct->find_urlauth_key(inbox), std::nullopt);  // none until GENURLAUTH needs one
    inbox_key = acct->urlauth_key(inbox);
    EXPECT_EQ(acct->find_urlauth_key(inbox), inbox_key);
    work_key = acct->urlauth_key(work_id);
    EXPECT_GE(inbox_key.size(), 16u);  // at least 128 bits (RFC 4467 §3)
    EXPECT_NE(inbox_key, work_key);
    EXPECT_EQ(acct->urlauth_key(inbox), inbox_key);
  }
  auto st = sqlite::open_store(dir.path, {});
  auto acct = st->open_account(*st->users().find_user("alice"));
  auto inbox = acct->find_mailbox("INBOX")->id;
  EXPECT_EQ(acct->urlauth_key(inbox), inbox_key);  // survives a restart
  acct->reset_urlauth_keys(inbox);
  auto reset = acct->urlauth_key(inbox);
  EXPECT_NE(reset, inbox_key);
  EXPECT_EQ(acct->urlauth_key(work_id), work_key);  // only that mailbox's
  acct->delete_mailbox("Work");
  auto again = acct->create_mailbox("Work", "").id;
  EXPECT_NE(acct->urlauth_key(again), work_key);
  acct->reset_urlauth_keys(std::nullopt);
  EXPECT_NE(acct->urlauth_key(inbox), reset);
}

}  // namespace
}  // namespace lemonade::store

namespace lemonade::store {
namespace {

// The outbound queue (issue 14): durable across a reopen, due recipients,
// outcomes recorded, contents shared by identical messages and collected
// with the last of them.
TEST(store_sqlite_queue, enqueue_deliver_remove) {
  temp_dir dir;
  auto blobs = dir.path / "queue" / "blobs";
  auto content = [&](mail_queue& q, std::string text) {
    auto s = q.stage();
    s->write(text);
    return s;
  };
  std::int64_t first = 0, second = 0;
  {
    auto st = sqlite::open_store(dir.path, {});
    auto& q = st->queue();
    queued_message m;
    m.sender = "alice@localhost";
    m.envid = "QQ314159";
    m.ret = 2;
    m.recipients.push_back({0, "bob@example.org", notify_failure | notify_delay, "rfc822;bob@example.org"});
    m.recipients.push_back({0, "carol@example.org"});
    auto c1 = content(q, "Subject: hi\r\n\r\nbody\r\n");
    first = q.enqueue(m, *c1);
    auto c2 = content(q, "Subject: hi\r\n\r\nbody\r\n");
    m.recipients.pop_back();
    second = q.enqueue(m, *c2);
    EXPECT_NE(first, second);
  }
  auto st = sqlite::open_store(dir.path, {});
  auto& q = st->queue();
  auto all = q.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, first);
  EXPECT_EQ(all[0].envid, "QQ314159");
  EXPECT_EQ(all[0].ret, 2);
  ASSERT_EQ(all[0].recipients.size(), 2u);
  EXPECT_EQ(all[0].recipients[0].notify, static_cast<unsigned>(notify_failure | notify_delay));
  EXPECT_EQ(all[0].recipients[0].orcpt, "rfc822;bob@example.org");
  EXPECT_EQ(all[0].blob, all[1].blob);  // identical content, one file
  EXPECT_EQ(q.read(all[0], 0, 100), "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(all[0].size, 21u);
  auto now = all[0].created;
  EXPECT_EQ(q.due(now, 10).size(), 2u);
  // One recipient delivered, one retried later: the message is not due now.
  q.record(all[0].recipients[0].id, recipient_state::delivered, "250 2.0.0 ok", now);
  q.record(all[0].recipients[1].id, recipient_state::pending, "451 4.4.1 later", now + 600);
  auto due = q.due(now, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, second);
  EXPECT_EQ(q.find(first)->recipients[1].attempts, 1);
  EXPECT_EQ(q.find(first)->recipients[1].last_reply, "451 4.4.1 later");
  EXPECT_TRUE(q.retry_now(first));
  EXPECT_EQ(q.due(now, 10).size(), 2u);
  EXPECT_FALSE(q.retry_now(12345));
  auto path = blobs / all[0].blob.substr(0, 2) / all[0].blob;
  q.remove(first);
  EXPECT_TRUE(std::filesystem::exists(path));  // the second still needs it
  q.remove(second);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(q.list().empty());
  EXPECT_FALSE(q.find(first));
  // A stage never enqueued leaves nothing.
  { auto dropped = content(q, "x"); }
  EXPECT_TRUE(std::filesystem::is_empty(blobs / "staging"));
}

}  // namespace
}  // namespace lemonade::store
