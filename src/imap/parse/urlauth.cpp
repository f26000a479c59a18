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
    c.urls.push_back(in.astring());
  } while (in.ok() && !in.at_end());
  in.end();
  return c;
}

}  // namespace lemonade::imap::parse
