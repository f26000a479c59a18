// What a proxy identity may not do (store::proxy_grant): an operator's
// proxy that logs in as "alice+label" relays alice's reading and flag
// changes, but the commands that destroy mail or could send it elsewhere
// are refused unless the identity's grant allows them
// (draft-maes-lemonade-xencrypted-02 §2.2: a compromised proxy must not be
// able to delete a user's mail or mint a URLAUTH URL and BURL a message
// out). Refusals are NO [NOPERM] (RFC 5530 §3) with a log line.
#include "imap/commands/commands.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/strings.hpp"

namespace lemonade::imap::commands {
namespace {

bool names_deleted(const std::vector<std::string>& flags) {
  for (auto& f : flags)
    if (core::iequals(f, "\\Deleted")) return true;
  return false;
}

// The grant bit a command needs, 0 if none.
unsigned needed(const command_context& ctx, const args& a) {
  return std::visit(
      [&](const auto& cmd) -> unsigned {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, parse::expunge_cmd>) {
          return store::allow_expunge;
        } else if constexpr (std::is_same_v<T, parse::close_cmd>) {
          // RFC 3501 §6.4.2: CLOSE of a read-write mailbox expunges (UNSELECT
          // does not).
          return ctx.session.selected && !ctx.session.selected->read_only() ? unsigned{store::allow_expunge} : 0u;
        } else if constexpr (std::is_same_v<T, parse::copy_cmd>) {
          return cmd.move ? unsigned{store::allow_expunge} : 0u;  // RFC 6851 §3.1: MOVE expunges its source
        } else if constexpr (std::is_same_v<T, parse::store_cmd>) {
          bool sets = cmd.operation != parse::store_cmd::op::remove && names_deleted(cmd.flags);
          return sets ? unsigned{store::allow_deleted_flag} : 0u;
        } else if constexpr (std::is_same_v<T, parse::append_cmd>) {
          for (auto& m : cmd.messages)
            if (names_deleted(m.flags)) return store::allow_deleted_flag;
          return 0;
        } else if constexpr (std::is_same_v<T, parse::delete_cmd> || std::is_same_v<T, parse::rename_cmd>) {
          return store::allow_mailbox_delete;
        } else if constexpr (std::is_same_v<T, parse::genurlauth_cmd> || std::is_same_v<T, parse::urlfetch_cmd> ||
                             std::is_same_v<T, parse::resetkey_cmd>) {
          return store::allow_urlauth;
        } else if constexpr (std::is_same_v<T, parse::setmetadata_cmd>) {
          for (auto& [entry, value] : cmd.values)
            if (entry.starts_with("/shared")) return store::allow_shared_metadata;  // names are lower-cased
          return 0;
        } else {
          return 0;
        }
      },
      a);
}

// What reading these FETCH items needs from a proxy identity's session
// with no XKEY: clear-content for message content, clear-envelope (or
// clear-content) for the structure items; 0 for flags, UIDs, sizes, dates.
unsigned clear_needed(const std::vector<parse::fetch_att>& atts) {
  using kind = parse::fetch_att::kind;
  unsigned need = 0;
  for (auto& a : atts) {
    switch (a.what) {
      case kind::envelope:
      case kind::body:
      case kind::bodystructure: need |= store::allow_clear_envelope; break;
      case kind::rfc822:
      case kind::rfc822_header:
      case kind::rfc822_text:
      case kind::body_section:
      case kind::binary:
      case kind::preview: need |= store::allow_clear_content; break;
      default: break;
    }
  }
  return need;
}

// True when a search key asks about what messages say (their headers or
// text): its answer is an oracle for that text.
bool reads_text(const parse::search_key& k) {
  using kind = parse::search_key::kind;
  switch (k.what) {
    case kind::bcc: case kind::body: case kind::cc: case kind::from: case kind::subject: case kind::text:
    case kind::to: case kind::header: case kind::sentbefore: case kind::senton: case kind::sentsince:
      return true;
    default:
      return std::any_of(k.children.begin(), k.children.end(), reads_text);
  }
}

// SEARCH by text, SORT by a header (all but ARRIVAL and SIZE), THREAD (which groups by subject and
// references): their answers tell the proxy what messages say, even
// though the messages go to it encrypted (SEARCH BODY "guess").
bool text_oracle(const args& a) {
  using key = parse::sort_criterion::key;
  if (auto* s = std::get_if<parse::search_cmd>(&a)) return reads_text(s->key);
  if (auto* s = std::get_if<parse::sort_cmd>(&a)) {
    for (auto& c : s->criteria)
      // DATE sorts by the Date: header (RFC 5256 §3), like SENTBEFORE.
      if (c.what != key::arrival && c.what != key::size) return true;
    return reads_text(s->key);
  }
  return std::holds_alternative<parse::thread_cmd>(a);
}

// The allowance a command moving content in the clear still lacks, 0 if
// none. After XKEY, FETCH sends content encrypted and needs none. CONVERT's
// output is not encrypted (docs/xencrypted.md), so it needs clear-content
// unless it envelopes for the user's S/MIME certificates; so does APPEND
// of a message (or CATENATE text) not encrypted by the client.
unsigned clear_lacking(const command_context& ctx, const args& a, bool sealed) {
  unsigned allow = ctx.session.proxy->allow;
  // Sealed, the question is the device's and the proxy does not know it.
  if (!sealed && text_oracle(a) && !(allow & store::allow_clear_content)) return store::allow_clear_content;
  unsigned need = std::visit(
      [&](const auto& cmd) -> unsigned {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, parse::fetch_cmd>) {
          return ctx.session.xenc ? 0u : clear_needed(cmd.atts);
        } else if constexpr (std::is_same_v<T, parse::notify_cmd>) {
          // RFC 5465 §5.2: MessageNew's FETCH items, sent as messages come.
          unsigned n = 0;
          for (auto& g : cmd.groups) n |= clear_needed(g.new_atts);
          return ctx.session.xenc ? 0u : n;
        } else if constexpr (std::is_same_v<T, parse::convert_cmd>) {
          // CONVERT's parts go in the clear, except those enveloped for
          // the user's S/MIME certificates (draft -02 §3.2): only an
          // application/pkcs7-mime target, with no header items (which
          // take no target and would come back in the clear).
          // Without clear-envelope, no more than the enveloped parts and
          // their sizes and (enveloped) structure: conversion parameters
          // and AVAILABLECONVERSIONS would name the parts' own types.
          if (!cmd.to || *cmd.to != "application/pkcs7-mime") return unsigned{store::allow_clear_content};
          bool bare = cmd.params.empty() && std::all_of(cmd.atts.begin(), cmd.atts.end(), [](auto& t) {
            using k = parse::convert_att::kind;
            return t.what == k::uid || t.what == k::binary || t.what == k::binary_size ||
                   t.what == k::bodypartstructure;
          });
          return bare ? 0u : unsigned{store::allow_clear_envelope};
        } else if constexpr (std::is_same_v<T, parse::urlfetch_cmd>) {
          // Its messages (meant for submission servers) go in the clear.
          return store::allow_clear_content;
        } else if constexpr (std::is_same_v<T, parse::append_cmd>) {
          // Mail the proxy could have written itself (a forged message in
          // the user's mailbox) or read: what it appends must be the
          // client's encrypted literals. CATENATE's URL parts are not
          // bound to them (a proxy could add or change them): a CATENATE
          // with URLs must come sealed (XSEALED).
          for (auto& m : cmd.messages) {
            if (m.catenate.empty() && !m.encrypted) return store::allow_clear_content;
            for (auto& p : m.catenate)
              if (p.is_url || !p.encrypted) return store::allow_clear_content;
          }
          return 0u;
        } else {
          return 0;
        }
      },
      a);
  // clear-content covers the structure items too.
  if (allow & store::allow_clear_content) return 0;
  if ((need & store::allow_clear_envelope) && (allow & store::allow_clear_envelope))
    need &= ~unsigned{store::allow_clear_envelope};
  if (need & store::allow_clear_content) return store::allow_clear_content;
  return need;
}

