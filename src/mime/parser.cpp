#include "mime/parser.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/strings.hpp"
#include "mime/content_fields.hpp"
#include "mime/decode.hpp"
#include "mime/header.hpp"
#include "mime/lex.hpp"

namespace lemonade::mime {
namespace {

constexpr unsigned depth_ceiling = 256;
// RFC 2046 §5.1.1 allows boundaries of 1 to 70 characters; longer ones are
// accepted up to this, beyond it the multipart stays opaque (the search
// for delimiters costs the boundary length per candidate).
constexpr std::size_t max_boundary = 512;

std::uint64_t count_lines(std::string_view body) {
  if (body.empty()) return 0;
  auto n = static_cast<std::uint64_t>(std::count(body.begin(), body.end(), '\n'));
  return body.back() == '\n' ? n : n + 1;
}

std::string value_of(const header_field& f) { return std::string(lex::trim(lex::unfold(f.value))); }

class parser {
 public:
  parser(std::string_view m, const parse_limits& l) : m_(m), limits_(l) {
    limits_.max_depth = std::min(limits_.max_depth, depth_ceiling);
    if (limits_.max_parts == 0) limits_.max_parts = 1;
  }

  message_structure run() {
    s_.size = m_.size();
    entity(0, m_.size(), 0, true, false, no_index);
    return std::move(s_);
  }

 private:
  // Where the header starting at `start` ends (the body's first octet);
  // see header.hpp for what ends a header.
  std::uint64_t header_end(std::uint64_t start, std::uint64_t end) const {
    std::uint64_t pos = start;
    bool have_field = false;
    while (pos < end) {
      const void* nl = std::memchr(m_.data() + pos, '\n', end - pos);
      std::uint64_t next = nl ? static_cast<std::uint64_t>(static_cast<const char*>(nl) - m_.data()) + 1 : end;
      switch (header_line_kind(m_.substr(pos, next - pos))) {
        case header_line::blank: return next;  // RFC 5322 §2.1: the empty line belongs to the header
        case header_line::field: have_field = true; break;
        case header_line::continuation:
          if (!have_field) return pos;
          break;
        case header_line::other: return pos;
      }
      pos = next;
    }
    return end;
  }

  std::uint32_t add_part(std::uint32_t parent) {
    auto index = static_cast<std::uint32_t>(s_.parts.size());
    s_.parts.emplace_back();
    s_.parts.back().parent = parent;
    if (parent != no_index) s_.parts[parent].children.push_back(index);
    ++count_;
    return index;
  }

  // A part whose bytes are not parsed: no header, the whole range as body.
  void raw_leaf(std::uint64_t start, std::uint64_t end, std::uint32_t parent, bool opaque) {
    auto i = add_part(parent);
    auto& p = s_.parts[i];
    p.header = {start, 0};
    p.body = {start, end - start};
    p.opaque = opaque;
    if (opaque) {
      p.type = "application";
      p.subtype = "octet-stream";
    } else {
      p.lines = count_lines(m_.substr(start, end - start));
    }
  }

  static envelope read_envelope(const std::vector<header_field>& fields) {
    envelope e;
    bool seen_sender = false, seen_reply_to = false;
    bool seen_from = false, seen_to = false, seen_cc = false, seen_bcc = false;
    for (auto& f : fields) {
      auto is = [&](std::string_view n) { return core::iequals(f.name, n); };
      // The first occurrence of each field counts.
      if (is("date") && !e.date) e.date = value_of(f);
      else if (is("subject") && !e.subject) e.subject = value_of(f);
      else if (is("in-reply-to") && !e.in_reply_to) e.in_reply_to = value_of(f);
      else if (is("message-id") && !e.message_id) e.message_id = value_of(f);
      else if (is("from") && !std::exchange(seen_from, true)) e.from = parse_address_list(f.value);
      else if (is("sender") && !std::exchange(seen_sender, true)) e.sender = parse_address_list(f.value);
      else if (is("reply-to") && !std::exchange(seen_reply_to, true)) e.reply_to = parse_address_list(f.value);
      else if (is("to") && !std::exchange(seen_to, true)) e.to = parse_address_list(f.value);
      else if (is("cc") && !std::exchange(seen_cc, true)) e.cc = parse_address_list(f.value);
      else if (is("bcc") && !std::exchange(seen_bcc, true)) e.bcc = parse_address_list(f.value);
    }
    // RFC 3501 §7.4.2: absent or empty Sender and Reply-To take From's value.
    if (e.sender.empty()) e.sender = e.from;
    if (e.reply_to.empty()) e.reply_to = e.from;
    return e;
  }

