// RFC 3501 §6.4.4 SEARCH and §6.4.8 UID SEARCH: the whole search-key
// grammar of §9, with CHARSET.
#include <algorithm>

#include "core/dates.hpp"
#include "core/strings.hpp"
#include "imap/parse/parse.hpp"

namespace lemonade::imap::parse {
namespace {

// NOT and OR nest without parentheses; each level costs a stack frame, so
// their depth is limited like list nesting.
constexpr unsigned max_key_depth = 64;

using k = search_key::kind;

// RFC 3501 §9: date = date-text / DQUOTE date-text DQUOTE;
// date-text = date-day "-" date-month "-" date-year
std::int64_t search_date(lexer& in) {
  bool quoted = in.skip('"');
  auto text = in.keyword_until('"');  // atom characters: "1-Feb-1994"
  if (quoted) in.expect('"');
  if (!in.ok()) return 0;
  auto d1 = text.find('-');
  auto d2 = d1 == std::string::npos ? d1 : text.find('-', d1 + 1);
  if (d2 == std::string::npos) {
    in.fail("invalid date " + text.substr(0, 32));
    return 0;
  }
  auto day = core::parse_uint(std::string_view(text).substr(0, d1), 31);
  auto month = core::month_from_name(std::string_view(text).substr(d1 + 1, d2 - d1 - 1));
  auto year_text = std::string_view(text).substr(d2 + 1);
  std::optional<std::uint64_t> year;
  if (year_text.size() == 4) year = core::parse_uint(year_text, 9999);
  if (!day || d1 == 0 || d1 > 2 || !month || !year ||
      !core::valid_civil(static_cast<std::int64_t>(*year), month, static_cast<unsigned>(*day))) {
    in.fail("invalid date " + text.substr(0, 32));
    return 0;
  }
  return core::days_from_civil(static_cast<std::int64_t>(*year), month, static_cast<unsigned>(*day));
}

sequence_set set_of(lexer& in) {
  auto text = in.sequence_set_text();
  if (!in.ok()) return {};
  auto set = syntax::parse_sequence_set(text);
  if (!set) {
    in.fail("invalid sequence set " + text.substr(0, 32));
    return {};
  }
  return *set;
}

search_key one_key(lexer& in, unsigned depth);

// "(" search-key *(SP search-key) ")"
search_key key_list(lexer& in, unsigned depth) {
  search_key node;
  in.open_list();
  do node.children.push_back(one_key(in, depth + 1));
  while (in.ok() && in.skip(' '));
  in.close_list();
  return node;
}

search_key one_key(lexer& in, unsigned depth) {
  search_key key;
  if (!in.ok()) return key;
  if (depth > max_key_depth) {
    in.fail("search key nested too deeply", "LIMIT");
    return key;
  }
  if (in.peek('(')) return key_list(in, depth);
  // RFC 3501 §9: a sequence-set is a search key too ("2:4", "*", "$").
  if (in.peek_nz_digit() || in.peek('*') || in.peek('$')) {
    key.what = k::sequence;
    key.set = set_of(in);
    return key;
  }
  auto word = in.keyword();
  if (!in.ok()) return key;
  static constexpr std::pair<std::string_view, k> bare[] = {
      {"ALL", k::all},           {"ANSWERED", k::answered},     {"DELETED", k::deleted},
      {"DRAFT", k::draft},       {"FLAGGED", k::flagged},       {"NEW", k::new_},
      {"OLD", k::old},           {"RECENT", k::recent},         {"SEEN", k::seen},
      {"UNANSWERED", k::unanswered}, {"UNDELETED", k::undeleted}, {"UNDRAFT", k::undraft},
      {"UNFLAGGED", k::unflagged},   {"UNSEEN", k::unseen},
  };
  static constexpr std::pair<std::string_view, k> with_text[] = {
      {"BCC", k::bcc},   {"BODY", k::body}, {"CC", k::cc}, {"FROM", k::from},
      {"SUBJECT", k::subject}, {"TEXT", k::text}, {"TO", k::to},
  };
  static constexpr std::pair<std::string_view, k> with_date[] = {
      {"BEFORE", k::before},         {"ON", k::on},         {"SINCE", k::since},
      {"SENTBEFORE", k::sentbefore}, {"SENTON", k::senton}, {"SENTSINCE", k::sentsince},
  };
  for (auto& [name, what] : bare)
    if (word == name) {
      key.what = what;
      return key;
    }
  for (auto& [name, what] : with_text)
    if (word == name) {
      key.what = what;
      in.sp();
      key.text = in.astring();
      return key;
    }
  for (auto& [name, what] : with_date)
    if (word == name) {
      key.what = what;
      in.sp();
      key.day = search_date(in);
      return key;
    }
  if (word == "KEYWORD" || word == "UNKEYWORD") {
    key.what = word == "KEYWORD" ? k::keyword : k::unkeyword;
    in.sp();
    key.text = in.atom();  // flag-keyword = atom
  } else if (word == "HEADER") {
    key.what = k::header;
    in.sp();
    key.field = in.astring();  // header-fld-name = astring
    in.sp();
    key.text = in.astring();
  } else if (word == "LARGER" || word == "SMALLER") {
    key.what = word == "LARGER" ? k::larger : k::smaller;
    in.sp();
    key.number = in.number64();
  } else if (word == "MODSEQ") {
    // RFC 7162 §3.1.5: "MODSEQ" [SP entry-name SP entry-type-req] SP
    // mod-sequence-valzer. We keep one MODSEQ per message, so the entry is
    // checked and then ignored (§3.1.5 allows that).
    key.what = k::modseq;
    in.sp();
    if (in.peek('"')) {
      auto entry = in.string();
      if (in.ok() && (entry.size() < 8 || !core::iequals(entry.substr(0, 7), "/flags/")))
        in.fail("invalid MODSEQ entry name");
      in.sp();
      auto type = in.keyword();
      if (in.ok() && type != "PRIV" && type != "SHARED" && type != "ALL") in.fail("invalid MODSEQ entry type");
      in.sp();
    }
    key.number = in.number64();
  } else if (word == "OLDER" || word == "YOUNGER") {
    // RFC 5032 §3: "OLDER" / "YOUNGER" SP nz-number (seconds)
    key.what = word == "OLDER" ? k::older : k::younger;
    in.sp();
    key.number = in.nz_number();
  } else if (word == "UID") {
    key.what = k::uid;
    in.sp();
    key.set = set_of(in);
  } else if (word == "NOT") {
    key.what = k::not_;
    in.sp();
    key.children.push_back(one_key(in, depth + 1));
  } else if (word == "OR") {
    key.what = k::or_;
    in.sp();
    key.children.push_back(one_key(in, depth + 1));
    in.sp();
    key.children.push_back(one_key(in, depth + 1));
  } else {
    in.fail("unknown search key " + word.substr(0, 32));
  }
  return key;
}

// RFC 4731 §3.1 search-return-opts (and RFC 5182 SAVE, RFC 5267 §4):
// "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")", the
// word RETURN already read.
search_return return_options(lexer& in) {
  search_return r;
  in.sp();
  in.open_list();
  if (!in.peek(')')) {
    do {
      auto opt = in.keyword();
      if (!in.ok()) break;
      if (opt == "MIN") r.min = true;
      else if (opt == "MAX") r.max = true;
      else if (opt == "ALL") r.all = true;
      else if (opt == "COUNT") r.count = true;
      else if (opt == "SAVE") r.save = true;  // RFC 5182 §2.4
      else if (opt == "CONTEXT") r.context = true;  // RFC 5267 §4.2
      else if (opt == "UPDATE") r.update = true;    // RFC 5267 §4.3
      else if (opt == "PARTIAL" && !r.partial) {
        in.sp();
        r.partial = partial_range_of(in);
      } else {
        in.fail("unknown SEARCH return option " + opt.substr(0, 32));
      }
    } while (in.ok() && in.skip(' '));
  } else {
    r.all = true;  // RFC 4731 §3.1: "RETURN ()" is "RETURN (ALL)"
  }
  in.close_list();
  // RFC 5267 §4.3 UPDATE (and CONTEXT, SAVE) ask for no result data of
  // their own; with none of MIN, MAX, ALL, COUNT or PARTIAL beside them,
  // RFC 4731 §3.1 reads as for "RETURN ()": "equivalent to (ALL)". The
  // client then has the initial result its updates apply to, and always
  // gets the ESEARCH response (RFC 4466 §2.6.2: it "SHOULD be sent"),
  // also when nothing matched. SAVE alone stays silent (RFC 5182 §2.4).
  if (in.ok() && (r.update || r.context) && !r.min && !r.max && !r.count && !r.partial) r.all = true;
  // RFC 9394 §3.1 (which updates RFC 5267): PARTIAL or ALL, not both.
  if (in.ok() && r.partial && r.all) in.fail("PARTIAL and ALL together");
  return r;
}

// Optional "RETURN (...)" SP, peeked: RETURN is no search key.
std::optional<search_return> maybe_return(lexer& in) {
  lexer probe = in;
  if (probe.keyword() != "RETURN" || !probe.ok()) return std::nullopt;
  in = probe;
  auto r = return_options(in);
  in.sp();
  return r;
}

// 1*(SP search-key) after the first SP: the top level is an implicit AND.
search_key key_program(lexer& in) {
  search_key key;
  do key.children.push_back(one_key(in, 1));
  while (in.ok() && in.skip(' '));
  return key;
}

template <bool Uid>
command_args search(lexer& in) {
  search_cmd c;
  c.uid = Uid;
  in.sp();
  c.ret = maybe_return(in);
  // RFC 3501 §6.4.4: [CHARSET SP astring]; "CHARSET" is no search key, so
  // peeking at the word is unambiguous.
  lexer probe = in;
  if (probe.keyword() == "CHARSET" && probe.ok()) {
    in = probe;
    in.sp();
    c.charset = in.astring();
    in.sp();
  }
  c.key = key_program(in);
  in.end();
  return c;
}

// RFC 5256 §4: sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"
std::vector<sort_criterion> sort_criteria(lexer& in) {
  using k = sort_criterion::key;
  static const std::pair<const char*, k> names[] = {
      {"ARRIVAL", k::arrival}, {"CC", k::cc},     {"DATE", k::date},
      {"FROM", k::from},       {"SIZE", k::size}, {"SUBJECT", k::subject},
      {"TO", k::to},           {"DISPLAYFROM", k::display_from}, {"DISPLAYTO", k::display_to},  // RFC 5957 §3
  };
  std::vector<sort_criterion> out;
  in.open_list();
  do {
    sort_criterion c;
    auto word = in.keyword();
    if (in.ok() && word == "REVERSE") {
      c.reverse = true;
      in.sp();
      word = in.keyword();
    }
    if (!in.ok()) break;
    bool known = false;
    for (auto& [name, what] : names)
      if (word == name) {
        c.what = what;
        known = true;
      }
    if (!known) in.fail("unknown sort key " + word.substr(0, 32));
    out.push_back(c);
  } while (in.ok() && in.skip(' '));
  in.close_list();
  return out;
}

template <bool Uid>
command_args sort(lexer& in) {
  // RFC 5256 §4: ["UID" SP] "SORT" [SP search-return-opts] SP sort-criteria
  // SP search-charset 1*(SP search-key)
  sort_cmd c;
  c.uid = Uid;
  in.sp();
  c.ret = maybe_return(in);
  c.criteria = sort_criteria(in);
  in.sp();
  c.charset = in.astring();
  in.sp();
  c.key = key_program(in);
  in.end();
  return c;
}

template <bool Uid>
command_args thread(lexer& in) {
  // RFC 5256 §4: ["UID" SP] "THREAD" SP thread-alg SP search-charset
  // 1*(SP search-key)
  thread_cmd c;
  c.uid = Uid;
  in.sp();
  c.algorithm = in.keyword();
  in.sp();
  c.charset = in.astring();
  in.sp();
  c.key = key_program(in);
  in.end();
  return c;
}

}  // namespace

command_args parse_search(lexer& in, const parse_options&) { return search<false>(in); }

command_args parse_cancelupdate(lexer& in, const parse_options&) {
  // RFC 5267 §5: "CANCELUPDATE" 1*(SP quoted)
  cancelupdate_cmd c;
  do {
    in.sp();
    c.tags.push_back(in.string());
  } while (in.ok() && in.peek(' '));
  in.end();
  return c;
}
command_args parse_uid_search(lexer& in, const parse_options&) { return search<true>(in); }
command_args parse_sort(lexer& in, const parse_options&) { return sort<false>(in); }
command_args parse_uid_sort(lexer& in, const parse_options&) { return sort<true>(in); }
command_args parse_thread(lexer& in, const parse_options&) { return thread<false>(in); }
command_args parse_uid_thread(lexer& in, const parse_options&) { return thread<true>(in); }

}  // namespace lemonade::imap::parse
