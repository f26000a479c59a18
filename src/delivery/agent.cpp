#include "delivery/agent.hpp"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "core/strings.hpp"
#include "delivery/dsn.hpp"

namespace lemonade::delivery {
namespace {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "local@domain" as the queue keeps a forward path (a quoted local part
// keeps its quotes): split at the last '@', quotes and quoted pairs undone.
std::pair<std::string, std::string> split_address(const std::string& a) {
  auto at = a.rfind('@');
  std::string local = at == std::string::npos ? a : a.substr(0, at);
  std::string domain = at == std::string::npos ? "" : a.substr(at + 1);
  if (local.size() >= 2 && local.front() == '"' && local.back() == '"') {
    std::string plain;
    for (std::size_t i = 1; i + 1 < local.size(); ++i) {
      if (local[i] == '\\' && i + 2 < local.size()) ++i;
      plain += local[i];
    }
    local = plain;
  }
  return {local, domain};
}

const char* action_name(dsn_action a) {
  return a == dsn_action::failed ? "failed" : a == dsn_action::delayed ? "delayed" : "delivered";
}

}  // namespace

queue_agent::queue_agent(store::mail_queue& queue, const local_addresses& addresses,
                         mailbox::account_registry& accounts, agent_options options)
    : queue_(queue), addresses_(addresses), accounts_(accounts), options_(options) {}

queue_agent::~queue_agent() { stop(); }

void queue_agent::start() {
  dispatcher_ = std::thread([this] { dispatch(); });
  for (unsigned i = 0; i < std::max(1u, options_.workers); ++i) workers_.emplace_back([this] { work(); });
}

void queue_agent::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  work_cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
}

void queue_agent::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

std::vector<std::string> queue_agent::destinations(const store::queued_message& m) const {
  std::vector<std::string> out;
  for (auto& r : m.recipients) {
    if (r.state != store::recipient_state::pending) continue;
    auto domain = core::to_lower(split_address(r.address).second);
    if (addresses_.is_local_domain(domain)) continue;
    if (std::find(out.begin(), out.end(), domain) == out.end()) out.push_back(domain);
  }
  return out;
}

void queue_agent::dispatch() {
  auto last_stats = std::chrono::steady_clock::time_point{};
  for (;;) {
    std::vector<store::queued_message> batch;
    std::size_t in_flight = 0;
    {
      std::lock_guard lock(mu_);
      in_flight = in_flight_.size();  // handed out, waiting or being attempted
    }
    try {
      // Those in progress are still due: ask for enough beyond them.
      batch = queue_.due(now_seconds(), in_flight + 64);
      if (std::chrono::steady_clock::now() - last_stats >= options_.poll) {
        last_stats = std::chrono::steady_clock::now();
        auto st = queue_.stats();
        if (st.messages > 0)
          spdlog::info("event=queue messages={} octets={} oldest_age_seconds={} in_progress={}", st.messages,
                       st.octets, now_seconds() - st.oldest, in_flight);
      }
    } catch (const std::exception& e) {
      spdlog::error("event=queue_run_failed error=\"{}\"", e.what());
    }
    std::unique_lock lock(mu_);
    auto now = now_seconds();
    for (auto& m : batch) {
      if (in_flight_.contains(m.id)) continue;
      if (auto h = held_.find(m.id); h != held_.end()) {
        if (h->second > now) continue;
        held_.erase(h);
      }
      auto dests = destinations(m);
      bool full = std::any_of(dests.begin(), dests.end(), [&](const std::string& d) {
        auto b = busy_.find(d);
        return b != busy_.end() && b->second >= std::max(1u, options_.per_destination);
      });
      if (full) continue;  // when an attempt to it ends
      for (auto& d : dests) ++busy_[d];
      in_flight_.insert(m.id);
      work_.push_back({std::move(m), std::move(dests)});
    }
    work_cv_.notify_all();
    cv_.wait_for(lock, options_.poll, [this] { return woken_ || stopping_; });
    if (stopping_) return;
    woken_ = false;
  }
}

void queue_agent::work() {
  for (;;) {
    work_item item;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !work_.empty(); });
      if (stopping_) return;
      item = std::move(work_.front());
      work_.pop_front();
    }
    auto& m = item.message;
    bool threw = false;
    try {
      attempt(m);
    } catch (const std::exception& e) {
      // Recorded nothing (the store failed): not again for a minute, or
      // the dispatcher would hand it out at once, again and again.
      spdlog::error("event=delivery_failed queue_id={} error=\"{}\"", m.id, e.what());
      threw = true;
    }
    {
      std::lock_guard lock(mu_);
      in_flight_.erase(m.id);
      for (auto& d : item.destinations)
        if (--busy_[d] == 0) busy_.erase(d);
      if (threw) held_[m.id] = now_seconds() + 60;
      woken_ = true;
    }
    cv_.notify_all();
  }
}