  void read_content_fields(part& p, const std::vector<header_field>& fields, bool digest_default) {
    bool have_type = false, have_encoding = false, have_disposition = false, have_language = false;
    for (auto& f : fields) {
      auto is = [&](std::string_view n) { return core::iequals(f.name, n); };
      if (is("content-type") && !have_type) {
        have_type = true;
        if (auto ct = parse_content_type(f.value)) {
          p.type = std::move(ct->type);
          p.subtype = std::move(ct->subtype);
          p.params = std::move(ct->params);
        } else {
          have_type = false;  // invalid: the default applies (RFC 2045 §5.2)
        }
      } else if (is("content-transfer-encoding") && !have_encoding) {
        have_encoding = true;
        p.encoding = parse_token(f.value);
      } else if (is("content-id") && !p.id) {
        p.id = value_of(f);
      } else if (is("content-description") && !p.description) {
        p.description = value_of(f);
      } else if (is("content-disposition") && !have_disposition) {
        have_disposition = true;
        if (auto cd = parse_content_disposition(f.value)) {
          p.disposition = std::move(cd->type);
          p.disposition_params = std::move(cd->params);
        }
      } else if (is("content-language") && !have_language) {
        have_language = true;
        p.languages = parse_language_list(f.value);
      } else if (is("content-location") && !p.location) {
        // RFC 2557 §4.4.1: folding white space inside the URI is removed.
        std::string loc;
        for (char c : lex::unfold(f.value))
          if (!lex::is_space(c)) loc += c;
        p.location = std::move(loc);
      }
    }
    // RFC 2045 §5.2 default, or RFC 2046 §5.1.5 in a multipart/digest.
    if (!have_type && digest_default) {
      p.type = "message";
      p.subtype = "rfc822";
    }
  }

  void entity(std::uint64_t start, std::uint64_t end, unsigned depth, bool is_message, bool digest_default,
              std::uint32_t parent) {
    auto index = add_part(parent);
    auto hend = header_end(start, end);
    s_.parts[index].header = {start, hend - start};
    s_.parts[index].body = {hend, end - hend};
    auto fields = split_header(m_.substr(start, hend - start));
    if (is_message) {
      s_.parts[index].envelope = static_cast<std::uint32_t>(s_.envelopes.size());
      s_.envelopes.push_back(read_envelope(fields));
    }
    read_content_fields(s_.parts[index], fields, digest_default);
    auto& p = s_.parts[index];
    auto body = m_.substr(hend, end - hend);
    if (p.type == "text" || (p.type == "message" && p.subtype == "rfc822")) p.lines = count_lines(body);

    if (p.type == "multipart") {
      auto* b = find_parameter(p.params, "boundary");
      std::string boundary = b ? (b->extended ? parameter_value_utf8(*b) : b->value) : std::string();
      if (boundary.empty() || boundary.size() > max_boundary || depth + 1 > limits_.max_depth) {
        p.opaque = true;
        s_.limited = s_.limited || depth + 1 > limits_.max_depth;
        return;
      }
      p.kind = part_kind::multipart;
      split_multipart(index, hend, end, boundary, depth + 1, p.subtype == "digest");
    } else if (p.type == "message" && p.subtype == "rfc822") {
      // RFC 2046 §5.2.1: only 7bit, 8bit or binary; an encoded message is
      // described as what it is on the wire, an opaque body.
      bool encoded = p.encoding == "base64" || p.encoding == "quoted-printable";
      if (encoded || depth + 1 > limits_.max_depth || count_ >= limits_.max_parts) {
        p.opaque = true;
        s_.limited = s_.limited || !encoded;
        return;
      }
      p.kind = part_kind::message;
      entity(hend, end, depth + 1, true, false, index);
    }
  }

