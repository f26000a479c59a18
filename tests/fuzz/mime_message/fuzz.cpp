// Fuzz target: raw message -> parse_message (small limits and the
// defaults) -> invariants of message_structure (structure.hpp), the storage
// round trip, section lookups and the SEARCH text. The raw input is also
// fed to decode_structure (corrupt rows must be rejected or come back
// self-consistent) and to the header-value decoders; the parsed message to
// the relay's 7-bit / 8-bit conversion and to the PREVIEW maker (gumbo for
// HTML). Any broken invariant aborts with a line saying which.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mime/binary.hpp"
#include "mime/charset.hpp"
#include "mime/decode.hpp"
#include "mime/header.hpp"
#include "mime/parser.hpp"
#include "mime/preview.hpp"
#include "mime/text.hpp"

namespace {

using namespace lemonade::mime;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

bool valid_utf8(std::string_view s) { return repair_utf8(s) == s; }

bool lower_case(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::uint64_t count_lines(std::string_view body) {
  if (body.empty()) return 0;
  auto n = static_cast<std::uint64_t>(std::count(body.begin(), body.end(), '\n'));
  return body.back() == '\n' ? n : n + 1;
}

// Pre-order walk from the root: must visit 0, 1, 2, ... in order. Returns
// the next index expected, and records each part's nesting depth.
std::uint32_t walk(const message_structure& s, std::uint32_t i, std::uint32_t next, unsigned depth,
                   std::vector<unsigned>& depths) {
  CHECK(i == next);
  depths[i] = depth;
  ++next;
  for (auto c : s.parts[i].children) {
    CHECK(c < s.parts.size());
    next = walk(s, c, next, depth + 1, depths);
  }
  return next;
}

void check_structure(std::string_view m, const message_structure& s, const parse_limits& limits) {
  CHECK(s.size == m.size());
  CHECK(!s.parts.empty());
  CHECK(!s.envelopes.empty());
  const auto n = s.parts.size();
  unsigned max_depth = std::min(limits.max_depth, 256u);
  unsigned max_parts = std::max(limits.max_parts, 1u);
  CHECK(n <= std::uint64_t{max_parts} + max_depth + 1);

  std::vector<unsigned> depths(n, 0);
  CHECK(walk(s, 0, 0, 0, depths) == n);  // parts in pre-order, every part reached once

  std::vector<bool> envelope_used(s.envelopes.size(), false);
  for (std::uint32_t i = 0; i < n; ++i) {
    auto& p = s.parts[i];
    // Ranges inside the message; the body starts where the header ends.
    CHECK(p.header.offset <= s.size && p.header.length <= s.size - p.header.offset);
    CHECK(p.body.offset == p.header.end());
    CHECK(p.body.length <= s.size - p.body.offset);
    CHECK(depths[i] <= max_depth);
    CHECK(!p.type.empty() && !p.subtype.empty());
    CHECK(lower_case(p.type) && lower_case(p.subtype) && lower_case(p.encoding));

    // Parent links agree with the children lists.
    if (i == 0) {
      CHECK(p.parent == no_index);
    } else {
      CHECK(p.parent < i);
      auto& siblings = s.parts[p.parent].children;
      CHECK(std::find(siblings.begin(), siblings.end(), i) != siblings.end());
    }

    // Children lie in the parent's body, in order, without overlapping.
    std::uint64_t prev_end = p.body.offset;
    for (auto c : p.children) {
      auto& ch = s.parts[c];
      CHECK(ch.parent == i);
      CHECK(ch.header.offset >= prev_end);
      CHECK(ch.body.end() <= p.body.end());
      prev_end = ch.body.end();
    }

    // The kind and the children agree (RFC 3501 §7.4.2: a multipart has
    // at least one part; message/rfc822 has exactly its message).
    switch (p.kind) {
      case part_kind::leaf:
        CHECK(p.children.empty());
        break;
      case part_kind::multipart:
        CHECK(!p.opaque);
        CHECK(p.type == "multipart");
        CHECK(!p.children.empty());
        break;
      case part_kind::message: {
        CHECK(!p.opaque);
        CHECK(p.type == "message" && p.subtype == "rfc822");
        CHECK(p.children.size() == 1);
        auto& enc = s.parts[p.children[0]];
        CHECK(enc.header.offset == p.body.offset && enc.body.end() == p.body.end());
        CHECK(enc.envelope != no_index);
        break;
      }
    }

    // Envelopes: the message and every encapsulated message, each its own.
    bool is_message = i == 0 || s.parts[p.parent].kind == part_kind::message;
    CHECK(is_message == (p.envelope != no_index));
    if (p.envelope != no_index) {
      CHECK(p.envelope < s.envelopes.size());
      CHECK(!envelope_used[p.envelope]);
      envelope_used[p.envelope] = true;
    }

    // body-fld-lines only for text and message/rfc822.
    auto body = m.substr(p.body.offset, p.body.length);
    bool counted = p.type == "text" || (p.type == "message" && p.subtype == "rfc822");
    CHECK(p.lines == (counted ? count_lines(body) : 0));
  }
  CHECK(std::all_of(envelope_used.begin(), envelope_used.end(), [](bool b) { return b; }));
  CHECK(s.parts[0].envelope == 0);
}

void check_round_trip(const message_structure& s) {
  auto enc = encode_structure(s);
  auto dec = decode_structure(enc);
  CHECK(dec.has_value());
  CHECK(*dec == s);
}

void check_sections(const message_structure& s, std::string_view input) {
  std::vector<std::vector<std::uint32_t>> paths = {{}, {1}, {2}, {1, 1}, {2, 1}, {1, 2}, {2, 2, 1}, {3, 1, 1, 1}, {0}};
  // One path from the input's last octets, so deeper sections get tried.
  std::vector<std::uint32_t> derived;
  for (std::size_t k = 0; k < 5 && k < input.size(); ++k)
    derived.push_back(static_cast<unsigned char>(input[input.size() - 1 - k]) % 5);
  paths.push_back(derived);
  for (auto& path : paths) {
    if (auto i = find_part(s, path)) CHECK(*i < s.parts.size());
    if (auto i = find_message(s, path)) {
      CHECK(*i < s.parts.size());
      CHECK(s.parts[*i].envelope != no_index);
    }
  }
}

void check_text(std::string_view m, const message_structure& s) {
  constexpr std::size_t max_body = 1024;
  auto t = extract_search_text(m, s, max_body);
  CHECK(t.body.size() <= max_body);
  CHECK(valid_utf8(t.body));
  CHECK(valid_utf8(t.headers));
  CHECK(t.headers.empty() || t.headers.back() == '\n');
  // HEADER.FIELDS and .NOT split the header's fields between them; both
  // keep the blank line.
  auto h = m.substr(s.root().header.offset, s.root().header.length);
  const std::string names[] = {"subject", "FROM", "content-type"};
  auto in = header_fields(h, names, false);
  auto out = header_fields(h, names, true);
  // The header's last line, when it is the blank line ending it.
  auto before_end = h.ends_with('\n') ? h.substr(0, h.size() - 1) : h;
  auto last_start = before_end.rfind('\n');
  auto last = h.substr(last_start == std::string_view::npos ? 0 : last_start + 1);
  std::size_t blank = !last.empty() && header_line_kind(last) == header_line::blank ? last.size() : 0;
  CHECK(in.size() + out.size() == h.size() + blank);
}

void check_decoders(std::string_view input) {
  auto v = input.substr(0, 512);
  CHECK(valid_utf8(decode_header_value(v)));
  (void)parse_address_list(v);
  (void)parse_date_day(v);
  (void)decode_quoted_printable(v);
  (void)decode_base64(v);
  CHECK(valid_utf8(fold_case(v)));
}

}  // namespace

// The relay's conversion (binary.hpp downgrade): whatever it returns can go
// by DATA to a hop of that kind, and parses again.
void check_downgrade(std::string_view m, const message_structure& s) {
  for (bool allow_8bit : {false, true}) {
    auto down = downgrade(m, s, allow_8bit);
    if (!down) continue;
    for (std::size_t i = 0; i < down->size(); ++i) {
      auto c = static_cast<unsigned char>((*down)[i]);
      CHECK(c != 0);
      CHECK(allow_8bit || c < 0x80);
      if (c == '\r') CHECK(i + 1 < down->size() && (*down)[i + 1] == '\n');
      if (c == '\n') CHECK(i > 0 && (*down)[i - 1] == '\r');
    }
    auto again = parse_message(*down);
    CHECK(again.size == down->size());
  }
}

// RFC 8970 §3.3: UTF-8, at most 200 characters here (256 is the RFC's
// ceiling), no control characters, no leading or trailing space.
void check_preview(std::string_view m, const message_structure& s) {
  auto p = make_preview(m, s);
  std::size_t chars = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    auto c = static_cast<unsigned char>(p[i]);
    CHECK(c >= 0x20 && c != 0x7f);
    if ((c & 0xc0) != 0x80) ++chars;
  }
  CHECK(chars <= 200);
  CHECK(p.empty() || (p.front() != ' ' && p.back() != ' '));
  // A cut never leaves half a character: the last one is complete.
  if (!p.empty()) {
    std::size_t lead = p.size() - 1;
    while (lead > 0 && (static_cast<unsigned char>(p[lead]) & 0xc0) == 0x80) --lead;
    auto c = static_cast<unsigned char>(p[lead]);
    std::size_t need = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    CHECK(p.size() - lead == need || c < 0xc0);
  }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  // A stored row is untrusted: rejected, or self-consistent.
  if (auto d = decode_structure(input)) {
    check_round_trip(*d);
    check_sections(*d, input);
  }

  parse_limits small;
  small.max_depth = 3;
  small.max_parts = 8;
  for (const parse_limits& limits : {small, parse_limits{}}) {
    auto s = parse_message(input, limits);
    check_structure(input, s, limits);
    check_round_trip(s);
    check_sections(s, input);
    check_text(input, s);
    check_downgrade(input, s);
    check_preview(input, s);
  }
  check_decoders(input);
  return 0;
}
