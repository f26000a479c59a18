#pragma once
// A cache of verified passwords, so a phone that reconnects every few
// minutes does not pay argon2id (tens of milliseconds and 19 MiB) on every
// LOGIN. The idea is Dovecot's auth cache; the rules are ours:
//
//  - Only successes are cached. A wrong password, or an unknown user,
//    always goes to argon2id, so guessing costs what it always did.
//  - An entry is the account name and a keyed hash (HMAC-SHA-256 under a
//    random key drawn when the cache is made, never stored) of the stored
//    argon2id string and the password. The password itself is not kept.
//    Because the stored string is in the hash, `lemonade user passwd` (a new
//    string with a new salt) makes the entry miss at once, also when another
//    process changed it; `user del` makes the account lookup fail before the
//    cache is asked.
//  - An entry lives policy.ttl from the verification that made it; a hit
//    does not extend it. At most policy.max_entries names are kept; the
//    least recently verified goes first. ttl 0 or max_entries 0 disables
//    the cache.
//
// What it costs: someone who can read the server's memory gets, per
// cached account, a fast hash to attack offline instead of an argon2id
// one (the key is in the same memory). The ttl bounds the window.
//
// Thread-safe: all members may be called concurrently (one std::mutex).

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lemonade::auth {

class credential_cache {
 public:
  struct policy {
    std::chrono::seconds ttl{3600};
    std::size_t max_entries = 10000;
  };
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;

  // Throws std::invalid_argument when now is empty; std::runtime_error when
  // no random key can be drawn (init_crypto() not called).
  explicit credential_cache(policy p, clock_fn now = std::chrono::steady_clock::now);

  credential_cache(const credential_cache&) = delete;
  credential_cache& operator=(const credential_cache&) = delete;

  bool enabled() const { return policy_.ttl.count() > 0 && policy_.max_entries > 0; }

  // True when name was verified with this password against this stored
  // hash less than ttl ago. Compares in constant time.
  bool check(std::string_view name, std::string_view stored_hash, std::string_view password);

  // Records that password matched stored_hash for name (after
  // verify_password said so). Replaces an older entry for name.
  void remember(std::string_view name, std::string_view stored_hash, std::string_view password);

  // Drops name's entry, if any.
  void forget(std::string_view name);

  // Entries held, expired ones included until they are looked at or evicted.
  std::size_t size() const;

 private:
  using time_point = std::chrono::steady_clock::time_point;
  struct entry {
    std::string name;
    std::string tag;  // 32 octets
    time_point verified{};
  };
  using lru_list = std::list<entry>;  // least recently verified first

  std::string tag_for(std::string_view name, std::string_view stored_hash, std::string_view password) const;
  void erase(lru_list::iterator it);

  const policy policy_;
  const clock_fn now_;
  const std::string key_;
  mutable std::mutex mutex_;
  lru_list lru_;
  std::unordered_map<std::string_view, lru_list::iterator> index_;
};

}  // namespace lemonade::auth
