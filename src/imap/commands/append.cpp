// RFC 3501 §6.3.11 APPEND; RFC 3502 MULTIAPPEND (all or none); RFC 4315
// §3 APPENDUID; RFC 3516 §4.4 literal8; RFC 4469 CATENATE.
#include <algorithm>
#include <chrono>
#include <deque>

#include "auth/smime.hpp"
#include "auth/xenc.hpp"
#include "core/strings.hpp"
#include "imap/commands/commands.hpp"
#include "imap/commands/flags.hpp"
#include "imap/parse/parse.hpp"
#include "imap/syntax/url.hpp"
#include "mailbox/describe.hpp"
#include "mime/binary.hpp"
#include "mime/header.hpp"
#include "mime/parser.hpp"

namespace lemonade::imap::commands {

using namespace response;
using wire_list = response::list;

namespace {

// RFC 4315 §3: uid-set; one commit gives consecutive UIDs, but do not
// rely on it.
std::string uid_set(const std::vector<store::uid>& uids) {
  std::string out;
  for (std::size_t i = 0; i < uids.size();) {
    std::size_t j = i;
    while (j + 1 < uids.size() && to_int(uids[j + 1]) == to_int(uids[j]) + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(to_int(uids[i]));
    if (j > i) out += ":" + std::to_string(to_int(uids[j]));
    i = j + 1;
  }
  return out;
}

// RFC 4469 §4.1: "NO [BADURL <url>]" with "the first URL ... that has
// caused the operation to fail", as given; "]", controls and 8-bit octets
// (which url-resp-text or the log cannot carry) shown as '?'.
[[noreturn]] void bad_url(std::string_view url, const std::string& why) {
  std::string shown;
  for (char c : url.substr(0, 1024))
    shown += (c == ']' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) ? '?' : c;
  command_error e(status::no, "Bad URL: " + why);
  e.resp_code = code{"BADURL", {raw{shown}}};
  throw e;
}

// RFC 4469 §5: the message one CATENATE list builds, its TEXT parts as
// given and each URL part replaced by the octets FETCH BODY.PEEK[section]
// <partial> of the message it names would give. URLs are resolved in the
// session's own account only: a relative one ("/INBOX;UIDVALIDITY=…/;UID=…")
// or an absolute one naming this server (server.hostname) and this user;
// any other, or one with URLAUTH (which names mail CATENATE does not
// take: URLFETCH redeems those), is BADURL. An expunged
// message is gone here even while sessions not yet told may still FETCH
// it. The octets go to `sink` as they are read, in pieces. Runs on a
// storage thread.
void catenate(command_context& ctx, const std::vector<parse::cat_part>& parts, std::uint64_t max_size,
              const std::function<void(std::string_view)>& sink) {
  auto& store = ctx.session.account->store();
  std::uint64_t total = 0;
  auto add = [&](std::string_view data) {
    // RFC 4469 §5: TOOBIG when the result is over the size limit.
    if (total + data.size() > max_size) refuse("The message would be too big", "TOOBIG");
    total += data.size();
    sink(data);
  };
  for (auto& part : parts) {
    if (!part.is_url) {
      add(part.text);
      continue;
    }
    syntax::url_error err;
    auto u = syntax::parse_url(part.url, true, &err);
    if (!u) bad_url(part.url, err.message);
    if (u->server) {
      if (!core::iequals(u->server->host, ctx.server.cfg.hostname)) bad_url(part.url, "not a URL of this server");
      if (u->server->user && *u->server->user != ctx.session.user) bad_url(part.url, "another user's mail");
    }
    if (u->access) bad_url(part.url, "CATENATE takes no URLAUTH URL");
    if (!u->uid) bad_url(part.url, "it names no message");
    auto mb = store.find_mailbox(parse::normalize_inbox(u->mailbox));
    if (!mb || !mb->selectable) bad_url(part.url, "no such mailbox");
    if (u->uidvalidity && *u->uidvalidity != mb->uidvalidity) bad_url(part.url, "the UIDVALIDITY has changed");
    auto recs = store.fetch(mb->id, {store::uid{*u->uid}});
    if (recs.empty() || recs.front().expunged) bad_url(part.url, "no such message");
    parse::section_spec section;
    if (u->section) {
      auto s = parse::section_from_text(*u->section);
      if (!s) bad_url(part.url, "not a section");
      section = std::move(*s);
    }
    // RFC 5092 partial-range: offset and, if given, length, in octets.
    std::uint64_t offset = u->partial ? u->partial->offset : 0;
    std::optional<std::uint64_t> length = u->partial ? u->partial->length : std::nullopt;
    if (!section_pieces(store, recs.front(), section, offset, length, add))
      bad_url(part.url, "the message has no such section");
  }
}

// Assembles every CATENATE message of the command. A message whose TEXT
// parts hold no NUL is written straight to a staged file (never whole in
// memory; stored messages hold no NUL, so neither will it); one with a
// NUL is built in memory, as a literal8 APPEND is, to be re-encoded.
void assemble(command_context& ctx, parse::append_cmd& cmd, std::vector<store::new_message>& messages) {
  auto& store = ctx.session.account->store();
  auto max = ctx.server.cfg.max_literal_size;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto& parts = cmd.messages[i].catenate;
    if (parts.empty()) continue;
    bool nul = std::any_of(parts.begin(), parts.end(),
                           [](auto& p) { return !p.is_url && p.text.find('\0') != std::string::npos; });
    if (nul) {
      std::string out;
      catenate(ctx, parts, max, [&](std::string_view piece) { out += piece; });
      messages[i].data = std::move(out);
      continue;
    }
    std::shared_ptr<store::staged_message> staged = store.stage_message();
    catenate(ctx, parts, max, [&](std::string_view piece) { staged->write(piece); });
    staged->finish();
    messages[i].staged = std::move(staged);
  }
}

// docs/xencrypted.md: the command's encrypted literals opened, each in
// place (its octets then point into `opened`), before anything is stored.
// One that does not open, is not above the binding's last sequence number,
// or comes before XKEY refuses the whole APPEND. Returns the highest
// sequence number opened (runs on a pool thread: the session's state is
// only read here, and written by the caller).
std::uint64_t open_literals(command_context& ctx, parse::append_cmd& cmd, std::deque<std::string>& opened) {
  const auto& x = ctx.session.xenc;
  std::uint64_t last = x ? x->received : 0;
  auto open = [&](std::string_view object, const std::string& context) -> std::string_view {
    if (!x) refuse("An encrypted literal needs XKEY first", "NOPERM");
    auto got = auth::xenc::open_client(*x, context, object);
    if (!got) refuse("The encrypted literal does not open under the session's key and binding", "NOPERM");
    if (got->h.seq <= last) refuse("The encrypted literal's sequence number is not above the last one", "NOPERM");
    last = got->h.seq;
    opened.push_back(std::move(got->plain));
    return opened.back();
  };
  for (auto& m : cmd.messages) {
    if (m.encrypted) {
      m.data = open(m.data, "APPEND " + cmd.mailbox);
      m.literal8 = true;
    }
    for (std::size_t i = 0; i < m.catenate.size(); ++i)
      if (m.catenate[i].encrypted)
        m.catenate[i].text = open(m.catenate[i].text, "CATENATE " + cmd.mailbox + " " + std::to_string(i + 1));
  }
  return last;
}

// draft-maes-lemonade-xencrypted-02 §3.2 (docs/xencrypted.md): a message
// that is S/MIME enveloped data (RFC 8551 §3.3) for the certificate the
// server made for this user (GET /smime/server), opened: its header without
// the Content-* fields of the envelope, then the entity inside (RFC 8551
// §3.1: its own Content-* fields and body). Only this user's key opens it,
// so a message captured on its way here opens in no other account.
// nullopt for anything else, which is stored as it came (enveloped for
// the user, say). Addressed to this user's server certificate but not
// opening, or not opening to a MIME entity: NO, nothing stored. Runs on a
// pool thread.
std::optional<std::string> open_enveloped(command_context& ctx, std::string_view message,
                                          const mime::parse_limits& limits) {
  // Most messages are not: their Content-Type says so without a parse.
  auto type = mime::field_value(message, "Content-Type");
  if (!type || core::to_lower(*type).find("pkcs7-mime") == std::string::npos) return std::nullopt;
  auto st = mime::parse_message(message, limits);
  auto& root = st.parts[0];
  if (root.type != "application" || (root.subtype != "pkcs7-mime" && root.subtype != "x-pkcs7-mime"))
    return std::nullopt;
  for (auto& p : root.params)
    if (p.name == "smime-type" && core::to_lower(p.value) != "enveloped-data" &&
        core::to_lower(p.value) != "authenveloped-data")
      return std::nullopt;  // signed-data, compressed-data, certs-only
  auto der = mime::binary_content(message.substr(root.body.offset, root.body.length), root);
  if (!der) return std::nullopt;
  auto mine = ctx.server.store.users().find_server_smime(ctx.session.user);
  if (!mine) return std::nullopt;
  auth::smime::identity id(mine->certificate, mine->private_key);
  auth::aead::wipe(mine->private_key);
  auto r = id.open(*der);
  using outcome = auth::smime::identity::outcome;
  if (r.what == outcome::not_for_us) return std::nullopt;
  // EnvelopedData has no integrity: a damaged one may "open" to noise,
  // which is no MIME entity (RFC 8551 §3.1: it has its Content-Type).
  if (r.what == outcome::opened && !mime::field_value(r.content, "Content-Type")) {
    r.what = outcome::failed;
    r.why = "what it holds is not a MIME entity";
  }
  if (r.what == outcome::failed)
    refuse("The S/MIME message is enveloped for this account but does not open: " + r.why.substr(0, 200), "CANNOT");
  std::string out;
  for (auto& f : mime::split_header(message.substr(root.header.offset, root.header.length))) {
    if (core::istarts_with(f.name, "content-")) continue;
    out += f.raw;
    if (!out.ends_with('\n')) out += "\r\n";
  }
  out += r.content;
  return out;
}

bool has_encrypted(const parse::append_cmd& cmd) {
  for (auto& m : cmd.messages) {
    if (m.encrypted) return true;
    for (auto& p : m.catenate)
      if (p.encrypted) return true;
  }
  return false;
}

}  // namespace

asio::awaitable<void> append(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::append_cmd>(a);
  std::deque<std::string> opened;
  if (has_encrypted(cmd)) {
    auto last = co_await ctx.blocking([&] { return open_literals(ctx, cmd, opened); }, command_context::work::read);
    ctx.session.xenc->received = last;
  }
  std::vector<store::new_message> messages;
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  bool catenating = false;
  for (auto& m : cmd.messages) {
    if (m.data.empty() && m.catenate.empty()) refuse("Cannot append an empty message", "CANNOT");
    store::new_message n;
    n.flags = flags_from_wire(m.flags);
    n.internal_date = m.date ? m.date->seconds : now;
    n.tz_offset_minutes = m.date ? m.date->zone_minutes : 0;
    n.data.assign(m.data);
    // docs/xencrypted.md: the device's own message, the kind a proxy
    // identity's sealed BURL sends: every octet it sent encrypted (no URL
    // part), or the whole APPEND sealed (a CATENATE forwarding parts of
    // other messages, say: the device chose them).
    bool from_device = ctx.sealed || (m.catenate.empty() ? m.encrypted
                                                         : std::all_of(m.catenate.begin(), m.catenate.end(),
                                                                       [](auto& p) { return !p.is_url && p.encrypted; }));
    if (from_device && ctx.session.xenc) n.sealed_by = ctx.session.xenc->key_id;
    catenating = catenating || !m.catenate.empty();
    messages.push_back(std::move(n));
  }
  if (catenating) {
    // Every URL is resolved before anything is stored: one that fails
    // fails the whole APPEND (RFC 4469 §5; RFC 3502 all or none).
    co_await ctx.blocking([&] { assemble(ctx, cmd, messages); }, command_context::work::read);
    for (auto& n : messages)
      if (n.octets().empty()) refuse("Cannot append an empty message", "CANNOT");
  }
  // MIME structure, search text and Date: are computed once, now, off
  // the network threads (DESIGN.md §4).
  co_await ctx.blocking(
      [&] {
        auto& cfg = ctx.server.cfg;
        lemonade::mailbox::describe_limits limits;
        limits.parse.max_depth = cfg.max_mime_depth;
        limits.parse.max_parts = cfg.max_mime_parts;
        limits.max_search_body = static_cast<std::size_t>(cfg.max_indexed_text);
        for (auto& n : messages) {
          if (auto opened = open_enveloped(ctx, n.octets(), limits.parse)) {
            n.data = std::move(*opened);
            n.staged.reset();
          }
          // RFC 3516 §4.4: data sent as literal8 may hold NUL octets, which
          // no IMAP4rev1 client may be sent; such parts are stored as
          // base64 ("MAY modify the CTE ... MUST NOT result in a loss of
          // data"), so BODY[] stays valid and BINARY[] gives them back.
          if (!n.staged && n.data.find('\0') != std::string::npos) {
            auto fixed = mime::encode_nul_parts(n.data, mime::parse_message(n.data, limits.parse));
            if (!fixed) refuse("A NUL octet outside any body part cannot be stored", "UNKNOWN-CTE");
            n.data = std::move(*fixed);
          }
          lemonade::mailbox::describe(n, limits);
        }
      },
      command_context::work::read);
  auto& acct = *ctx.session.account;
  auto res = co_await ctx.blocking([&] {
    auto mb = acct.store().find_mailbox(cmd.mailbox);
    // RFC 3501 §6.3.11: [TRYCREATE] when the mailbox does not exist.
    if (!mb) throw command_error(status::no, "Mailbox does not exist", "TRYCREATE");
    if (!mb->selectable) throw command_error(status::no, "Mailbox is not selectable", "CANNOT");
    return acct.append(*mb, std::move(messages));
  });
  ctx.result.resp_code = code{"APPENDUID", {number{res.uidvalidity}, atom{uid_set(res.uids)}}};
  ctx.result.text = "APPEND completed";
}

}  // namespace lemonade::imap::commands
