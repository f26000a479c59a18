// The verified-password cache. See credential_cache.hpp for the rules.

#include "auth/credential_cache.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "auth/password.hpp"

namespace lemonade::auth {

namespace {
constexpr std::size_t key_size = 32;

// Length-prefixed, so ("ab", "c") and ("a", "bc") hash differently.
void append_field(std::string& out, std::string_view field) {
  auto n = field.size();
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(field);
}
}  // namespace

credential_cache::credential_cache(policy p, clock_fn now)
    : policy_(p), now_(std::move(now)), key_(random_bytes(key_size)) {
  if (!now_) throw std::invalid_argument("credential_cache: no clock");
}

std::string credential_cache::tag_for(std::string_view name, std::string_view stored_hash,
                                      std::string_view password) const {
  std::string msg;
  msg.reserve(12 + name.size() + stored_hash.size() + password.size());
  append_field(msg, name);
  append_field(msg, stored_hash);
  append_field(msg, password);
  auto tag = hmac_sha256(key_, msg);
  // The message holds the password: do not leave it in freed memory.
  std::fill(msg.begin(), msg.end(), '\0');
  return tag;
}

void credential_cache::erase(lru_list::iterator it) {
  index_.erase(it->name);
  lru_.erase(it);
}

bool credential_cache::check(std::string_view name, std::string_view stored_hash, std::string_view password) {
  if (!enabled()) return false;
  auto tag = tag_for(name, stored_hash, password);
  std::lock_guard lock(mutex_);
  auto found = index_.find(name);
  if (found == index_.end()) return false;
  auto it = found->second;
  if (now_() - it->verified >= policy_.ttl) {
    erase(it);
    return false;
  }
  return constant_time_equal(it->tag, tag);
}

void credential_cache::remember(std::string_view name, std::string_view stored_hash, std::string_view password) {
  if (!enabled()) return;
  auto tag = tag_for(name, stored_hash, password);
  std::lock_guard lock(mutex_);
  auto now = now_();
  if (auto found = index_.find(name); found != index_.end()) erase(found->second);
  // Expired entries sit at the front: drop them before evicting live ones.
  while (!lru_.empty() && now - lru_.front().verified >= policy_.ttl) erase(lru_.begin());
  if (lru_.size() >= policy_.max_entries) erase(lru_.begin());
  lru_.push_back(entry{std::string(name), std::move(tag), now});
  auto it = std::prev(lru_.end());
  index_.emplace(it->name, it);
}

void credential_cache::forget(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto found = index_.find(name); found != index_.end()) erase(found->second);
}

std::size_t credential_cache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace lemonade::auth
