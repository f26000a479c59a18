#include "mailbox/account.hpp"

#include "mailbox/selected.hpp"

#include <algorithm>

namespace lemonade::mailbox {

account::account(std::shared_ptr<store::account_store> store) : store_(std::move(store)) {}

void account::subscribe(std::weak_ptr<listener> l) {
  std::lock_guard lock(listeners_mu_);
  std::erase_if(listeners_, [](auto& w) { return w.expired(); });
  listeners_.push_back(std::move(l));
}

void account::add_view(const std::shared_ptr<selected_mailbox>& v) {
  std::lock_guard lock(listeners_mu_);
  std::erase_if(listeners_, [](auto& w) { return w.expired(); });
  std::erase_if(views_, [](auto& w) { return w.expired(); });
  listeners_.push_back(v);
  views_.push_back(v);
}

void account::publish(const event& e) {
  std::vector<std::shared_ptr<listener>> live;
  {
    std::lock_guard lock(listeners_mu_);
    for (auto& w : listeners_)
      if (auto l = w.lock()) live.push_back(std::move(l));
  }
  for (auto& l : live) l->on_event(e);
  // Every listener has now heard of this expunge (events are published
  // under publish_mu_, in commit order).
  std::optional<std::pair<store::mailbox_id, std::uint64_t>> gone;
  if (auto* x = std::get_if<messages_expunged>(&e)) gone.emplace(x->mailbox, store::to_int(x->highestmodseq));
  if (auto* d = std::get_if<mailbox_deleted>(&e)) gone.emplace(d->mailbox, UINT64_MAX - 1);
  if (gone) {
    std::lock_guard lock(listeners_mu_);
    auto& last = published_expunges_[gone->first];
    last = std::max(last, gone->second);
  }
}

void account::release_expunged(store::mailbox_id id) {
  std::uint64_t below = 0;
  std::vector<std::shared_ptr<selected_mailbox>> views;
  {
    std::lock_guard lock(listeners_mu_);
    auto it = published_expunges_.find(id);
    if (it == published_expunges_.end()) return;  // nothing expunged here
    below = it->second + 1;
    for (auto& w : views_)
      if (auto v = w.lock()) views.push_back(std::move(v));
  }
  // A view that has not applied an expunge may still FETCH what it
  // removed: nothing from its lowest such MODSEQ on may go yet.
  for (auto& v : views)
    if (v->info().id == id)
      if (auto held = v->held_expunges()) below = std::min(below, store::to_int(*held));
  if (below > 0) store_->release_expunged(id, store::modseq{below});
}

store::mailbox_info account::create_mailbox(std::string_view name, std::string_view special_use) {
  std::lock_guard lock(publish_mu_);
  auto info = store_->create_mailbox(name, special_use);
  publish(mailbox_created{info.name});
  return info;
}

void account::delete_mailbox(std::string_view name) {
  std::lock_guard lock(publish_mu_);
  auto id = store_->delete_mailbox(name);
  publish(mailbox_deleted{id, std::string(name)});
  release_expunged(id);
}

void account::rename_mailbox(std::string_view from, std::string_view to) {
  std::lock_guard lock(publish_mu_);
  std::optional<store::mailbox_id> inbox;
  if (from == "INBOX")
    if (auto m = store_->find_mailbox("INBOX")) inbox = m->id;
  auto changed = store_->rename_mailbox(from, to);
  for (auto& r : changed) publish(mailbox_renamed{r.old_name, r.now.name});
  if (inbox) {
    // RFC 3501 §6.3.5: INBOX's messages moved away (expunged from it).
    {
      std::lock_guard l(listeners_mu_);
      published_expunges_[*inbox] = UINT64_MAX - 1;
    }
    release_expunged(*inbox);
  }
}

void account::set_metadata(std::string_view mailbox,
                           const std::vector<std::pair<std::string, std::optional<std::string>>>& changes,
                           unsigned max_entries, const void* origin) {
  std::lock_guard lock(publish_mu_);
  std::optional<store::mailbox_id> id;
  if (!mailbox.empty()) {
    auto mb = store_->find_mailbox(mailbox);
    if (!mb) throw store::error(store::error::code::nonexistent, "Mailbox does not exist");
    id = mb->id;
  }
  store_->set_metadata(id, changes, max_entries);
  metadata_changed e{std::string(mailbox), {}, origin};
  for (auto& c : changes)
    if (std::find(e.entries.begin(), e.entries.end(), c.first) == e.entries.end()) e.entries.push_back(c.first);
  publish(e);
}

void account::set_subscribed(std::string_view name, bool subscribed) {
  std::lock_guard lock(publish_mu_);
  store_->set_subscribed(name, subscribed);
  publish(subscription_changed{std::string(name), subscribed});
}

store::append_result account::append(const store::mailbox_info& mb,
                                      std::vector<store::new_message> messages) {
  // Not under publish_mu_: appends to one account must overlap to share
  // commits. Their events may then arrive out of UID order, so listeners
  // treat messages_added as a hint and read new UIDs from the store
  // (selected_mailbox::sync), where they are always gap-free.
  write_scope w(*this);
  auto res = store_->append(mb.id, std::move(messages));
  publish(messages_added{mb.id, res.uids});
  return res;
}

store::expunge_result account::expunge_deleted(store::mailbox_id id, const std::vector<store::uid>* only) {
  write_scope w(*this);
  std::lock_guard lock(publish_mu_);
  auto res = store_->expunge_deleted(id, only);
  if (!res.uids.empty()) {
    publish(messages_expunged{id, res.uids, res.highestmodseq});
    release_expunged(id);
  }
  return res;
}

store::store_flags_result account::store_flags(store::mailbox_id id, const std::vector<store::uid>& uids,
                                               store::flag_op op, const store::flag_set& flags,
                                               std::optional<store::modseq> unchanged_since, const void* origin) {
  write_scope w(*this);
  std::lock_guard lock(publish_mu_);
  auto res = store_->store_flags(id, uids, op, flags, unchanged_since);
  if (!res.updated.empty()) publish(flags_changed{id, res.updated, origin});
  return res;
}

store::copy_result account::copy(store::mailbox_id from, const std::vector<store::uid>& uids, store::mailbox_id to,
                                 bool move) {
  write_scope w(*this);
  std::lock_guard lock(publish_mu_);
  auto res = store_->copy(from, uids, to, move);
  if (!res.target.empty()) publish(messages_added{to, res.target});
  if (!res.expunged.empty()) {
    publish(messages_expunged{from, res.expunged, res.source_highestmodseq});
    release_expunged(from);
  }
  return res;
}

std::optional<store::modseq> account::settled_highestmodseq(store::mailbox_id id) {
  // Every write counted in writes_started_ before `started` was read has
  // finished (published) if the two counters agree; a write visible in the
  // status read below began before it, so if no write began since
  // `started`, every change up to the value read has been published.
  auto started = writes_started_.load();
  if (writes_finished_.load() != started) return std::nullopt;
  store::mailbox_status st;
  try {
    st = store_->status(id);
  } catch (const store::error&) {
    return std::nullopt;  // deleted meanwhile: the session learns it from its view
  }
  if (writes_started_.load() != started) return std::nullopt;
  return st.highestmodseq;
}

std::shared_ptr<account> account_registry::open(const store::user_record& user) {
  std::lock_guard lock(mu_);
  std::erase_if(open_, [](auto& p) { return p.acct.expired(); });
  std::shared_ptr<account> a;
  for (auto& o : open_)
    if (o.id == user.id)
      if ((a = o.acct.lock())) break;
  if (!a) {
    a = std::make_shared<account>(store_.open_account(user));
    open_.push_back({user.id, user.name, a});
  }
  if (keep_open_ > 0) {
    std::erase(kept_, a);
    kept_.push_back(a);
    if (kept_.size() > keep_open_) kept_.erase(kept_.begin());
  }
  return a;
}

std::vector<std::int64_t> account_registry::drop_deleted_users() {
  std::vector<std::int64_t> gone;
  std::vector<std::shared_ptr<account>> closing;  // released after mu_
  std::lock_guard lock(mu_);
  std::erase_if(open_, [&](auto& o) {
    if (o.acct.expired()) return true;
    auto now = store_.users().find_user(o.name);
    // Deleted, or deleted and added again (a new id, a new, empty store).
    if (now && now->id == o.id) return false;
    gone.push_back(o.id);
    if (auto a = o.acct.lock()) closing.push_back(std::move(a));
    return true;
  });
  std::erase_if(kept_, [&](auto& a) { return std::find(closing.begin(), closing.end(), a) != closing.end(); });
  return gone;
}

}  // namespace lemonade::mailbox
