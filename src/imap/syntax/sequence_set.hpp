#pragma once
// RFC 3501 §9 sequence-set: "1,3:5,7:*". Numbers are message sequence
// numbers or UIDs depending on the command; 0 stands for "*" (the largest
// number in use, RFC 3501 §6.4.8: "*" in a UID set is the highest UID).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemonade::imap::syntax {

struct seq_range {
  std::uint32_t first;  // 0 = "*"
  std::uint32_t last;   // 0 = "*"
};

struct sequence_set {
  std::vector<seq_range> ranges;
  bool saved = false;  // RFC 5182 "$" (SEARCHRES)

  // Whether n is in the set, with "*" meaning `largest`. "x:y" is the same
  // as "y:x" (RFC 3501 §9).
  bool contains(std::uint32_t n, std::uint32_t largest) const;
};

// A sequence set resolved against `largest` ("*"), as sorted, merged
// closed intervals: membership by binary search, so a set of many ranges
// tested against every message of a big mailbox stays cheap.
class interval_set {
 public:
  interval_set() = default;
  interval_set(const sequence_set& set, std::uint32_t largest);
  bool contains(std::uint32_t n) const;

 private:
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans_;
};

// Parses a whole sequence-set; nullopt if malformed (zero, junk, empty).
std::optional<sequence_set> parse_sequence_set(std::string_view text);

// "1:3,5": numbers in the order given, a range where they run up by one
// (ascending input gives the compact set; RFC 5267 §3.2's sorted results
// stay in their order: "23765,23764,23763").
std::string format_sequence_set(const std::vector<std::uint32_t>& nums);

}  // namespace lemonade::imap::syntax
