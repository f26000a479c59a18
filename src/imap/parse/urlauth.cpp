// RFC 4467 §9 URLAUTH commands: RESETKEY, GENURLAUTH, URLFETCH. The URLs
// are astrings here; imap/syntax/url.hpp reads them when they are used.
#include "imap/parse/parse.hpp"

namespace lemonade::imap::parse {

command_args parse_resetkey(lexer& in, const parse_options& opts) {
  resetkey_cmd c;
  if (!in.at_end()) {
    in.sp();
    c.mailbox = mailbox(in, opts);
    while (in.ok() && !in.at_end()) {
      in.sp();
      c.mechanisms.push_back(in.keyword());
    }
  }
  in.end();
  return c;
}

command_args parse_genurlauth(lexer& in, const parse_options&) {
  genurlauth_cmd c;
  do {
    in.sp();
    genurlauth_cmd::item item;
    item.rump = in.astring();
    in.sp();
    item.mechanism = in.keyword();
    c.items.push_back(std::move(item));
  } while (in.ok() && !in.at_end());
  in.end();
  return c;
}

command_args parse_urlfetch(lexer& in, const parse_options&) {
  urlfetch_cmd c;
  do {
    in.sp();
    urlfetch_cmd::item item;
    if (!in.peek('(')) {
      item.url = in.astring();
      c.items.push_back(std::move(item));
      continue;
    }
    // RFC 5524 §5: url-fetch-ext = "(" url-full *(SP url-fetch-param) ")",
    // url-fetch-param = "BODY" / "BINARY" / "BODYPARTSTRUCTURE" / atom.
    // §3.1: "Metadata items MUST NOT appear more than once per URL
    // requested, and clients MUST NOT request both BINARY and BODY."
    item.extended = true;
    in.open_list();
    item.url = in.astring();
    while (in.ok() && in.skip(' ')) {
      auto p = in.keyword();
      bool* flag = p == "BODY" ? &item.body : p == "BINARY" ? &item.binary : p == "BODYPARTSTRUCTURE" ? &item.structure : nullptr;
      if (!flag) continue;  // an atom this server does not know: ignored
      if (*flag) in.fail(p + " twice for one URL");
      *flag = true;
    }
    if (item.body && item.binary) in.fail("BODY and BINARY for one URL");
    // "If no url-fetch-param present, as unextended."
    item.extended = item.body || item.binary || item.structure;
    in.close_list();
    c.items.push_back(std::move(item));
  } while (in.ok() && !in.at_end());
  in.end();
  return c;
}

}  // namespace lemonade::imap::parse
