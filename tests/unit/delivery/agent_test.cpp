// delivery/: the queue runner delivers local recipients, fails those that
// are gone, and reports to the sender (RFC 3461 §6, RFC 3464): a failure
// report by default, a success report for NOTIFY=SUCCESS, none for
// NOTIFY=NEVER, with ENVID, ORCPT and RET=HDRS honoured.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "delivery/agent.hpp"
#include "delivery/dsn.hpp"
#include "store/sqlite/store.hpp"
#include "../temp_dir.hpp"

namespace lemonade::delivery {
namespace {

using test::temp_dir;

std::vector<std::string> inbox(store::mail_store& st, const store::user_record& u) {
  auto acct = st.open_account(u);
  auto mb = *acct->find_mailbox("INBOX");
  std::vector<store::uid> uids;
  for (std::uint32_t i = 1; i < 10; ++i) uids.push_back(store::uid{i});
  std::vector<std::string> out;
  for (auto& r : acct->fetch(mb.id, uids)) out.push_back(acct->read_message(r.blob));
  return out;
}

TEST(DeliveryAgent, DeliversAndReports) {
  temp_dir dir;
  auto st = store::sqlite::open_store(dir.path, {});
  auto alice = st->users().add_user({0, "alice", "h", {}});
  auto bob = st->users().add_user({0, "bob", "h", {}});
  auto carol = st->users().add_user({0, "carol", "h", {}});
  local_addresses addresses(st->users(), {"localhost"});
  mailbox::account_registry accounts(*st);
  agent_options opts;
  opts.hostname = "mx.example";
  queue_agent agent(st->queue(), addresses, accounts, opts);

  store::queued_message m;
  m.sender = "alice@localhost";
  m.envid = "QQ314159";
  m.ret = 2;  // HDRS
  m.recipients.push_back({0, "bob@localhost", store::notify_success, "rfc822;Bob@LocalHost"});
  m.recipients.push_back({0, "carol@localhost"});                        // gone before delivery: failure, reported
  m.recipients.push_back({0, "nobody@localhost", store::notify_never});  // gone too, never reported
  auto content = st->queue().stage();
  content->write("Subject: hello\r\nMessage-ID: <m1@localhost>\r\n\r\nbody\r\n");
  st->queue().enqueue(m, *content);
  st->users().delete_user("carol");
  (void)carol;

  agent.run_once();
  EXPECT_TRUE(st->queue().list().empty());  // every recipient ended: gone from the queue
  auto bobs = inbox(*st, bob);
  ASSERT_EQ(bobs.size(), 1u);
  EXPECT_NE(bobs[0].find("Subject: hello\r\n"), std::string::npos);
  auto reports = inbox(*st, alice);
  ASSERT_EQ(reports.size(), 2u);
  auto& failed = reports[0];
  auto& delivered = reports[1];
  EXPECT_NE(failed.find("Subject: Undelivered Mail Returned to Sender\r\n"), std::string::npos);
  EXPECT_NE(failed.find("Content-Type: multipart/report; report-type=delivery-status;"), std::string::npos);
  EXPECT_NE(failed.find("Reporting-MTA: dns; mx.example\r\nOriginal-Envelope-Id: QQ314159\r\n"), std::string::npos);
  EXPECT_NE(failed.find("Final-Recipient: rfc822; carol@localhost\r\nAction: failed\r\nStatus: 5.1.1\r\n"),
            std::string::npos);
  EXPECT_EQ(failed.find("nobody@localhost"), std::string::npos);  // NOTIFY=NEVER
  EXPECT_NE(failed.find("Auto-Submitted: auto-replied\r\n"), std::string::npos);
  // RET=HDRS: the header only, as text/rfc822-headers.
  EXPECT_NE(failed.find("Content-Type: text/rfc822-headers\r\n\r\nSubject: hello\r\nMessage-ID: <m1@localhost>\r\n\r\n--"),
            std::string::npos);
  EXPECT_EQ(failed.find("body\r\n"), std::string::npos);
  EXPECT_NE(delivered.find("Subject: Successful Mail Delivery Report\r\n"), std::string::npos);
  EXPECT_NE(delivered.find("Original-Recipient: rfc822;Bob@LocalHost\r\nFinal-Recipient: rfc822; bob@localhost\r\n"
                           "Action: delivered\r\nStatus: 2.0.0\r\n"),
            std::string::npos);
}

// Rows of a list alias are what they were when queued (store::list_member,
// store::list_expanded), whatever the aliases say at delivery: a member is
// its account, not an alias of the same name; the list's own row only
// reports "expanded"; a member with no NOTIFY of its own still has its
// failure reported (RFC 3461 §4.1), the marker bits being no NOTIFY.
TEST(DeliveryAgent, ListRowsAsQueued) {
  temp_dir dir;
  auto st = store::sqlite::open_store(dir.path, {});
  auto alice = st->users().add_user({0, "alice", "h", {}});
  auto bob = st->users().add_user({0, "bob", "h", {}});
  auto carol = st->users().add_user({0, "carol", "h", {}});
  // Since the message was queued: "bob" became an alias of carol, and
  // "team" is no list any more.
  local_addresses addresses(st->users(), {"localhost"}, {{"bob", {"carol"}}, {"team", {"carol"}}});
  mailbox::account_registry accounts(*st);
  agent_options opts;
  queue_agent agent(st->queue(), addresses, accounts, opts);

  store::queued_message m;
  m.sender = "alice@localhost";
  m.recipients.push_back({0, "bob@localhost", store::list_member});
  m.recipients.push_back({0, "gone@localhost", store::list_member});
  m.recipients.push_back({0, "team@localhost", store::notify_success | store::list_expanded});
  auto content = st->queue().stage();
  content->write("Subject: to the team\r\n\r\nbody\r\n");
  st->queue().enqueue(m, *content);

  agent.run_once();
  EXPECT_TRUE(st->queue().list().empty());
  EXPECT_EQ(inbox(*st, bob).size(), 1u);    // the account bob, not the alias
  EXPECT_EQ(inbox(*st, carol).size(), 0u);  // neither bob's alias nor team's new target
  auto reports = inbox(*st, alice);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_NE(reports[0].find("Final-Recipient: rfc822; gone@localhost\r\nAction: failed\r\nStatus: 5.1.1\r\n"),
            std::string::npos);
  EXPECT_NE(reports[1].find("Final-Recipient: rfc822; team@localhost\r\nAction: expanded\r\nStatus: 2.0.0\r\n"),
            std::string::npos);
  EXPECT_EQ(reports[1].find("bob@localhost"), std::string::npos);  // no success report for a member
}

// RFC 3464 "delayed": a recipient still pending after delay_warning gets
// the sender one report (headers only, Will-Retry-Until), not one per
// attempt; NOTIFY=FAILURE alone asks for none.
TEST(DeliveryAgent, ReportsDelayOnce) {
  temp_dir dir;
  auto st = store::sqlite::open_store(dir.path, {});
  auto alice = st->users().add_user({0, "alice", "h", {}});
  local_addresses addresses(st->users(), {"localhost"});
  mailbox::account_registry accounts(*st);
  agent_options opts;
  opts.hostname = "mx.example";
  opts.delay_warning = std::chrono::seconds(1);
  int attempts = 0;
  opts.relay = [&](const store::queued_message&, const std::vector<store::queued_recipient>& rcpts, const std::string&) {
    ++attempts;
    agent_options::relay_outcome out;
    out.replies.assign(rcpts.size(), "451 4.4.1 cannot connect to mx.example.net: Connection refused");
    return out;
  };
  queue_agent agent(st->queue(), addresses, accounts, opts);
  store::queued_message m;
  m.sender = "alice@localhost";
  m.ret = 1;  // FULL: a delay report still carries the header only
  m.recipients.push_back({0, "carol@example.net"});
  m.recipients.push_back({0, "dave@example.net", store::notify_failure});
  auto content = st->queue().stage();
  content->write("Subject: slow\r\n\r\nthe body\r\n");
  auto id = st->queue().enqueue(m, *content);

  agent.run_once();  // too young for a delay report
  EXPECT_TRUE(inbox(*st, alice).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  st->queue().retry_now(id);
  agent.run_once();
  auto reports = inbox(*st, alice);
  ASSERT_EQ(reports.size(), 1u);
  auto& r = reports[0];
  EXPECT_NE(r.find("Subject: Delayed Mail (still being retried)\r\n"), std::string::npos);
  EXPECT_NE(r.find("Final-Recipient: rfc822; carol@example.net\r\nAction: delayed\r\nStatus: 4.4.1\r\n"),
            std::string::npos);
  EXPECT_NE(r.find("Will-Retry-Until: "), std::string::npos);
  EXPECT_EQ(r.find("dave@example.net"), std::string::npos);  // NOTIFY=FAILURE only
  EXPECT_NE(r.find("Content-Type: text/rfc822-headers\r\n\r\nSubject: slow\r\n"), std::string::npos);
  EXPECT_EQ(r.find("the body"), std::string::npos);
  st->queue().retry_now(id);
  agent.run_once();
  EXPECT_EQ(inbox(*st, alice).size(), 1u);  // once
  EXPECT_EQ(attempts, 3);
  ASSERT_EQ(st->queue().list().size(), 1u);
  EXPECT_TRUE(st->queue().list()[0].recipients[0].delay_reported);
}

// A full mailbox (store_limits::max_account_size): 452 4.2.2, kept for
// another try; a message bigger than the whole quota: 552 5.2.3, failed
// and reported.
TEST(DeliveryAgent, QuotaFullAndTooBig) {
  temp_dir dir;
  store::store_limits limits;
  limits.max_account_size = 2000;
  auto st = store::sqlite::open_store(dir.path, limits);
  auto alice = st->users().add_user({0, "alice", "h", {}});
  auto bob = st->users().add_user({0, "bob", "h", {}});
  local_addresses addresses(st->users(), {"localhost"});
  mailbox::account_registry accounts(*st);
  agent_options opts;
  opts.max_account_size = limits.max_account_size;
  queue_agent agent(st->queue(), addresses, accounts, opts);
  auto send = [&](std::size_t size) {
    store::queued_message m;
    m.sender = "alice@localhost";
    m.ret = 2;  // HDRS: the report fits in alice's quota
    m.recipients.push_back({0, "bob@localhost"});
    auto content = st->queue().stage();
    content->write("Subject: s\r\n\r\n" + std::string(size - 15, 'x') + "\r\n");
    return st->queue().enqueue(m, *content);
  };
  send(1200);
  agent.run_once();
  EXPECT_EQ(inbox(*st, bob).size(), 1u);
  auto second = send(1200);
  send(3000);
  agent.run_once();
  EXPECT_EQ(inbox(*st, bob).size(), 1u);
  auto left = st->queue().list();
  ASSERT_EQ(left.size(), 1u);  // the 1200: waiting; the 3000: failed and gone
  EXPECT_EQ(left[0].id, second);
  EXPECT_TRUE(left[0].recipients[0].last_reply.starts_with("452 4.2.2 Quota exceeded"));
  auto reports = inbox(*st, alice);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("Action: failed\r\nStatus: 5.2.3\r\n"), std::string::npos);
}

TEST(DeliveryDsn, WhoIsReported) {
  store::queued_recipient r;
  EXPECT_TRUE(wants_report(r, dsn_action::failed));  // no NOTIFY: failures
  EXPECT_FALSE(wants_report(r, dsn_action::delivered));
  r.notify = store::notify_success;
  EXPECT_TRUE(wants_report(r, dsn_action::delivered));
  EXPECT_FALSE(wants_report(r, dsn_action::failed));
  EXPECT_FALSE(wants_report(r, dsn_action::delayed));
  r.notify = 0;
  EXPECT_TRUE(wants_report(r, dsn_action::delayed));  // RFC 3461 §4.1: FAILURE,DELAY
  r.notify = store::notify_delay;
  EXPECT_TRUE(wants_report(r, dsn_action::delayed));
  EXPECT_FALSE(wants_report(r, dsn_action::failed));
  r.notify = store::notify_never;
  EXPECT_FALSE(wants_report(r, dsn_action::failed));
  EXPECT_FALSE(wants_report(r, dsn_action::delayed));
  EXPECT_EQ(status_of("550 5.1.1 no such user"), "5.1.1");
  EXPECT_EQ(status_of("250 2.0.0 delivered as UID 3"), "2.0.0");
  EXPECT_EQ(status_of("451 local trouble"), "4.0.0");
}

}  // namespace
}  // namespace lemonade::delivery
