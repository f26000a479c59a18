#include "mailbox/selected.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "core/strings.hpp"

namespace lemonade::mailbox {

std::shared_ptr<selected_mailbox> selected_mailbox::open(account& acct, store::mailbox_id id, bool read_only) {
  auto view = std::shared_ptr<selected_mailbox>(new selected_mailbox(acct, id, read_only));
  // Listen first, then read: an append committed in between is both in
  // the snapshot and announced, and sync() ignores UIDs it already has;
  // an expunge committed in between is held back (held_expunges()).
  acct.add_view(view);
  auto snap = acct.store().snapshot(id, store::uid{1});
  if (!snap.info.selectable) throw store::error(store::error::code::noselect, "mailbox is not selectable");
  view->info_ = std::move(snap.info);
  {
    std::lock_guard lock(view->events_mu_);
    if (view->name_.empty()) view->name_ = view->info_.name;
  }
  view->messages_ = std::move(snap.messages);
  view->announced_ = view->info_.highestmodseq;
  view->announced_keywords_ = view->keywords();
  // RFC 3501 §2.3.2: \Recent belongs to the first session to see it.
  // EXAMINE does not claim (§6.3.2) but shows what no session has claimed
  // yet, as STATUS (RECENT) counts it.
  auto first = read_only ? snap.first_recent : acct.store().claim_recent(id, view->info_.uidnext);
  for (auto& m : view->messages_)
    if (to_int(m.id) >= to_int(first)) view->recent_.push_back(m.id);
  view->recent_count_ = static_cast<std::uint32_t>(view->recent_.size());
  return view;
}

std::optional<std::uint32_t> selected_mailbox::first_unseen() const {
  for (std::size_t i = 0; i < messages_.size(); ++i)
    if (!(messages_[i].flags.system & store::flag_seen)) return static_cast<std::uint32_t>(i + 1);
  return std::nullopt;
}

std::vector<std::string> selected_mailbox::keywords() const {
  // In the order first seen; a set of the case-folded names keeps this
  // linear in the flags of the mailbox (a SELECT of a mailbox with
  // hundreds of keywords over thousands of messages).
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (auto& m : messages_)
    for (auto& k : m.flags.keywords)
      if (seen.insert(core::to_lower(k)).second) out.push_back(k);
  return out;
}

selected_mailbox::~selected_mailbox() {
  // What this view held back may go now.
  try {
    account_.release_expunged(id_);
  } catch (...) {
  }
}

std::optional<store::modseq> selected_mailbox::held_expunges() {
  std::lock_guard lock(events_mu_);
  if (gone_ || resync_all_) return store::modseq{0};
  if (!expunged_.empty()) return expunged_min_;
  return std::nullopt;
}

bool selected_mailbox::learn(const store::flag_set& f) {
  bool added = false;
  for (auto& k : f.keywords)
    if (std::none_of(announced_keywords_.begin(), announced_keywords_.end(),
                     [&](auto& o) { return core::iequals(o, k); })) {
      announced_keywords_.push_back(k);
      added = true;
    }
  return added;
}

std::optional<std::uint32_t> selected_mailbox::seq_of(store::uid u) const {
  auto it = std::lower_bound(messages_.begin(), messages_.end(), u,
                             [](const store::message_entry& m, store::uid x) { return to_int(m.id) < to_int(x); });
  if (it == messages_.end() || it->id != u) return std::nullopt;
  return static_cast<std::uint32_t>(it - messages_.begin() + 1);
}

void selected_mailbox::apply_own(const std::vector<store::flag_update>& updates) {
  for (auto& up : updates)
    if (auto seq = seq_of(up.id)) {
      auto& m = messages_[*seq - 1];
      if (to_int(up.mod) >= to_int(m.mod)) {
        m.flags = up.flags;
        m.mod = up.mod;
      }
    }
}

bool selected_mailbox::is_recent(store::uid u) const {
  return std::binary_search(recent_.begin(), recent_.end(), u);
}

bool selected_mailbox::has_unreported(bool allow_expunge) {
  std::lock_guard lock(events_mu_);
  return new_messages_ || gone_ || renamed_to_ || !flag_updates_.empty() || flags_resync_ ||
         (allow_expunge && (!expunged_.empty() || resync_all_));
}

void selected_mailbox::set_waker(std::function<void()> wake) {
  std::lock_guard lock(events_mu_);
  waker_ = std::move(wake);
}

void selected_mailbox::on_event(const event& e) {
  std::function<void()> wake;
  {
  std::lock_guard lock(events_mu_);
  if (auto* a = std::get_if<messages_added>(&e); a && a->mailbox == id_) {
    new_messages_ = true;
  } else if (auto* x = std::get_if<messages_expunged>(&e); x && x->mailbox == id_) {
    if (expunged_.empty() || to_int(x->highestmodseq) < to_int(expunged_min_)) expunged_min_ = x->highestmodseq;
    expunged_.insert(expunged_.end(), x->uids.begin(), x->uids.end());
  } else if (auto* f = std::get_if<flags_changed>(&e); f && f->mailbox == id_) {
    if (f->origin == this) return;  // applied and reported by our own session
    if (flags_resync_) {
      // already past the limit: the next sync compares with the store
    } else if (flag_updates_.size() + f->updates.size() > max_flag_updates) {
      flags_resync_ = true;
      flag_updates_.clear();
      flag_updates_.shrink_to_fit();
    } else {
      flag_updates_.insert(flag_updates_.end(), f->updates.begin(), f->updates.end());
    }
  } else if (auto* d = std::get_if<mailbox_deleted>(&e); d && d->mailbox == id_) {
    gone_ = true;
  } else if (auto* r = std::get_if<mailbox_renamed>(&e); r && r->old_name == name_) {
    // Renaming INBOX empties it but keeps it (RFC 3501 §6.3.5): its
    // messages moved away, so compare against the store on the next sync.
    if (name_ == "INBOX") {
      resync_all_ = true;
    } else {
      name_ = r->new_name;
      renamed_to_ = r->new_name;
    }
  } else {
    return;
  }
  pending_ = true;
  wake = waker_;
  }
  if (wake) wake();
}

void selected_mailbox::load_new() {
  auto from = messages_.empty() ? store::uid{1} : store::uid{to_int(messages_.back().id) + 1};
  auto snap = account_.store().snapshot(info_.id, from);
  info_.uidnext = snap.info.uidnext;
  info_.highestmodseq = snap.info.highestmodseq;
  if (snap.messages.empty()) return;
  auto first = read_only_ ? snap.first_recent : account_.store().claim_recent(info_.id, snap.info.uidnext);
  for (auto& m : snap.messages)
    if (to_int(m.id) >= to_int(first)) recent_.push_back(m.id);
  recent_count_ = static_cast<std::uint32_t>(recent_.size());
  for (auto& m : snap.messages) messages_.push_back(std::move(m));
}

selected_mailbox::changes selected_mailbox::sync(bool allow_expunge) {
  changes out;
  bool load = false;
  std::vector<store::uid> gone_uids;
  std::vector<store::flag_update> flag_updates;
  bool flags_resync = false;
  {
    std::lock_guard lock(events_mu_);
    flag_updates.swap(flag_updates_);
    flags_resync = std::exchange(flags_resync_, false);
    load = new_messages_;
    new_messages_ = false;
    out.mailbox_gone = gone_;
    if (renamed_to_) info_.name = *std::exchange(renamed_to_, std::nullopt);
    if (allow_expunge) {
      gone_uids.swap(expunged_);
      if (resync_all_) {
        resync_all_ = false;
        load = true;
        // Whatever the store no longer has was expunged.
        auto snap = account_.store().snapshot(info_.id, store::uid{1});
        std::size_t k = 0;
        for (auto& m : messages_) {
          while (k < snap.messages.size() && to_int(snap.messages[k].id) < to_int(m.id)) ++k;
          if (k >= snap.messages.size() || snap.messages[k].id != m.id) gone_uids.push_back(m.id);
        }
      }
    }
    out.complete = expunged_.empty() && !resync_all_;
    pending_ = !out.complete;
    if (!out.complete) {
      // A moved-away INBOX (resync_all_) has no MODSEQ here; what the
      // client was last told is below it.
      std::uint64_t below = to_int(announced_);
      if (!expunged_.empty()) {
        auto under = to_int(expunged_min_) > 0 ? to_int(expunged_min_) - 1 : 0;
        below = resync_all_ ? std::min(below, under) : under;
      }
      out.below_held = store::modseq{below};
    }
  }
  if (out.mailbox_gone) return out;
  // Appends publish outside account::publish_mu_ (they share commits), so
  // a flag change or expunge committed after an append can arrive before
  // the append's event. Reading new UIDs whenever other changes are
  // applied keeps the view from announcing a MODSEQ above a message it
  // has not shown (RFC 7162 §3.2: the client must lose no change).
  bool probe = !load && (!flag_updates.empty() || flags_resync || !gone_uids.empty());
  if (flags_resync) {
    // Too many flag changes were waiting: every message whose MODSEQ moved
    // since the view last saw it, read outside the lock.
    auto snap = account_.store().snapshot(info_.id, store::uid{1});
    std::size_t k = 0;
    for (auto& m : messages_) {
      while (k < snap.messages.size() && to_int(snap.messages[k].id) < to_int(m.id)) ++k;
      if (k < snap.messages.size() && snap.messages[k].id == m.id && to_int(snap.messages[k].mod) > to_int(m.mod))
        flag_updates.push_back({m.id, snap.messages[k].mod, snap.messages[k].flags});
    }
  }

  if (!gone_uids.empty()) {
    std::sort(gone_uids.begin(), gone_uids.end());
    // RFC 3501 §7.4.1: each EXPUNGE renumbers the ones after it, so send
    // them from the highest sequence number down: no number shifts.
    for (std::size_t i = messages_.size(); i-- > 0;) {
      if (!std::binary_search(gone_uids.begin(), gone_uids.end(), messages_[i].id)) continue;
      out.expunged.push_back(static_cast<std::uint32_t>(i + 1));
      out.expunged_uids.push_back(messages_[i].id);
      std::erase(recent_, messages_[i].id);
      messages_.erase(messages_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    recent_count_ = static_cast<std::uint32_t>(recent_.size());
    std::reverse(out.expunged_uids.begin(), out.expunged_uids.end());
  }
  if (load || probe) {
    auto before = messages_.size();
    load_new();
    out.exists_changed = messages_.size() != before;
  }
  if (!out.expunged.empty()) out.exists_changed = out.exists_changed || load;
  for (auto& up : flag_updates) {
    auto seq = seq_of(up.id);
    if (!seq) continue;  // expunged meanwhile, or not yet announced
    auto& m = messages_[*seq - 1];
    // Events of one mailbox arrive in commit order; a newer MODSEQ wins.
    if (to_int(up.mod) < to_int(m.mod)) continue;
    m.flags = up.flags;
    m.mod = up.mod;
    if (std::find(out.flags_changed.begin(), out.flags_changed.end(), *seq) == out.flags_changed.end())
      out.flags_changed.push_back(*seq);
  }
  std::sort(out.flags_changed.begin(), out.flags_changed.end());
  // The session no longer names what it just expunged.
  if (!gone_uids.empty()) account_.release_expunged(id_);
  return out;
}

}  // namespace lemonade::mailbox