  // RFC 2046 §5.1.1: a delimiter is "--" boundary at the start of a line,
  // then optional white space (transport padding) to the line end; "--"
  // right after the boundary makes it the close delimiter. The line end
  // before a delimiter belongs to it, not to the part above.
  void split_multipart(std::uint32_t index, std::uint64_t start, std::uint64_t end, const std::string& boundary,
                       unsigned depth, bool digest) {
    std::string delim = "--" + boundary;
    auto body = m_.substr(0, end);
    struct found {
      std::uint64_t at;         // first octet of the line end before "--", or of "--" at the body start
      std::uint64_t next_line;  // first octet after the delimiter line
      bool close;
    };
    auto next_delimiter = [&](std::uint64_t from) -> std::optional<found> {
      for (auto pos = body.find(delim, from); pos != std::string_view::npos; pos = body.find(delim, pos + 1)) {
        if (pos != start && body[pos - 1] != '\n') continue;
        auto after = pos + delim.size();
        bool close = body.substr(after, 2) == "--";
        auto nl = body.find('\n', after);
        auto line_end = nl == std::string_view::npos ? end : nl;
        if (!close) {
          // Only transport padding may follow the boundary (else this is
          // another, longer boundary that starts with ours).
          auto rest = body.substr(after, line_end - after);
          if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
          if (std::any_of(rest.begin(), rest.end(), [](char c) { return !lex::is_wsp(c); })) continue;
        }
        std::uint64_t at = pos;
        if (pos != start) {
          at = pos - 1;
          if (at > start && body[at - 1] == '\r') --at;
        }
        return found{at, nl == std::string_view::npos ? end : nl + 1, close};
      }
      return std::nullopt;
    };

    auto first = next_delimiter(start);
    if (!first || first->close) {
      // No delimiter at all (or only the close delimiter): the body is
      // described as one text part so the multipart still has the one
      // part RFC 3501 §7.4.2 requires.
      raw_leaf(start, end, index, false);
      return;
    }
    auto cur = *first;
    while (!cur.close && cur.next_line <= end) {
      auto part_start = cur.next_line;
      auto next = next_delimiter(part_start);
      std::uint64_t part_end = next ? std::max(next->at, part_start) : end;
      if (count_ >= limits_.max_parts) {
        // Out of budget: what is left of this multipart is one opaque part.
        s_.limited = true;
        raw_leaf(part_start, end, index, true);
        return;
      }
      entity(part_start, part_end, depth, false, digest, index);
      if (!next) return;  // unclosed: the last part ran to the end
      cur = *next;
    }
  }

  std::string_view m_;
  parse_limits limits_;
  message_structure s_;
  unsigned count_ = 0;
};

}  // namespace

message_structure parse_message(std::string_view message, const parse_limits& limits) {
  return parser(message, limits).run();
}

namespace {

// One step of RFC 3501 §6.4.5 part numbering from a message entity.
std::optional<std::uint32_t> step_into_message(const message_structure& s, std::uint32_t msg, std::uint32_t n) {
  auto& m = s.parts[msg];
  if (m.kind == part_kind::multipart) {
    if (n == 0 || n > m.children.size()) return std::nullopt;
    return m.children[n - 1];
  }
  if (n == 1) return msg;  // a non-multipart message has one part: its body
  return std::nullopt;
}

}  // namespace

std::optional<std::uint32_t> find_part(const message_structure& s, const std::vector<std::uint32_t>& path) {
  if (s.parts.empty()) return std::nullopt;
  if (path.empty()) return 0;
  auto cur = step_into_message(s, 0, path[0]);
  for (std::size_t k = 1; cur && k < path.size(); ++k) {
    auto& p = s.parts[*cur];
    if (p.kind == part_kind::multipart) {
      auto n = path[k];
      if (n == 0 || n > p.children.size()) return std::nullopt;
      cur = p.children[n - 1];
    } else if (p.kind == part_kind::message && !p.children.empty()) {
      cur = step_into_message(s, p.children[0], path[k]);
    } else {
      return std::nullopt;
    }
  }
  return cur;
}

std::optional<std::uint32_t> find_message(const message_structure& s, const std::vector<std::uint32_t>& path) {
  if (s.parts.empty()) return std::nullopt;
  if (path.empty()) return 0;
  auto p = find_part(s, path);
  if (!p || s.parts[*p].kind != part_kind::message || s.parts[*p].children.empty()) return std::nullopt;
  return s.parts[*p].children[0];
}

}  // namespace lemonade::mime
