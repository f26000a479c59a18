// Storage form of message_structure: a version octet, then LEB128
// varints and length-prefixed strings in field order. The reader checks
// every length and index against what it has, so a corrupt row is
// reported (nullopt) instead of trusted.
#include <cstdint>
#include <string>

#include "mime/parser.hpp"

namespace lemonade::mime {
namespace {

// Bump when the encoding or the parser's output changes: rows of another
// version are parsed again from the message.
constexpr std::uint8_t format_version = 1;
// Sanity bounds for decoding: nothing the parser writes comes near them.
constexpr std::uint64_t max_items = 1u << 24;

class writer {
 public:
  void u(std::uint64_t v) {
    while (v >= 0x80) {
      out += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out += static_cast<char>(v);
  }
  void str(const std::string& s) {
    u(s.size());
    out += s;
  }
  void opt(const std::optional<std::string>& s) {
    if (!s) {
      u(0);
      return;
    }
    u(s->size() + 1);
    out += *s;
  }
  void params(const std::vector<parameter>& ps) {
    u(ps.size());
    for (auto& p : ps) {
      str(p.name);
      str(p.value);
      u(p.extended ? 1 : 0);
    }
  }
  void addresses(const std::vector<address>& as) {
    u(as.size());
    for (auto& a : as) {
      opt(a.name);
      opt(a.adl);
      opt(a.mailbox);
      opt(a.host);
    }
  }
  std::string out;
};

class reader {
 public:
  explicit reader(std::string_view d) : d_(d) {}
  bool ok = true;

  std::uint64_t u() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= d_.size()) return fail();
      auto b = static_cast<unsigned char>(d_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail();
  }
  // A count of items that each take at least min_size encoded octets: a
  // count beyond what is left is corrupt, and is refused before anything
  // is allocated for it.
  std::uint64_t count(std::size_t min_size) {
    auto n = u();
    if (n > max_items || n > (d_.size() - pos_) / min_size) return fail();
    return n;
  }
  std::string bytes(std::uint64_t n) {
    if (!ok || n > d_.size() - pos_) {
      fail();
      return {};
    }
    std::string s(d_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::string str() { return bytes(u()); }
  std::optional<std::string> opt() {
    auto n = u();
    if (n == 0 || !ok) return std::nullopt;
    return bytes(n - 1);
  }
  std::vector<parameter> params() {
    std::vector<parameter> ps(count(3));
    for (auto& p : ps) {
      p.name = str();
      p.value = str();
      p.extended = u() != 0;
    }
    return ps;
  }
  std::vector<address> addresses() {
    std::vector<address> as(count(4));
    for (auto& a : as) {
      a.name = opt();
      a.adl = opt();
      a.mailbox = opt();
      a.host = opt();
    }
    return as;
  }
  bool at_end() const { return pos_ == d_.size(); }

 private:
  std::uint64_t fail() {
    ok = false;
    pos_ = d_.size();
    return 0;
  }
  std::string_view d_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string encode_structure(const message_structure& s) {
  writer w;
  w.out += static_cast<char>(format_version);
  w.u(s.size);
  w.u(s.limited ? 1 : 0);
  w.u(s.parts.size());
  for (auto& p : s.parts) {
    w.u(p.header.offset);
    w.u(p.header.length);
    w.u(p.body.length);  // the body starts where the header ends
    w.u(p.lines);
    w.u(static_cast<std::uint64_t>(p.kind) | (p.opaque ? 4 : 0));
    w.str(p.type);
    w.str(p.subtype);
    w.params(p.params);
    w.opt(p.id);
    w.opt(p.description);
    w.str(p.encoding);
    w.opt(p.disposition);
    w.params(p.disposition_params);
    w.u(p.languages.size());
    for (auto& l : p.languages) w.str(l);
    w.opt(p.location);
    w.u(p.parent == no_index ? 0 : std::uint64_t{p.parent} + 1);
    w.u(p.envelope == no_index ? 0 : std::uint64_t{p.envelope} + 1);
  }
  w.u(s.envelopes.size());
  for (auto& e : s.envelopes) {
    w.opt(e.date);
    w.opt(e.subject);
    w.addresses(e.from);
    w.addresses(e.sender);
    w.addresses(e.reply_to);
    w.addresses(e.to);
    w.addresses(e.cc);
    w.addresses(e.bcc);
    w.opt(e.in_reply_to);
    w.opt(e.message_id);
  }
  return std::move(w.out);
}

std::optional<message_structure> decode_structure(std::string_view data) {
  if (data.empty() || static_cast<std::uint8_t>(data[0]) != format_version) return std::nullopt;
  reader r(data.substr(1));
  message_structure s;
  s.size = r.u();
  s.limited = r.u() != 0;
  s.parts.resize(r.count(17));
  std::uint32_t index = 0;
  for (auto& p : s.parts) {
    p.header.offset = r.u();
    p.header.length = r.u();
    p.body.offset = p.header.end();
    p.body.length = r.u();
    p.lines = r.u();
    auto kind = r.u();
    if ((kind & 3) > 2) return std::nullopt;
    p.kind = static_cast<part_kind>(kind & 3);
    p.opaque = (kind & 4) != 0;
    p.type = r.str();
    p.subtype = r.str();
    p.params = r.params();
    p.id = r.opt();
    p.description = r.opt();
    p.encoding = r.str();
    p.disposition = r.opt();
    p.disposition_params = r.params();
    p.languages.resize(r.count(1));
    for (auto& l : p.languages) l = r.str();
    p.location = r.opt();
    auto parent = r.u();
    auto env = r.u();
    if (!r.ok) return std::nullopt;
    // Parts are in pre-order: a parent comes before its children. Ranges
    // must lie inside the message.
    if (p.header.offset > s.size || p.header.length > s.size - p.header.offset ||
        p.body.length > s.size - p.body.offset)
      return std::nullopt;
    if ((parent == 0) != (index == 0) || parent > index) return std::nullopt;
    p.parent = parent == 0 ? no_index : static_cast<std::uint32_t>(parent - 1);
    if (p.parent != no_index) s.parts[p.parent].children.push_back(index);
    p.envelope = env == 0 ? no_index : static_cast<std::uint32_t>(std::min<std::uint64_t>(env - 1, no_index));
    ++index;
  }
  if (s.parts.empty()) return std::nullopt;
  s.envelopes.resize(r.count(10));
  for (auto& e : s.envelopes) {
    e.date = r.opt();
    e.subject = r.opt();
    e.from = r.addresses();
    e.sender = r.addresses();
    e.reply_to = r.addresses();
    e.to = r.addresses();
    e.cc = r.addresses();
    e.bcc = r.addresses();
    e.in_reply_to = r.opt();
    e.message_id = r.opt();
  }
  if (!r.ok || !r.at_end()) return std::nullopt;
  for (auto& p : s.parts) {
    if (p.envelope != no_index && p.envelope >= s.envelopes.size()) return std::nullopt;
    // A composite's children must agree with its kind.
    if (p.kind == part_kind::message && p.children.size() != 1) return std::nullopt;
    if (p.kind == part_kind::multipart && p.children.empty()) return std::nullopt;
    if (p.kind == part_kind::leaf && !p.children.empty()) return std::nullopt;
  }
  if (s.parts[0].envelope == no_index) return std::nullopt;
  for (auto& p : s.parts)
    if (p.kind == part_kind::message && s.parts[p.children[0]].envelope == no_index) return std::nullopt;
  return s;
}

}  // namespace lemonade::mime
