#include "proxy/condstore.hpp"

#include <charconv>
#include <stdexcept>

#include "core/strings.hpp"
#include "imap/client/response.hpp"

namespace lemonade::proxy::condstore {

namespace {

// Deeper lists than this are refused (the framer has no depth limit of
// its own; the server's parser stops at imap.max_nesting_depth).
constexpr int max_depth = 64;

// A FETCH item that a "[section]" follows (RFC 3501 §6.4.5, RFC 3516): in
// other atoms (a mailbox "foo[bar") '[' is a character like any other.
bool section_item(std::string_view name) {
  for (auto n : {"BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"})
    if (core::iequals(name, n)) return true;
  return false;
}

std::size_t end_at(std::string_view s, std::size_t i, int depth) {
  if (depth > max_depth) throw std::invalid_argument("Lists nested too deeply");
  if (i >= s.size()) return i;
  char c = s[i];
  if (c == '"') {
    for (++i; i < s.size() && s[i] != '"'; ++i)
      if (s[i] == '\\') ++i;
    if (i >= s.size()) throw std::invalid_argument("Unterminated quoted string");
    return i + 1;
  }
  if (c == '{' || (c == '~' && i + 1 < s.size() && s[i + 1] == '{')) {
    auto nl = s.find("\r\n", i);
    if (nl == std::string_view::npos) throw std::invalid_argument("Malformed literal");
    auto n = imap::client::literal_size_at_end(s.substr(i, nl - i));
    if (!n || nl + 2 + *n > s.size()) throw std::invalid_argument("Malformed literal");
    return nl + 2 + *n;
  }
  if (c == '(') {
    ++i;
    while (i < s.size() && s[i] != ')') {
      if (s[i] == ' ') {
        ++i;
        continue;
      }
      auto e = end_at(s, i, depth + 1);
      if (e == i) throw std::invalid_argument("Malformed list");
      i = e;
    }
    if (i >= s.size()) throw std::invalid_argument("List not closed");
    return i + 1;
  }
  // An atom; a FETCH item's "[...]" section may hold spaces, lists and
  // quoted strings (RFC 3501 §6.4.5: BODY[HEADER.FIELDS (From "To")]).
  int brackets = 0;
  auto start = i;
  while (i < s.size()) {
    c = s[i];
    if (c == '[' && (brackets > 0 || section_item(s.substr(start, i - start)))) {
      ++brackets;
    } else if (c == ']' && brackets > 0) {
      --brackets;
    } else if (c == '"' && brackets > 0) {
      i = end_at(s, i, depth + 1);
      continue;
    } else if (brackets == 0 && (c == ' ' || c == '(' || c == ')')) {
      break;
    }
    ++i;
  }
  return i;
}

std::uint64_t mod_sequence(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  // RFC 7162 §7: mod-sequence-value = 1*DIGIT, at most 2^63-1.
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > 0x7fffffffffffffffULL)
    throw std::invalid_argument("Invalid mod-sequence value");
  return v;
}

std::optional<std::uint32_t> nz_number(std::string_view s) {
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v == 0) return std::nullopt;
  return v;
}

// How many arguments a SEARCH key takes (RFC 3501 §6.4.4, RFC 5032).
int key_arguments(std::string_view key) {
  for (auto k : {"BCC", "BEFORE", "BODY", "CC", "FROM", "KEYWORD", "LARGER", "ON", "SENTBEFORE", "SENTON",
                 "SENTSINCE", "SINCE", "SMALLER", "SUBJECT", "TEXT", "TO", "UID", "UNKEYWORD", "CHARSET", "OLDER",
                 "YOUNGER"})
    if (core::iequals(key, k)) return 1;
  return core::iequals(key, "HEADER") ? 2 : 0;
}

std::string_view strip_crlf(std::string_view s) {
  if (s.ends_with("\r\n")) s.remove_suffix(2);
  return s;
}

std::string_view inner(std::string_view list) { return list.substr(1, list.size() - 2); }

}  // namespace

std::size_t token_end(std::string_view s, std::size_t at) { return end_at(s, at, 0); }

std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    auto e = token_end(s, i);
    if (e == i) throw std::invalid_argument("Unexpected " + std::string(1, s[i]));
    out.push_back(s.substr(i, e - i));
    i = e;
  }
  return out;
}

