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
  // RFC 4466 append-data = literal / literal8 (RFC 3516 §4.4) / the
  // RFC 4469 §5 CATENATE list.
  if (in.peek('{') || in.peek('~')) {
    m.data = in.literal_data(true, m.literal8, &m.encrypted);
    return m;
  }
  if (in.keyword() != "CATENATE") {
    in.fail("expected a literal or CATENATE");
    return m;
  }
  in.sp();
  in.open_list();
  do {
    // cat-part = text-literal / url; text-literal = "TEXT" SP literal
    // (a literal8 too: the data may hold NULs as in a plain APPEND);
    // url = "URL" SP astring.
    auto kind = in.keyword();
    in.sp();
    cat_part part;
    if (kind == "TEXT") {
      bool binary = false;
      part.text = in.literal_data(true, binary, &part.encrypted);
    } else if (kind == "URL") {
      part.is_url = true;
      part.url = in.astring();
    } else if (in.ok()) {
      in.fail("expected TEXT or URL in CATENATE");
    }
    m.catenate.push_back(std::move(part));
  } while (in.ok() && in.skip(' '));
  in.close_list();
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
