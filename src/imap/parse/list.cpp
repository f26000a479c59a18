// RFC 3501 §6.3.8 LIST, §6.3.9 LSUB; RFC 5258 LIST-EXTENDED; RFC 6154
// §5 SPECIAL-USE options; RFC 5819 LIST-STATUS.
#include "imap/parse/parse.hpp"
#include "imap/syntax/mutf7.hpp"

namespace lemonade::imap::parse {
namespace {

// Not UTF-8 (0xFF never occurs in it), so it matches no mailbox name.
const std::string never_matches = "\xFF";

std::string pattern(lexer& in, const parse_options& opts) {
  auto raw = in.list_mailbox();
  if (!in.ok() || opts.utf8_names) return raw;
  auto utf8 = syntax::mutf7_decode(raw);
  // RFC 3501 §6.3.8: "The returned mailbox names MUST match the supplied
  // mailbox name pattern": no name, shown in modified UTF-7, can match
  // one that is not valid modified UTF-7, so the LIST is an empty OK.
  if (!utf8) return never_matches;
  return *utf8;
}

std::string reference(lexer& in, const parse_options& opts) {
  auto raw = in.astring();
  if (!in.ok() || opts.utf8_names) return raw;
  auto utf8 = syntax::mutf7_decode(raw);
  if (!utf8) return never_matches;  // as for the pattern
  return *utf8;
}

void selection_options(lexer& in, list_cmd& c) {
  // RFC 5258 §3.1: unknown selection options are a BAD.
  in.open_list();
  if (!in.peek(')')) {
    do {
      auto opt = in.keyword();
      if (!in.ok()) break;
      if (opt == "SUBSCRIBED") c.select_subscribed = true;
      else if (opt == "REMOTE") c.select_remote = true;
      else if (opt == "RECURSIVEMATCH") c.select_recursivematch = true;
      else if (opt == "SPECIAL-USE") c.select_special_use = true;
      else in.fail("unknown LIST selection option " + opt);
    } while (in.skip(' '));
  }
  in.close_list();
  // RFC 5258 §3.1: RECURSIVEMATCH needs another option that it modifies.
  if (in.ok() && c.select_recursivematch && !c.select_subscribed && !c.select_special_use)
    in.fail("RECURSIVEMATCH must be used with another selection option");
}

void return_options(lexer& in, list_cmd& c) {
  // RFC 5258 §3.2: list-return-opts = "RETURN" SP "(" [return-option
  // *(SP return-option)] ")"
  auto word = in.keyword();
  if (in.ok() && word != "RETURN") in.fail("expected RETURN");
  in.sp();
  in.open_list();
  if (!in.peek(')')) {
    do {
      auto opt = in.keyword();
      if (!in.ok()) break;
      if (opt == "SUBSCRIBED") c.return_subscribed = true;
      else if (opt == "CHILDREN") c.return_children = true;
      else if (opt == "SPECIAL-USE") c.return_special_use = true;
      else if (opt == "STATUS") {
        in.sp();
        c.return_status = status_items(in);
      } else in.fail("unknown LIST return option " + opt);
    } while (in.skip(' '));
  }
  in.close_list();
}

}  // namespace

command_args parse_list(lexer& in, const parse_options& opts) {
  list_cmd c;
  in.sp();
  if (in.peek('(')) {
    c.extended = true;
    selection_options(in, c);
    in.sp();
  }
  c.reference = reference(in, opts);
  in.sp();
  if (in.peek('(')) {
    // RFC 5258 §3: patterns = "(" list-mailbox *(SP list-mailbox) ")"
    c.extended = true;
    in.open_list();
    do c.patterns.push_back(pattern(in, opts));
    while (in.ok() && in.skip(' '));
    in.close_list();
  } else {
    c.patterns.push_back(pattern(in, opts));
  }
  if (in.skip(' ')) {
    c.extended = true;
    return_options(in, c);
  }
  in.end();
  return c;
}

command_args parse_lsub(lexer& in, const parse_options& opts) {
  list_cmd c;
  c.lsub = true;
  in.sp();
  c.reference = reference(in, opts);
  in.sp();
  c.patterns.push_back(pattern(in, opts));
  in.end();
  return c;
}

}  // namespace lemonade::imap::parse
