// `lemonade queue list|show|retry|delete|flush`: the outbound queue seen
// and steered from the shell while the server runs (SQLite lets both
// processes in; the server's queue runner looks for due messages at least
// every 30 seconds, so a retry or flush takes effect within that).
#include <ctime>
#include <iostream>

#include "cli/cli.hpp"

namespace lemonade::cli {
namespace {

std::string when(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

const char* state_name(store::recipient_state s) {
  switch (s) {
    case store::recipient_state::pending: return "pending";
    case store::recipient_state::delivered: return "delivered";
    case store::recipient_state::failed: return "failed";
  }
  return "?";
}

store::queued_message find_or_fail(store::mail_queue& q, std::int64_t id) {
  auto m = q.find(id);
  if (!m) throw exit_error(1, "no queued message " + std::to_string(id));
  return *m;
}

}  // namespace

int queue_list(const core::config& cfg) {
  auto st = open_store(cfg);
  auto all = st->queue().list();
  std::uint64_t octets = 0;
  for (auto& m : all) {
    std::size_t pending = 0;
    for (auto& r : m.recipients) pending += r.state == store::recipient_state::pending;
    std::cout << m.id << "  " << when(m.created) << "  " << m.size << " octets  <" << m.sender << ">  " << pending
              << "/" << m.recipients.size() << " recipients pending\n";
    octets += m.size;
  }
  std::cout << all.size() << " messages, " << octets << " octets queued\n";
  return 0;
}

int queue_show(const core::config& cfg, std::int64_t id) {
  auto st = open_store(cfg);
  auto m = find_or_fail(st->queue(), id);
  std::cout << "id: " << m.id << "\nqueued: " << when(m.created) << " UTC\nsender: <" << m.sender
            << ">\nsubmitted by: " << m.submitter << "\nsize: " << m.size << "\n";
  if (!m.envid.empty()) std::cout << "envid: " << m.envid << "\n";
  for (auto& r : m.recipients) {
    std::cout << "recipient: <" << r.address << "> " << state_name(r.state) << ", " << r.attempts << " attempts";
    if (r.state == store::recipient_state::pending) std::cout << ", next " << when(r.next_attempt) << " UTC";
    if (!r.last_reply.empty()) std::cout << ", last: " << r.last_reply;
    std::cout << "\n";
  }
  return 0;
}

int queue_retry(const core::config& cfg, std::int64_t id) {
  auto st = open_store(cfg);
  if (!st->queue().retry_now(id)) throw exit_error(1, "no queued message " + std::to_string(id));
  return 0;
}

int queue_delete(const core::config& cfg, std::int64_t id) {
  auto st = open_store(cfg);
  find_or_fail(st->queue(), id);
  st->queue().remove(id);
  return 0;
}

int queue_flush(const core::config& cfg) {
  auto st = open_store(cfg);
  for (auto& m : st->queue().list()) st->queue().retry_now(m.id);
  return 0;
}

}  // namespace lemonade::cli
