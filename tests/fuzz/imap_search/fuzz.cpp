// Fuzz target: SEARCH arguments -> parse_search. Whatever parses is
// written back as search-key text (every string as a literal), parsed
// again, and must give the same tree: the parser neither loses nor invents
// structure. Both SEARCH and UID SEARCH are run.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/dates.hpp"
#include "imap/parse/parse.hpp"

namespace {

using namespace lemonade::imap;
using parse::search_key;
using k = search_key::kind;

void put_literal(std::string& out, const std::string& s) {
  out += "{" + std::to_string(s.size()) + "}\r\n" + s;
}

void put_set(std::string& out, const syntax::sequence_set& set) {
  if (set.saved) {
    out += '$';
    return;
  }
  bool first = true;
  for (auto& r : set.ranges) {
    if (!first) out += ',';
    first = false;
    auto num = [&](std::uint32_t n) { out += n == 0 ? std::string("*") : std::to_string(n); };
    num(r.first);
    if (r.first != r.last) {
      out += ':';
      num(r.last);
    }
  }
}

void put_date(std::string& out, std::int64_t day) {
  // Inverse of days_from_civil by search: fuzz inputs stay within years 1-9999.
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::int64_t y = 1970 + day / 366;
  while (lemonade::core::days_from_civil(y, 1, 1) > day) --y;
  while (lemonade::core::days_from_civil(y + 1, 1, 1) <= day) ++y;
  unsigned m = 1;
  while (m < 12 && lemonade::core::days_from_civil(y, m + 1, 1) <= day) ++m;
  auto d = day - lemonade::core::days_from_civil(y, m, 1) + 1;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d-%s-%04d", static_cast<int>(d), months[m - 1], static_cast<int>(y));
  out += buf;
}

void put_key(std::string& out, const search_key& key) {
  static const std::pair<k, const char*> names[] = {
      {k::all, "ALL"}, {k::answered, "ANSWERED"}, {k::deleted, "DELETED"}, {k::draft, "DRAFT"},
      {k::flagged, "FLAGGED"}, {k::new_, "NEW"}, {k::old, "OLD"}, {k::recent, "RECENT"}, {k::seen, "SEEN"},
      {k::unanswered, "UNANSWERED"}, {k::undeleted, "UNDELETED"}, {k::undraft, "UNDRAFT"},
      {k::unflagged, "UNFLAGGED"}, {k::unseen, "UNSEEN"}, {k::keyword, "KEYWORD"}, {k::unkeyword, "UNKEYWORD"},
      {k::before, "BEFORE"}, {k::on, "ON"}, {k::since, "SINCE"}, {k::sentbefore, "SENTBEFORE"},
      {k::senton, "SENTON"}, {k::sentsince, "SENTSINCE"}, {k::larger, "LARGER"}, {k::smaller, "SMALLER"},
      {k::bcc, "BCC"}, {k::body, "BODY"}, {k::cc, "CC"}, {k::from, "FROM"}, {k::subject, "SUBJECT"},
      {k::text, "TEXT"}, {k::to, "TO"}, {k::header, "HEADER"}, {k::uid, "UID"},
      {k::modseq, "MODSEQ"}, {k::older, "OLDER"}, {k::younger, "YOUNGER"},
  };
  switch (key.what) {
    case k::all_of:
      out += '(';
      for (std::size_t i = 0; i < key.children.size(); ++i) {
        if (i) out += ' ';
        put_key(out, key.children[i]);
      }
      out += ')';
      return;
    case k::not_:
      out += "NOT ";
      put_key(out, key.children.at(0));
      return;
    case k::or_:
      out += "OR ";
      put_key(out, key.children.at(0));
      out += ' ';
      put_key(out, key.children.at(1));
      return;
    case k::sequence: put_set(out, key.set); return;
    default: break;
  }
  for (auto& [what, name] : names)
    if (what == key.what) out += name;
  switch (key.what) {
    case k::uid: out += ' '; put_set(out, key.set); break;
    case k::keyword: case k::unkeyword: out += ' ' + key.text; break;
    case k::before: case k::on: case k::since: case k::sentbefore: case k::senton: case k::sentsince:
      out += ' ';
      put_date(out, key.day);
      break;
    case k::larger: case k::smaller: case k::modseq: case k::older: case k::younger: out += ' ' + std::to_string(key.number); break;
    case k::header: out += ' '; put_literal(out, key.field); out += ' '; put_literal(out, key.text); break;
    case k::bcc: case k::body: case k::cc: case k::from: case k::subject: case k::text: case k::to:
      out += ' ';
      put_literal(out, key.text);
      break;
    default: break;
  }
}

bool same(const search_key& a, const search_key& b) {
  if (a.what != b.what || a.text != b.text || a.field != b.field || a.day != b.day || a.number != b.number ||
      a.children.size() != b.children.size() || a.set.ranges.size() != b.set.ranges.size() ||
      a.set.saved != b.set.saved)
    return false;
  for (std::size_t i = 0; i < a.set.ranges.size(); ++i)
    if (a.set.ranges[i].first != b.set.ranges[i].first || a.set.ranges[i].last != b.set.ranges[i].last) return false;
  for (std::size_t i = 0; i < a.children.size(); ++i)
    if (!same(a.children[i], b.children[i])) return false;
  return true;
}

// A nested all_of of one child prints as "(x)", which parses back as an
// all_of of one child: the shapes match. The top level prints its
// children separated by spaces.
std::string top_level(const parse::search_cmd& c) {
  std::string out = "a SEARCH ";
  if (c.charset) {
    out += "CHARSET ";
    put_literal(out, *c.charset);
    out += ' ';
  }
  for (std::size_t i = 0; i < c.key.children.size(); ++i) {
    if (i) out += ' ';
    put_key(out, c.key.children[i]);
  }
  return out + "\r\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input = "a SEARCH " + std::string(reinterpret_cast<const char*>(data), size) + "\r\n";
  for (auto fn : {parse::parse_search, parse::parse_uid_search}) {
    syntax::lexer in(input, 16);
    auto head = parse::parse_head(in);
    if (!in.ok()) return 0;
    parse::parse_options opts;
    auto args = fn(in, opts);
    if (!in.ok()) continue;
    auto& cmd = std::get<parse::search_cmd>(args);
    if (cmd.key.what != k::all_of || cmd.key.children.empty()) std::abort();
    auto again_text = top_level(cmd);
    syntax::lexer again(again_text, 16);
    parse::parse_head(again);
    auto args2 = fn(again, opts);
    if (!again.ok()) std::abort();  // what we wrote must parse
    if (!same(std::get<parse::search_cmd>(args2).key, cmd.key)) std::abort();
  }
  return 0;
}
