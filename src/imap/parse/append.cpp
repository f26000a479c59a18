// RFC 3501 §6.3.11 APPEND; RFC 3502 MULTIAPPEND.
#include "imap/parse/parse.hpp"

namespace lemonade::imap::parse {
namespace {

// append-message = [SP flag-list] [SP date-time] SP literal
append_message one_message(lexer& in) {
  append_message m;
  in.sp();
  if (in.peek('(')) {
    in.open_list();
    if (!in.peek(')')) {
      do m.flags.push_back(in.flag());
      while (in.ok() && in.skip(' '));
    }
    in.close_list();
    in.sp();
  }
  if (in.peek('"')) {
    auto dt = in.date_time_value();
    m.date = date_time{dt.seconds, dt.zone_minutes};
    in.sp();
  }
  // RFC 3516 §4.4 (RFC 4466 append-data): literal or literal8.
  m.data = in.literal_data(true, m.literal8);
  return m;
}

}  // namespace

command_args parse_append(lexer& in, const parse_options& opts) {
  append_cmd c;
  in.sp();
  c.mailbox = mailbox(in, opts);
  do {
    if (c.messages.size() >= opts.max_append_messages) {
      in.fail("too many messages in one APPEND", "LIMIT");
      break;
    }
    c.messages.push_back(one_message(in));
  } while (in.ok() && !in.at_end());
  in.end();
  return c;
}

}  // namespace lemonade::imap::parse