std::size_t queue_agent::run_once() {
  std::size_t attempted = 0;
  for (;;) {
    auto batch = queue_.due(now_seconds(), 32);
    if (batch.empty()) return attempted;
    for (auto& m : batch) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) return attempted;
      }
      attempt(m);
      for (auto& r : m.recipients) attempted += r.state == store::recipient_state::pending ? 1 : 0;
    }
  }
}

std::int64_t queue_agent::retry_at(const store::queued_message& m, const store::queued_recipient& r,
                                   std::int64_t now) const {
  static constexpr std::int64_t delays[] = {60, 300, 900, 1800};
  auto n = static_cast<std::size_t>(r.attempts);
  auto delay = n < std::size(delays) ? delays[n] : 3600;
  if (now + delay > m.created + options_.queue_lifetime.count()) return -1;  // give up
  return now + delay;
}

void queue_agent::attempt(const store::queued_message& m) {
  std::optional<std::string> content;
  bool pending_left = false;
  std::vector<store::queued_recipient> ended;
  auto record = [&](const store::queued_recipient& r, std::string outcome, bool transient) {
    auto now = now_seconds();
    auto state = store::recipient_state::failed;
    std::int64_t next = now;
    if (outcome.starts_with("2")) {
      state = store::recipient_state::delivered;
    } else if (transient) {
      next = retry_at(m, r, now);
      if (next < 0) {
        // RFC 5321 §4.5.4.1: given up after the queue lifetime.
        outcome = "550 5.4.7 gave up after " + std::to_string(options_.queue_lifetime.count() / 3600) +
                  " hours; last: " + outcome;
        next = now;
      } else {
        state = store::recipient_state::pending;
      }
    }
    queue_.record(r.id, state, outcome, next);
    spdlog::info("event=delivery queue_id={} rcpt=\"{}\" result=\"{}\"", m.id, r.address, outcome);
    pending_left = pending_left || state == store::recipient_state::pending;
    if (state != store::recipient_state::pending) {
      auto done = r;
      done.state = state;
      done.last_reply = outcome;
      ended.push_back(std::move(done));
    } else if (options_.delay_warning.count() > 0 && !r.delay_reported &&
               now - m.created >= options_.delay_warning.count()) {
      // Still trying after delay_warning: the sender hears of it once.
      auto late = r;
      late.state = state;
      late.last_reply = outcome;
      ended.push_back(std::move(late));
    }
  };
  std::vector<const store::queued_recipient*> remote;
  for (auto& r : m.recipients) {
    if (r.state != store::recipient_state::pending) continue;
    auto [local, domain] = split_address(r.address);
    if (r.notify & store::list_expanded) {
      // A list: its members are recipients of their own
      // (smtp::session::queue_recipients); this row is there for the sender's
      // "expanded" report (RFC 3461 §5.2.7.3 (c)).
      record(r, std::string(expanded_reply) + " the list's members are delivered on their own", false);
      continue;
    }
    try {
      // A list's member is the account it named when queued, whatever
      // the aliases say now (no chains).
      auto target = (r.notify & store::list_member) ? addresses_.resolve_account(local, domain)
                                                     : addresses_.resolve(local, domain);
      if (!target) {
        if (!addresses_.is_local_domain(domain)) {
          remote.push_back(&r);
          continue;
        }
        // Accepted at RCPT time, gone since (the account was deleted).
        record(r, "550 5.1.1 no such user here any more", false);
        continue;
      }
      if (!content) content = queue_.read(m, 0, m.size);
      auto res = deliver(accounts_, *target, *content, options_.describe);
      record(r, "250 2.0.0 delivered as UID " + std::to_string(store::to_int(res.uids.at(0))), false);
    } catch (const store::error& e) {
      if (e.what_code != store::error::code::over_quota) {
        record(r, std::string("451 4.3.0 ") + e.what(), true);
      } else if (options_.max_account_size && m.size > options_.max_account_size) {
        // RFC 3463 5.2.3: bigger than the whole quota, it never fits.
        record(r, std::string("552 5.2.3 message larger than the mailbox quota: ") + e.what(), false);
      } else {
        // 4.2.2 mailbox full: the user may make room before the queue
        // gives up.
        record(r, std::string("452 4.2.2 ") + e.what(), true);
      }
    } catch (const std::exception& e) {
      // A full disk, an I/O error: worth another try later.
      record(r, std::string("451 4.3.0 ") + e.what(), true);
    }
  }
  if (!remote.empty()) {
    agent_options::relay_outcome out;
    if (options_.relay) {
      std::vector<store::queued_recipient> which;
      for (auto* r : remote) which.push_back(*r);
      try {
        if (!content) content = queue_.read(m, 0, m.size);
        out = options_.relay(m, which, *content);
      } catch (const std::exception& e) {
        out.replies.assign(remote.size(), std::string("451 4.4.0 ") + e.what());
      }
    }
    out.replies.resize(remote.size(), "550 5.4.4 no route to this domain (relay.mx is off and no relay.smarthost)");
    out.dsn_passed.resize(remote.size(), false);
    for (std::size_t i = 0; i < remote.size(); ++i) {
      // Handed on. With the DSN parameters passed, the next hop reports
      // success; without, a success report says "relayed" (RFC 3461
      // §6.2.1, RFC 3464 §2.3.3).
      auto& reply = out.replies[i];
      auto outcome = !reply.starts_with("2") ? reply
                     : out.dsn_passed[i]     ? "250 2.0.0 relayed with DSN: " + reply
                                             : "250 2.0.0 relayed: " + reply;
      record(*remote[i], outcome, reply.starts_with("4"));
    }
  }
  if (!ended.empty()) {
    try {
      if (!content) content = queue_.read(m, 0, m.size);
      report(m, ended, *content);
    } catch (const std::exception& e) {
      spdlog::warn("event=dsn_failed queue_id={} error=\"{}\"", m.id, e.what());
    }
  }
  if (!pending_left) queue_.remove(m.id);
}