std::string mailbox_name(std::string_view token) {
  std::string out;
  if (token.starts_with("\"")) {
    for (std::size_t i = 1; i + 1 < token.size(); ++i) {
      if (token[i] == '\\') ++i;
      out += token[i];
    }
  } else if (token.starts_with("{") || token.starts_with("~{")) {
    out = std::string(token.substr(token.find("\r\n") + 2));
  } else {
    out = std::string(token);
  }
  if (core::iequals(out, "INBOX")) out = "INBOX";
  return out;
}

select_args parse_select(std::string_view args) {
  auto t = tokens(strip_crlf(args));
  if (t.empty() || t[0].starts_with("(")) throw std::invalid_argument("Missing mailbox name");
  select_args out;
  out.mailbox = t[0];
  if (t.size() > 2 || (t.size() == 2 && !t[1].starts_with("(")))
    throw std::invalid_argument("Unexpected arguments after the mailbox name");
  if (t.size() == 2) {
    auto params = tokens(inner(t[1]));
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (core::iequals(params[i], "CONDSTORE")) {
        out.condstore = true;  // RFC 7162 §3.1.8
        continue;
      }
      if (!core::iequals(params[i], "QRESYNC") || i + 1 >= params.size() || !params[i + 1].starts_with("(") ||
          out.qresync)
        throw std::invalid_argument("Unknown SELECT parameter");
      auto q = tokens(inner(params[++i]));
      qresync_param r;
      // RFC 7162 §7: known-uids is a sequence-set without "*".
      if (q.size() > 2 && q[2].find('*') != std::string_view::npos)
        throw std::invalid_argument("known-uids may not contain *");
      auto uv = q.size() >= 2 && q.size() <= 4 ? nz_number(q[0]) : std::nullopt;
      if (!uv) throw std::invalid_argument("QRESYNC takes (uidvalidity modseq [known-uids] [seq-match-data])");
      r.uidvalidity = *uv;
      r.modseq = mod_sequence(q[1]);
      std::size_t next = 2;
      if (next < q.size() && !q[next].starts_with("(")) r.known_uids = q[next++];
      if (next < q.size()) {
        // seq-match-data = "(" known-sequence-set SP known-uid-set ")"
        if (!q[next].starts_with("(") || tokens(inner(q[next])).size() != 2 || next + 1 != q.size())
          throw std::invalid_argument("Malformed QRESYNC seq-match-data");
      }
      out.qresync = r;
    }
  }
  return out;
}

fetch_args parse_fetch(std::string_view args) {
  auto t = tokens(strip_crlf(args));
  if (t.size() < 2 || t.size() > 3) throw std::invalid_argument("FETCH takes a set, items and modifiers");
  fetch_args out;
  out.set = t[0];
  auto items = t[1].starts_with("(") ? tokens(inner(t[1])) : std::vector<std::string_view>{t[1]};
  for (auto i : items) {
    // RFC 7162 §3.1.4.2: the MODSEQ message data item.
    if (core::iequals(i, "MODSEQ")) out.modseq = true;
    else out.items.push_back(i);
  }
  if (t.size() == 3) {
    if (!t[2].starts_with("(")) throw std::invalid_argument("FETCH modifiers are a list");
    auto m = tokens(inner(t[2]));
    for (std::size_t i = 0; i < m.size(); ++i) {
      // RFC 7162 §3.1.4.1: "CHANGEDSINCE" SP mod-sequence-value.
      if (core::iequals(m[i], "CHANGEDSINCE") && i + 1 < m.size()) {
        out.changedsince = mod_sequence(m[++i]);
        if (*out.changedsince == 0) throw std::invalid_argument("CHANGEDSINCE takes a nonzero mod-sequence");
      } else if (core::iequals(m[i], "VANISHED")) {
        out.vanished = true;  // RFC 7162 §3.2.6
      } else {
        throw std::invalid_argument("Unknown FETCH modifier");
      }
    }
  }
  return out;
}

bool store_args::silent() const { return item.size() > 7 && core::iequals(item.substr(item.size() - 7), ".SILENT"); }
std::string store_args::item_loud() const {
  return std::string(silent() ? item.substr(0, item.size() - 7) : item);
}

