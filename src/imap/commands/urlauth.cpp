// RFC 4467 URLAUTH: RESETKEY, GENURLAUTH and URLFETCH (§7), with the
// INTERNAL mechanism: a token is HMAC-SHA256 over the URL rump exactly as
// written (§2.1-2.2, §5), keyed by the mailbox's access key, which never
// leaves the store. URLFETCH answers NIL for any URL it will not serve,
// whatever the reason, so it tells nobody whether a message exists (§7.3).
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <chrono>

#include "core/strings.hpp"
#include "imap/commands/body.hpp"
#include "imap/commands/commands.hpp"
#include "imap/parse/parse.hpp"
#include "imap/syntax/url.hpp"
#include "mime/binary.hpp"
#include "mime/parser.hpp"

namespace lemonade::imap::commands {

using namespace response;

namespace {

std::string mac_hex(std::string_view key, std::string_view rump) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(rump.data()),
            rump.size(), out, &len))
    throw std::runtime_error("HMAC failed");
  return core::hex_encode(std::string_view(reinterpret_cast<const char*>(out), len));
}

bool same_token(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool this_server(const command_context& ctx, const syntax::imap_url& u) {
  return u.server && core::iequals(u.server->host, ctx.server.cfg.hostname);
}

// RFC 4467 §3: who may redeem a URL made for `access`.
bool may_fetch(const command_context& ctx, const std::string& access) {
  if (access == "anonymous") return true;
  if (access == "authuser") return true;  // every session here is a user of this server
  if (access.starts_with("user+")) return access.substr(5) == ctx.session.user;
  if (access.starts_with("submit+")) {
    auto& users = ctx.server.cfg.urlauth_submit_users;
    return std::find(users.begin(), users.end(), ctx.session.user) != users.end();
  }
  return false;
}

// What a valid URLAUTH URL names: the message (its owner's account held
// open) and the section and partial range of it.
struct target {
  std::shared_ptr<lemonade::mailbox::account> acct;
  store::message_record rec;
  parse::section_spec section;
  std::optional<syntax::imap_url::partial_range> partial;
};

// RFC 4467 §7.3 checks for one URLFETCH URL; nullopt (NIL) for a URL it
// will not serve, whatever the reason. Runs on a storage thread.
std::optional<target> resolve(command_context& ctx, const std::string& text) {
  auto u = syntax::parse_url(text, false);
  // §7.3: NIL for a URL naming a server, a mailbox or a search, and for
  // one without a valid URLAUTH.
  if (!u || !this_server(ctx, *u) || !u->server->user || !u->uid || u->search || !u->access || !u->token ||
      u->mechanism != "INTERNAL")
    return std::nullopt;
  if (!may_fetch(ctx, *u->access)) return std::nullopt;
  if (u->expire_at) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    if (now.count() >= *u->expire_at) return std::nullopt;
  }
  auto owner = ctx.server.store.users().find_user(*u->server->user);
  if (!owner) return std::nullopt;
  // §7.3: "effectively executes with the access of the userid in the
  // server component of the URL".
  target t;
  t.acct = ctx.server.accounts.open(*owner);
  auto& store = t.acct->store();
  auto mb = store.find_mailbox(parse::normalize_inbox(u->mailbox));
  if (!mb || !mb->selectable) return std::nullopt;
  if (u->uidvalidity && *u->uidvalidity != mb->uidvalidity) return std::nullopt;
  // A mailbox without a key has no valid URL (and a URLFETCH makes none).
  auto key = store.find_urlauth_key(mb->id);
  if (!key || !same_token(mac_hex(*key, u->rump), *u->token)) return std::nullopt;
  auto recs = store.fetch(mb->id, {store::uid{*u->uid}});
  if (recs.empty() || recs.front().expunged) return std::nullopt;
  t.rec = std::move(recs.front());
  if (u->section) {
    auto s = parse::section_from_text(*u->section);
    if (!s) return std::nullopt;
    t.section = std::move(*s);
  }
  t.partial = u->partial;
  return t;
}

