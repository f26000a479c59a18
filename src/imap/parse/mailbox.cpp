// RFC 3501 §6.3: SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE,
// UNSUBSCRIBE, STATUS; RFC 6154 §3 CREATE-SPECIAL-USE.
#include "imap/parse/parse.hpp"

namespace lemonade::imap::parse {
namespace {

sequence_set uid_set_no_star(lexer& in) {
  auto text = in.sequence_set_text();
  if (!in.ok()) return {};
  auto set = syntax::parse_sequence_set(text);
  // RFC 7162 §7: known-uids and seq-match-data are sequence-sets without "*".
  if (!set || set->saved || text.find('*') != std::string::npos) {
    in.fail("invalid set " + text.substr(0, 32));
    return {};
  }
  return *set;
}

// RFC 7162 §7: "QRESYNC" SP "(" uidvalidity SP mod-sequence-value
// [SP known-uids] [SP seq-match-data] ")"
qresync_params qresync(lexer& in) {
  qresync_params q;
  in.open_list();
  q.uidvalidity = in.nz_number();
  in.sp();
  // mod-sequence-value is positive; 0 is taken as "know nothing" (some
  // clients send it for a mailbox they never saw a HIGHESTMODSEQ of).
  q.modseq = in.number64();
  if (in.skip(' ') && !in.peek('(')) {
    q.known_uids = uid_set_no_star(in);
    if (!in.skip(' ')) {
      in.close_list();
      return q;
    }
  }
  if (in.ok() && in.peek('(')) {
    // seq-match-data = "(" known-sequence-set SP known-uid-set ")"
    in.open_list();
    auto seqs = uid_set_no_star(in);
    in.sp();
    auto uids = uid_set_no_star(in);
    in.close_list();
    q.seq_match = std::pair{std::move(seqs), std::move(uids)};
  }
  in.close_list();
  return q;
}

select_cmd select_args(lexer& in, const parse_options& opts, bool read_only) {
  select_cmd c;
  c.read_only = read_only;
  in.sp();
  c.mailbox = mailbox(in, opts);
  if (in.skip(' ')) {
    // RFC 4466 §2.1 select-params = "(" select-param *(SP select-param) ")"
    in.open_list();
    do {
      auto name = in.keyword();
      if (!in.ok()) break;
      if (name == "CONDSTORE") {
        c.condstore = true;  // RFC 7162 §3.1.8
      } else if (name == "QRESYNC" && !c.qresync) {
        in.sp();
        c.qresync = qresync(in);  // RFC 7162 §3.2.5
      } else {
        in.fail("unknown SELECT parameter " + name.substr(0, 32));
      }
    } while (in.ok() && in.skip(' '));
    in.close_list();
  }
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
  c.mailbox = mailbox(in, opts, "CANNOT");
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
  c.to = mailbox(in, opts, "CANNOT");
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
