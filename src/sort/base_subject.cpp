// RFC 5256 §2.1 base subject extraction. The steps run on a string_view
// that only ever shrinks from either end, so the whole extraction is one
// copy for step (1) and one for the result.
#include "sort/base_subject.hpp"

#include <cstddef>
#include <optional>

#include "core/strings.hpp"
#include "mime/decode.hpp"

namespace lemonade::sort {
namespace {

// After step (1) the only white space left is SP.
constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
  return core::istarts_with(s, prefix);
}

bool ends_with_nocase(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && core::iequals(s.substr(s.size() - suffix.size()), suffix);
}

// subj-blob = "[" *BLOBCHAR "]" *WSP at the start of s: its length, or
// nullopt.
std::optional<std::size_t> match_blob(std::string_view s) noexcept {
  if (s.empty() || s[0] != '[') return std::nullopt;
  std::size_t i = 1;
  while (i < s.size() && s[i] != '[' && s[i] != ']') ++i;  // BLOBCHAR: any octet but "[" and "]"
  if (i == s.size() || s[i] != ']') return std::nullopt;
  ++i;
  while (i < s.size() && is_wsp(s[i])) ++i;
  return i;
}

// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" at the start of
// s: its length, or nullopt. "fwd" and "fw" are both tried, so "fwd:" and
// "fw:" match and "fwx:" does not.
std::optional<std::size_t> match_refwd(std::string_view s) noexcept {
  for (std::string_view word : {"re", "fwd", "fw"}) {
    if (!starts_with_nocase(s, word)) continue;
    std::size_t i = word.size();
    while (i < s.size() && is_wsp(s[i])) ++i;
    if (auto blob = match_blob(s.substr(i))) i += *blob;
    if (i < s.size() && s[i] == ':') return i + 1;
  }
  return std::nullopt;
}

// RFC 5256 §2.1 step (2): "Remove all trailing text of the subject that
// matches the subj-trailer ABNF, repeat until no more matches are possible."
void remove_trailers(std::string_view& s, bool& reply) {
  for (;;) {
    if (!s.empty() && is_wsp(s.back())) {
      s.remove_suffix(1);
    } else if (ends_with_nocase(s, "(fwd)")) {
      s.remove_suffix(5);
      reply = true;
    } else {
      return;
    }
  }
}

// Steps (3)-(5): leaders and blobs off the front until none matches.
void remove_leaders(std::string_view& s, bool& reply) {
  for (;;) {
    // Step (3): "Remove all prefix text of the subject that matches the
    // subj-leader ABNF", subj-leader = (*subj-blob subj-refwd) / WSP.
    if (!s.empty() && is_wsp(s[0])) {
      s.remove_prefix(1);
      continue;
    }
    std::size_t blobs_end = 0, last_blob = 0, blob_count = 0;
    while (auto n = match_blob(s.substr(blobs_end))) {
      last_blob = blobs_end;
      blobs_end += *n;
      ++blob_count;
    }
    if (auto r = match_refwd(s.substr(blobs_end))) {
      s.remove_prefix(blobs_end + *r);
      reply = true;
      continue;
    }
    // Step (4): "If there is prefix text of the subject that matches the
    // subj-blob ABNF, and removing that prefix leaves a non-empty
    // subj-base, then remove the prefix text." After step (2) the text
    // ends in a non-WSP octet, so any text left is a subj-base. Step (3)
    // would fail again after each of these blobs (the same text follows
    // them all), so they go at once, all but the last when nothing follows
    // it: linear, not quadratic, in the number of blobs.
    std::size_t cut = blobs_end < s.size() ? blobs_end : last_blob;
    if (blob_count == 0 || cut == 0) return;  // step (5): no matches remain
    s.remove_prefix(cut);
  }
}

// Step (1), white space part: "Convert all tabs and continuations to
// space. Convert all multiple spaces to a single space."
std::string collapse_white_space(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\t' || c == '\r' || c == '\n') c = ' ';
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

}  // namespace

base_subject extract_base_subject_utf8(std::string_view subject) {
  std::string text = collapse_white_space(subject);
  std::string_view s = text;
  bool reply = false;
  for (;;) {
    remove_trailers(s, reply);  // step (2)
    remove_leaders(s, reply);   // steps (3)-(5)
    // Step (6): "If the resulting text begins with the subj-fwd-hdr ABNF
    // and ends with the subj-fwd-trl ABNF, remove the subj-fwd-hdr and
    // subj-fwd-trl and repeat from step (2)."
    if (s.size() >= 6 && starts_with_nocase(s, "[fwd:") && s.back() == ']') {
      s.remove_prefix(5);
      s.remove_suffix(1);
      reply = true;
      continue;
    }
    break;  // step (7): the result is the base subject
  }
  return {std::string(s), reply};
}

base_subject extract_base_subject(std::string_view raw_subject) {
  // Step (1): "Convert any RFC 2047 encoded-words in the subject to
  // [UTF-8]" (decode_header_value also unfolds).
  return extract_base_subject_utf8(mime::decode_header_value(raw_subject));
}

}  // namespace lemonade::sort
