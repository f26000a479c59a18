// RFC 3501 §6.2.2 AUTHENTICATE (with RFC 4959 SASL-IR), §6.2.3 LOGIN.
#include "imap/parse/parse.hpp"

namespace lemonade::imap::parse {

command_args parse_authenticate(lexer& in, const parse_options&) {
  authenticate_cmd c;
  in.sp();
  c.mechanism = in.keyword();
  if (in.skip(' ')) {
    // RFC 4959 §7: initial-response = base64 / "="
    if (in.skip('=')) {
      c.initial_response = "=";
    } else {
      c.initial_response = in.atom();
    }
  }
  in.end();
  return c;
}

command_args parse_login(lexer& in, const parse_options&) {
  login_cmd c;
  in.sp();
  c.user = in.astring();
  in.sp();
  c.password = in.astring();
  in.end();
  return c;
}

}  // namespace lemonade::imap::parse