// RFC 5550 §5.7.1 (URL-PARTIAL): offset and length in octets.
void apply_partial(std::string& data, const std::optional<syntax::imap_url::partial_range>& p) {
  if (!p) return;
  auto from = std::min<std::uint64_t>(p->offset, data.size());
  data = data.substr(from, p->length ? *p->length : std::string::npos);
}

// One URL's answer: NIL, its data (the unextended form), or the RFC 5524
// metadata asked for.
struct answer {
  bool nil = true;
  std::optional<std::string> data;       // BODY (or the unextended data)
  std::optional<std::string> structure;  // BODYPARTSTRUCTURE, in wire form
  bool binary_asked = false;
  std::optional<std::string> binary;     // BINARY; nullopt: NIL (undecodable)
};

answer fetch_one(command_context& ctx, const parse::urlfetch_cmd::item& item) {
  answer a;
  auto t = resolve(ctx, item.url);
  if (!t) return a;
  auto& store = t->acct->store();
  if (!item.extended || item.body) {
    auto data = section_octets(store, t->rec, t->section);
    if (!data) return a;  // RFC 5524 §4: a part that does not exist is NIL
    apply_partial(*data, t->partial);
    a.data = std::move(data);
  }
  if (item.binary || item.structure) {
    // Both describe a body part: the whole message or a numbered part.
    auto st = structure_of(store, t->rec);
    std::optional<std::uint32_t> index;
    if (t->section.what == parse::section_spec::kind::all)
      index = t->section.part.empty() ? std::optional<std::uint32_t>(0) : mime::find_part(st, t->section.part);
    if (!index && !t->section.part.empty()) return a;  // no such part: NIL
    auto& part = index ? st.parts[*index] : st.parts[0];
    if (item.binary) {
      a.binary_asked = true;
      if (index && *index != 0) {
        a.binary = mime::binary_content(store.read_message(t->rec.blob, part.body.offset, part.body.length), part);
      } else if (index) {
        a.binary = store.read_message(t->rec.blob);  // the whole message, as BINARY[] gives it
      }
      if (a.binary) apply_partial(*a.binary, t->partial);
    }
    if (item.structure && index) {
      // RFC 5524 §3.2: "It will reflect any conversions or decoding that
      // have taken place": an identity encoding and the decoded size.
      if (a.binary && *index != 0) {
        st.parts[*index].encoding = "binary";
        st.parts[*index].body.length = a.binary->size();
      }
      std::string wire;
      response::emitter e(wire, ctx.session.wopts);
      write_body(e, st, *index, false);
      a.structure = std::move(wire);
    }
  }
  a.nil = false;
  return a;
}

// RFC 4467 §7.3 / RFC 5524 §3.2: one untagged URLFETCH with every URL and
// its data, metadata or NIL. Built outside the coroutine (see below).
[[gnu::noinline]] untagged urlfetch_response(const parse::urlfetch_cmd& cmd, std::vector<answer>& answers) {
  untagged r;
  r.items.push_back(atom{"URLFETCH"});
  for (std::size_t i = 0; i < cmd.items.size(); ++i) {
    auto& item = cmd.items[i];
    auto& a = answers[i];
    r.items.push_back(string{item.url});
    if (a.nil) {
      r.items.push_back(nil{});
      continue;
    }
    if (!item.extended) {
      r.items.push_back(literal{std::move(*a.data)});
      continue;
    }
    // Metadata in a fixed order: BODYPARTSTRUCTURE, then BINARY or BODY.
    if (a.structure) r.items.push_back(response::list{atom{"BODYPARTSTRUCTURE"}, raw{std::move(*a.structure)}});
    if (a.binary_asked) {
      if (a.binary) {
        bool nul = a.binary->find('\0') != std::string::npos;
        r.items.push_back(response::list{atom{"BINARY"}, literal{std::move(*a.binary), nul}});
      } else {
        r.items.push_back(response::list{atom{"BINARY"}, nil{}});
      }
    }
    if (item.body) r.items.push_back(response::list{atom{"BODY"}, literal{std::move(*a.data)}});
  }
  return r;
}

