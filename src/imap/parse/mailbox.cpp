// RFC 3501 §6.3: SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE,
// UNSUBSCRIBE, STATUS; RFC 6154 §3 CREATE-SPECIAL-USE.
#include "imap/parse/parse.hpp"

namespace lemonade::imap::parse {
namespace {

select_cmd select_args(lexer& in, const parse_options& opts, bool read_only) {
  select_cmd c;
  c.read_only = read_only;
  in.sp();
  c.mailbox = mailbox(in, opts);
  in.end();
  return c;
}

std::string one_mailbox(lexer& in, const parse_options& opts) {
  in.sp();
  auto name = mailbox(in, opts);
  in.end();
  return name;
}

}  // namespace

command_args parse_select(lexer& in, const parse_options& opts) { return select_args(in, opts, false); }
command_args parse_examine(lexer& in, const parse_options& opts) { return select_args(in, opts, true); }

command_args parse_create(lexer& in, const parse_options& opts) {
  create_cmd c;
  in.sp();
  c.mailbox = mailbox(in, opts);
  if (in.skip(' ')) {
    // RFC 4466 §2.2 create-params; RFC 6154 §6: "USE" SP "(" [use-attr
    // *(SP use-attr)] ")"
    in.open_list();
    do {
      auto param = in.keyword();
      if (!in.ok()) break;
      if (param != "USE") {
        in.fail("unknown CREATE parameter " + param);
        break;
      }
      in.sp();
      in.open_list();
      if (!in.peek(')')) {
        do {
          in.expect('\\');
          c.special_use.push_back("\\" + in.atom());
        } while (in.skip(' '));
      }
      in.close_list();
    } while (in.skip(' '));
    in.close_list();
  }
  in.end();
  return c;
}

command_args parse_delete(lexer& in, const parse_options& opts) { return delete_cmd{one_mailbox(in, opts)}; }

command_args parse_rename(lexer& in, const parse_options& opts) {
  rename_cmd c;
  in.sp();
  c.from = mailbox(in, opts);
  in.sp();
  c.to = mailbox(in, opts);
  in.end();
  return c;
}

command_args parse_subscribe(lexer& in, const parse_options& opts) {
  return subscribe_cmd{one_mailbox(in, opts), true};
}
command_args parse_unsubscribe(lexer& in, const parse_options& opts) {
  return subscribe_cmd{one_mailbox(in, opts), false};
}

command_args parse_status(lexer& in, const parse_options& opts) {
  status_cmd c;
  in.sp();
  c.mailbox = mailbox(in, opts);
  in.sp();
  c.items = status_items(in);
  in.end();
  return c;
}

}  // namespace lemonade::imap::parse
