#include "imap/commands/flags.hpp"

#include "core/strings.hpp"
#include "imap/context.hpp"

namespace lemonade::imap::commands {

const std::vector<std::pair<std::string, std::uint8_t>>& system_flags() {
  static const std::vector<std::pair<std::string, std::uint8_t>> flags = {
      {"\\Answered", store::flag_answered}, {"\\Flagged", store::flag_flagged},
      {"\\Deleted", store::flag_deleted},   {"\\Seen", store::flag_seen},
      {"\\Draft", store::flag_draft},
  };
  return flags;
}

store::flag_set flags_from_wire(const std::vector<std::string>& flags) {
  store::flag_set out;
  for (auto& f : flags) {
    if (!f.empty() && f[0] == '\\') {
      bool known = false;
      for (auto& [name, bit] : system_flags()) {
        if (core::iequals(name, f)) {
          out.system |= bit;
          known = true;
        }
      }
      if (!known) reject_syntax("Invalid system flag " + f);
      continue;
    }
    out.keywords.push_back(f);
  }
  return out;
}

response::raw flags_to_wire(const store::flag_set& f, std::string_view extra) {
  response::raw out;
  out.octets += '(';
  auto add = [&](std::string_view flag) {
    if (out.octets.size() > 1) out.octets += ' ';
    out.octets += flag;
  };
  for (auto& [name, bit] : system_flags())
    if (f.system & bit) add(name);
  for (auto& k : f.keywords) add(k);
  if (!extra.empty()) add(extra);
  out.octets += ')';
  return out;
}

}  // namespace lemonade::imap::commands
