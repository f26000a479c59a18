#include "imap/response/writer.hpp"

#include <charconv>
#include <stdexcept>

#include "core/strings.hpp"
#include "imap/syntax/lexer.hpp"
#include "imap/syntax/mutf7.hpp"

namespace lemonade::imap::response {
namespace {

// RFC 3501 §9: quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR is any
// TEXT-CHAR (7-bit, no CR/LF) with '"' and '\' escaped. Long or 8-bit text
// goes as a literal (8-bit quoted strings only under UTF8=ACCEPT).
constexpr std::size_t max_quoted = 1024;

bool quotable(std::string_view s, bool utf8) {
  if (s.size() > max_quoted) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\0') return false;
    if (u >= 0x80 && !utf8) return false;
  }
  return true;
}

}  // namespace

void write_string(std::string& out, std::string_view s, bool utf8) {
  if (quotable(s, utf8)) {
    // Appended in runs between the characters that need a backslash, not
    // one character at a time (FETCH ENVELOPE writes many short strings).
    out += '"';
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '"' && s[i] != '\\') continue;
      out.append(s.data() + run, i - run);
      out += '\\';
      run = i;  // the escaped character starts the next run
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
    return;
  }
  out += '{';
  out += std::to_string(s.size());
  out += "}\r\n";
  out += s;
}

namespace {

bool atom_safe(const std::string& s) {
  if (s.empty() || core::iequals(s, "NIL")) return false;
  for (char c : s)
    if (!syntax::is_astring_char(c)) return false;
  return true;
}

void write_astring(std::string& out, const std::string& s, bool utf8) {
  if (atom_safe(s)) out += s;
  else write_string(out, s, utf8);
}

}  // namespace

const char* status_name(status s) {
  switch (s) {
    case status::ok: return "OK";
    case status::no: return "NO";
    case status::bad: return "BAD";
    case status::preauth: return "PREAUTH";
    case status::bye: return "BYE";
  }
  return "BAD";
}

void write_value(std::string& out, const value& v, const writer_options& o, std::vector<splice>* splices) {
  struct visitor {
    std::string& out;
    const writer_options& o;
    std::vector<splice>* splices;
    void operator()(const atom& a) { out += a.text; }
    void operator()(const number& n) { out += std::to_string(n.n); }
    void operator()(const nil&) { out += "NIL"; }
    void operator()(const string& s) { write_string(out, s.text, o.utf8); }
    void operator()(const astring& s) { write_astring(out, s.text, o.utf8); }
    void operator()(const mailbox& m) {
      write_astring(out, o.utf8 ? m.utf8 : syntax::mutf7_encode(m.utf8), o.utf8);
    }
    void operator()(const literal& l) {
      // docs/xencrypted.md: an encrypted literal is "~{X" n "}" (binary).
      if (l.literal8 || l.encrypted) out += '~';
      out += l.encrypted ? "{X" : "{";
      out += std::to_string(l.octets.size());
      out += "}\r\n";
      out += l.octets;
    }
    void operator()(const list& l) {
      out += '(';
      for (std::size_t i = 0; i < l.size(); ++i) {
        if (i) out += ' ';
        write_value(out, l[i], o, splices);
      }
      out += ')';
    }
    void operator()(const raw& r) { out += r.octets; }
    void operator()(const literal_ref& l) {
      if (!splices) throw std::logic_error("literal_ref written without splices");
      if (l.literal8 || l.encrypted) out += '~';
      out += l.encrypted ? "{X" : "{";
      out += std::to_string(l.length);
      out += "}\r\n";
      splices->push_back({out.size(), l.id});
    }
  };
  std::visit(visitor{out, o, splices}, v.v);
}

void write(std::string& out, const untagged& r, const writer_options& o, std::vector<splice>* splices) {
  out += "*";
  for (auto& item : r.items) {
    out += ' ';
    write_value(out, item, o, splices);
  }
  out += "\r\n";
}

void write(std::string& out, const status_line& r, const writer_options& o) {
  out += r.tag;
  out += ' ';
  out += status_name(r.st);
  if (r.resp_code) {
    out += " [";
    out += r.resp_code->name;
    for (auto& a : r.resp_code->args) {
      out += ' ';
      write_value(out, a, o);
    }
    out += ']';
  }
  // RFC 3501 §9: resp-text = ["[" resp-text-code "]" SP] text; text is
  // 1*TEXT-CHAR, so never empty and never a line break.
  out += ' ';
  std::string text = r.text.empty() ? std::string(status_name(r.st)) : r.text;
  for (char c : text) out += (c == '\r' || c == '\n') ? ' ' : c;
  out += "\r\n";
}

emitter& emitter::separate() {
  if (spaced_) out_ += ' ';
  spaced_ = true;
  return *this;
}

emitter& emitter::open() {
  separate();
  out_ += '(';
  spaced_ = false;
  return *this;
}

emitter& emitter::close() {
  out_ += ')';
  spaced_ = true;
  return *this;
}

emitter& emitter::atom(std::string_view a) {
  separate();
  out_ += a;
  return *this;
}

emitter& emitter::number(std::uint64_t n) {
  separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out_.append(buf, end);
  return *this;
}

emitter& emitter::nil() { return atom("NIL"); }

emitter& emitter::raw(std::string_view octets) { return atom(octets); }

emitter& emitter::string(std::string_view s) {
  separate();
  write_string(out_, s, o_.utf8);
  return *this;
}

emitter& emitter::nstring(const std::optional<std::string>& s) { return s ? string(*s) : nil(); }

emitter& emitter::upper_string(std::string_view s) {
  separate();
  std::size_t at = out_.size();
  write_string(out_, s, o_.utf8);
  // Only the text changes case: quotes and a literal's "{n}" prefix do not
  // (their characters have no case), nor does the length.
  for (std::size_t i = at; i < out_.size(); ++i)
    if (out_[i] >= 'a' && out_[i] <= 'z') out_[i] = static_cast<char>(out_[i] - 'a' + 'A');
  return *this;
}

void write(std::string& out, const continuation& r) {
  out += "+ ";
  out += r.text;
  out += "\r\n";
}

}  // namespace lemonade::imap::response