std::string_view allowance_name(unsigned bit) {
  for (unsigned i = 0; i < std::size(store::proxy_allowance_names); ++i)
    if (bit == (1u << i)) return store::proxy_allowance_names[i];
  return "?";
}

}  // namespace

void check_proxy_policy(command_context& ctx, args& a, bool sealed) {
  const auto& grant = ctx.session.proxy;
  if (!grant) return;
  std::string why;
  // A sealed command is the device's own (docs/xencrypted.md, XSEALED):
  // the grant's allowances do not limit it, and what it appends is the
  // client's, sealed; what it would send back in the clear still counts.
  unsigned bit = sealed ? 0u : needed(ctx, a);
  if (sealed && std::holds_alternative<parse::append_cmd>(a)) return;
  if (bit != 0 && !(grant->allow & bit)) {
    why = ctx.name() + " is not allowed to this proxy identity";
  } else if ((bit = clear_lacking(ctx, a, sealed)) != 0) {
    // docs/xencrypted.md: message content goes to a proxy identity only
    // encrypted, unless its grant lets it have it in the clear.
    if (std::holds_alternative<parse::append_cmd>(a))
      why = "APPEND from this proxy identity must carry the client's encrypted literals (~{X<n>}), or come sealed";
    else if (!sealed && text_oracle(a))
      why = ctx.name() + " would tell this proxy identity what messages say (seal it: XSEALED)";
    else if (std::holds_alternative<parse::convert_cmd>(a) || std::holds_alternative<parse::urlfetch_cmd>(a))
      why = ctx.name() + " would send message content in the clear to this proxy identity";
    else
      why = ctx.name() + " would send message content in the clear to this proxy identity (XKEY first: it is then "
                         "sent encrypted)";
  } else {
    return;
  }
  spdlog::info("conn={} event=proxy_refused user=\"{}\" proxy=\"{}\" command={} needs={}", ctx.session.conn.id,
               ctx.session.user, grant->label, ctx.name(), allowance_name(bit));
  refuse(why + " (it needs the " + std::string(allowance_name(bit)) + " allowance)", "NOPERM");
}

}  // namespace lemonade::imap::commands