void queue_agent::report(const store::queued_message& m, const std::vector<store::queued_recipient>& ended,
                         const std::string& content) {
  // RFC 3461 §6.2: never about a message with a null reverse path.
  if (m.sender.empty()) return;
  for (auto action : {dsn_action::failed, dsn_action::delivered, dsn_action::delayed}) {
    std::vector<store::queued_recipient> which;
    for (auto& r : ended) {
      bool matches = action == dsn_action::delivered ? r.state == store::recipient_state::delivered
                     : action == dsn_action::failed  ? r.state == store::recipient_state::failed
                                                     : r.state == store::recipient_state::pending;
      if (matches && wants_report(r, action)) which.push_back(r);
    }
    if (which.empty()) continue;
    // Told once, whether or not the report can go anywhere.
    if (action == dsn_action::delayed)
      for (auto& r : which) queue_.mark_delay_reported(r.id);
    auto retry_until = m.created + options_.queue_lifetime.count();
    auto [local, domain] = split_address(m.sender);
    auto target = addresses_.resolve(local, domain);
    if (!target) {
      if (addresses_.is_local_domain(domain) || !options_.relay) {
        spdlog::warn("event=dsn_undeliverable queue_id={} sender=\"{}\"", m.id, m.sender);
        continue;
      }
      // A sender elsewhere: the report is mail to it, from the null
      // reverse path so that it never causes a report itself (RFC 3461
      // §6.2, RFC 5321 §4.5.5).
      auto text = make_report(m, which, action, content, options_.hostname, retry_until);
      auto staged = queue_.stage();
      staged->write(text);
      staged->finish();
      store::queued_message q;
      q.body = m.body;
      q.smtputf8 = m.smtputf8;
      store::queued_recipient to;
      to.address = m.sender;
      q.recipients.push_back(std::move(to));
      auto id = queue_.enqueue(std::move(q), *staged);
      spdlog::info("event=dsn queue_id={} action={} recipients={} to=\"{}\" queued_as={}", m.id,
                   action_name(action), which.size(), m.sender, id);
      continue;
    }
    target->detail.clear();  // the report goes to INBOX
    auto text = make_report(m, which, action, content, options_.hostname, retry_until);
    auto res = deliver(accounts_, *target, std::move(text), options_.describe);
    spdlog::info("event=dsn queue_id={} action={} recipients={} to=\"{}\" uid={}", m.id,
                 action_name(action), which.size(), m.sender,
                 store::to_int(res.uids.at(0)));
  }
}

}  // namespace lemonade::delivery
