#pragma once
// Mailbox names as the store keeps them: UTF-8, '/' as the hierarchy
// separator, "INBOX" for the inbox whatever case the client used.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/api/store.hpp"

namespace lemonade::store {

inline constexpr char hierarchy_separator = '/';

struct name_problem {
  std::string reason;
  bool over_limit = false;  // too long or too deep, rather than malformed
};

// Why a name cannot be created, or nullopt if it can: invalid UTF-8,
// control characters, wildcards, empty levels, over the length or depth
// limits.
std::optional<name_problem> invalid_mailbox_name(std::string_view name, const store_limits& limits);

// "a/b/c" -> {"a", "a/b"}
std::vector<std::string> superior_names(std::string_view name);

// True when name is below parent ("a/b" is below "a"; "ab" is not).
bool is_inferior(std::string_view name, std::string_view parent);

bool is_valid_utf8(std::string_view s);

// RFC 6154 §2 attributes we accept for CREATE (USE ...); canonical case.
std::optional<std::string> canonical_special_use(std::string_view attr);

}  // namespace lemonade::store