// Built outside the coroutine: GCC 12 miscompiles initializer lists of
// response values in coroutine frames at -O3 (see sort.cpp).
[[gnu::noinline]] code urlmech_code() { return code{"URLMECH", {atom{"INTERNAL"}}}; }

}  // namespace

asio::awaitable<void> resetkey(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::resetkey_cmd>(a);
  for (auto& m : cmd.mechanisms)
    if (m != "INTERNAL") reject_syntax("Unknown URLAUTH mechanism " + m.substr(0, 32));
  auto& acct = *ctx.session.account;
  co_await ctx.blocking([&] {
    std::optional<store::mailbox_id> id;
    if (cmd.mailbox) {
      auto mb = acct.store().find_mailbox(*cmd.mailbox);
      if (!mb) refuse("Mailbox does not exist", "NONEXISTENT");
      id = mb->id;
    }
    acct.store().reset_urlauth_keys(id);
  });
  // RFC 4467 §7.1 examples: "OK All keys removed", "OK [URLMECH INTERNAL]".
  if (cmd.mailbox) {
    ctx.result.resp_code = urlmech_code();
    ctx.result.text = "Key reset";
  } else {
    ctx.result.text = "All keys removed";
  }
}

asio::awaitable<void> genurlauth(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::genurlauth_cmd>(a);
  auto& acct = *ctx.session.account;
  // §7.2: a rump URL with an owner and an access identifier, else BAD.
  std::vector<syntax::imap_url> urls;
  for (auto& item : cmd.items) {
    if (item.mechanism != "INTERNAL") reject_syntax("Unknown URLAUTH mechanism " + item.mechanism.substr(0, 32));
    syntax::url_error err;
    auto u = syntax::parse_url(item.rump, false, &err);
    if (!u) reject_syntax("Invalid URL: " + err.message);
    if (!u->server || !u->server->user) reject_syntax("missing owner username in supplied URL");
    if (!u->access) reject_syntax("missing access identifier in supplied URL");
    if (u->token) reject_syntax("the URL already has a URLAUTH token");
    if (!u->uid) reject_syntax("the URL names no message");
    if (!this_server(ctx, *u)) reject_syntax("not a URL of this server");
    urls.push_back(std::move(*u));
  }
  auto full = co_await ctx.blocking([&] {
    std::vector<std::string> out;
    for (auto& u : urls) {
      std::string key;
      // Only the owner's own keys: for another user's mailbox, a token
      // under a throwaway key that never validates (§7.2 allows this OK,
      // so nobody learns which user names exist).
      std::optional<store::mailbox_info> mb;
      if (*u.server->user == ctx.session.user) mb = acct.store().find_mailbox(parse::normalize_inbox(u.mailbox));
      if (mb && mb->selectable) {
        key = acct.store().urlauth_key(mb->id);
      } else if (*u.server->user == ctx.session.user) {
        refuse("Mailbox does not exist", "NONEXISTENT");
      } else {
        key.assign(32, '\0');
        RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), 32);
      }
      out.push_back(u.rump + ":INTERNAL:" + mac_hex(key, u.rump));
    }
    return out;
  });
  untagged r;
  r.items.push_back(atom{"GENURLAUTH"});
  for (auto& f : full) r.items.push_back(string{f});
  ctx.untagged(std::move(r));
}

asio::awaitable<void> urlfetch(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::urlfetch_cmd>(a);
  auto answers = co_await ctx.blocking(
      [&] {
        std::vector<answer> out;
        for (auto& item : cmd.items) {
          try {
            out.push_back(fetch_one(ctx, item));
          } catch (const store::error&) {
            out.push_back(answer{});
          }
        }
        return out;
      },
      command_context::work::read);
  ctx.untagged(urlfetch_response(cmd, answers));
}

}  // namespace lemonade::imap::commands
