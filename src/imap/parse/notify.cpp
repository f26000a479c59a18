// RFC 5465 §3.1 NOTIFY and its §8 grammar, with the composition rules of
// §5 and §6.1 that make a command BAD.
#include <algorithm>

#include "imap/parse/parse.hpp"

namespace lemonade::imap::parse {
namespace {

using filter = notify_group::filter;

// one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")"
std::vector<std::string> mailboxes(lexer& in, const parse_options& opts) {
  std::vector<std::string> out;
  if (!in.peek('(')) {
    out.push_back(mailbox(in, opts));
    return out;
  }
  in.open_list();
  do out.push_back(mailbox(in, opts));
  while (in.ok() && in.skip(' '));
  in.close_list();
  return out;
}

notify_group group(lexer& in, const parse_options& opts) {
  notify_group g;
  in.open_list();
  auto name = in.keyword();
  if (!in.ok()) return g;
  if (name == "SELECTED") g.which = filter::selected;
  else if (name == "SELECTED-DELAYED") g.which = filter::selected_delayed;
  else if (name == "INBOXES") g.which = filter::inboxes;
  else if (name == "PERSONAL") g.which = filter::personal;
  else if (name == "SUBSCRIBED") g.which = filter::subscribed;
  else if (name == "SUBTREE" || name == "MAILBOXES") {
    g.which = name == "SUBTREE" ? filter::subtree : filter::mailboxes;
    in.sp();
    g.mailboxes = mailboxes(in, opts);
  } else {
    in.fail("unknown NOTIFY mailbox filter " + name.substr(0, 32));
    return g;
  }
  in.sp();
  if (!in.peek('(')) {
    if (in.keyword() != "NONE" && in.ok()) in.fail("expected an event list or NONE");
    g.none = true;
    in.close_list();
    return g;
  }
  in.open_list();
  do {
    auto ev = in.keyword();
    if (!in.ok()) break;
    if (ev == "MESSAGENEW") {
      g.message_new = true;
      if (in.peek(' ')) {
        lexer probe = in;
        probe.sp();
        if (probe.peek('(')) {
          // RFC 5465 §5.2: MessageNew (fetch-att ...)
          in = probe;
          in.open_list();
          do g.new_atts.push_back(parse_fetch_att(in));
          while (in.ok() && in.skip(' '));
          in.close_list();
        }
      }
    } else if (ev == "MESSAGEEXPUNGE") {
      g.message_expunge = true;
    } else if (ev == "FLAGCHANGE") {
      g.flag_change = true;
    } else if (ev == "MAILBOXNAME") {
      g.mailbox_name = true;
    } else if (ev == "SUBSCRIPTIONCHANGE") {
      g.subscription_change = true;
    } else if (ev == "MAILBOXMETADATACHANGE") {
      g.mailbox_metadata = true;
    } else if (ev == "SERVERMETADATACHANGE") {
      g.server_metadata = true;
    } else {
      // AnnotationChange and extensions: refused with NO [BADEVENT] by the
      // executor (§3.1).
      g.unsupported.push_back(ev);
    }
  } while (in.ok() && in.skip(' '));
  in.close_list();
  in.close_list();
  if (!in.ok()) return g;
  bool annotation = std::find(g.unsupported.begin(), g.unsupported.end(), "ANNOTATIONCHANGE") != g.unsupported.end();
  // RFC 5465 §5: MessageNew and MessageExpunge come together, and
  // FlagChange/AnnotationChange need both.
  if (g.message_new != g.message_expunge) in.fail("MessageNew and MessageExpunge must be given together");
  else if ((g.flag_change || annotation) && !g.message_new)
    in.fail("FlagChange needs MessageNew and MessageExpunge");
  // §6.1: only message events for the selected mailbox; §5.2: fetch
  // attributes only there.
  else if (g.is_selected() && (g.mailbox_name || g.subscription_change || g.mailbox_metadata || g.server_metadata ||
                               g.unsupported.size() > (annotation ? 1u : 0u)))
    in.fail("only message events are allowed with SELECTED");
  else if (!g.is_selected() && !g.new_atts.empty())
    in.fail("MessageNew fetch attributes are only allowed with SELECTED");
  return g;
}

}  // namespace

command_args parse_notify(lexer& in, const parse_options& opts) {
  notify_cmd c;
  in.sp();
  auto word = in.keyword();
  if (!in.ok()) return c;
  if (word == "NONE") {
    c.none = true;
    in.end();
    return c;
  }
  if (word != "SET") {
    in.fail("expected SET or NONE");
    return c;
  }
  in.sp();
  if (!in.peek('(')) {
    if (in.keyword() != "STATUS" && in.ok()) in.fail("expected STATUS or an event group");
    c.status = true;
    in.sp();
  }
  bool selected_seen = false;
  do {
    c.groups.push_back(group(in, opts));
    // §6.1: only one of SELECTED and SELECTED-DELAYED.
    if (in.ok() && c.groups.back().is_selected()) {
      if (selected_seen) in.fail("SELECTED or SELECTED-DELAYED may be given once");
      selected_seen = true;
    }
  } while (in.ok() && in.skip(' '));
  in.end();
  return c;
}

}  // namespace lemonade::imap::parse