store_args parse_store(std::string_view args) {
  args = strip_crlf(args);
  store_args out;
  std::size_t i = 0;
  auto next = [&] {
    while (i < args.size() && args[i] == ' ') ++i;
    auto e = token_end(args, i);
    auto tok = args.substr(i, e - i);
    i = e;
    return tok;
  };
  out.set = next();
  auto tok = next();
  if (tok.starts_with("(")) {
    // RFC 7162 §3.1.3: store-modifier = "UNCHANGEDSINCE" SP mod-sequence-valzer.
    auto m = tokens(inner(tok));
    if (m.size() != 2 || !core::iequals(m[0], "UNCHANGEDSINCE")) throw std::invalid_argument("Unknown STORE modifier");
    out.unchangedsince = mod_sequence(m[1]);
    tok = next();
  }
  out.item = tok;
  while (i < args.size() && args[i] == ' ') ++i;
  out.value = args.substr(i);
  if (out.set.empty() || out.item.empty() || out.value.empty()) throw std::invalid_argument("Missing STORE arguments");
  return out;
}

std::vector<modseq_criterion> find_modseq_criteria(std::string_view args) {
  args = strip_crlf(args);
  std::vector<modseq_criterion> out;
  // Walks every token, into lists; a MODSEQ atom and what follows it.
  auto walk = [&](auto& self, std::size_t from, std::size_t to) -> void {
    std::size_t i = from;
    auto skip = [&] {
      while (i < to && args[i] == ' ') ++i;
    };
    skip();
    while (i < to) {
      auto e = token_end(args, i);
      if (e == i) throw std::invalid_argument("Unexpected " + std::string(1, args[i]));
      auto tok = args.substr(i, e - i);
      if (auto n = key_arguments(tok); n > 0) {
        // RFC 3501 §6.4.4: the key's arguments ("SUBJECT MODSEQ" is a
        // subject), skipped.
        for (int k = 0; k < n; ++k) {
          i = e;
          skip();
          e = token_end(args, i);
        }
      } else if (tok.starts_with("(")) {
        self(self, i + 1, e - 1);
      } else if (core::iequals(tok, "MODSEQ")) {
        modseq_criterion c;
        c.at = i;
        i = e;
        skip();
        auto v = token_end(args, i);
        auto val = args.substr(i, v - i);
        if (val.starts_with("\"")) {
          // entry-name SP entry-type-req ("priv", "shared" or "all"): the
          // proxy keeps one MODSEQ per message, for every entry.
          i = v;
          skip();
          auto t = token_end(args, i);
          auto type = args.substr(i, t - i);
          if (!core::iequals(type, "priv") && !core::iequals(type, "shared") && !core::iequals(type, "all"))
            throw std::invalid_argument("Invalid MODSEQ entry type");
          i = t;
          skip();
          v = token_end(args, i);
          val = args.substr(i, v - i);
        }
        c.value = mod_sequence(val);
        c.size = v - c.at;
        out.push_back(c);
        e = v;
      }
      i = e;
      skip();
    }
  };
  walk(walk, 0, args.size());
  return out;
}

status_args parse_status(std::string_view args) {
  auto t = tokens(strip_crlf(args));
  if (t.size() != 2 || !t[1].starts_with("(")) throw std::invalid_argument("STATUS takes a mailbox and a list");
  status_args out;
  out.mailbox = t[0];
  for (auto i : tokens(inner(t[1]))) {
    auto u = core::to_upper(i);
    // RFC 7162 §3.1.7: the HIGHESTMODSEQ status data item.
    if (u == "HIGHESTMODSEQ") out.highestmodseq = true;
    else out.items.push_back(std::move(u));
  }
  return out;
}

std::string add_to_fetch(std::string_view response, std::optional<std::uint32_t> uid, std::uint64_t modseq) {
  auto open = response.find('(');
  if (open == std::string_view::npos) return std::string(response);
  std::string out(response.substr(0, open + 1));
  if (uid) out += "UID " + std::to_string(*uid) + " ";
  out += "MODSEQ (" + std::to_string(modseq) + ")";
  auto rest = response.substr(open + 1);
  if (!rest.starts_with(")")) out += ' ';
  out += rest;
  return out;
}

}  // namespace lemonade::proxy::condstore
