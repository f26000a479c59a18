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
#include "imap/commands/commands.hpp"
#include "imap/parse/parse.hpp"
#include "imap/syntax/url.hpp"

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

// One URLFETCH URL: its data, or nullopt (NIL). Runs on a storage thread.
std::optional<std::string> fetch_one(command_context& ctx, const std::string& text) {
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
  auto acct = ctx.server.accounts.open(*owner);
  auto& store = acct->store();
  auto mb = store.find_mailbox(parse::normalize_inbox(u->mailbox));
  if (!mb || !mb->selectable) return std::nullopt;
  if (u->uidvalidity && *u->uidvalidity != mb->uidvalidity) return std::nullopt;
  if (!same_token(mac_hex(store.urlauth_key(mb->id), u->rump), *u->token)) return std::nullopt;
  auto recs = store.fetch(mb->id, {store::uid{*u->uid}});
  if (recs.empty()) return std::nullopt;
  parse::section_spec section;
  if (u->section) {
    auto s = parse::section_from_text(*u->section);
    if (!s) return std::nullopt;
    section = std::move(*s);
  }
  auto data = section_octets(store, recs.front(), section);
  if (!data) return std::nullopt;
  if (u->partial) {
    // RFC 5550 §5.7.1 (URL-PARTIAL): offset and length in octets.
    auto from = std::min<std::uint64_t>(u->partial->offset, data->size());
    *data = data->substr(from, u->partial->length ? *u->partial->length : std::string::npos);
  }
  return data;
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
  auto data = co_await ctx.blocking(
      [&] {
        std::vector<std::optional<std::string>> out;
        for (auto& url : cmd.urls) {
          try {
            out.push_back(fetch_one(ctx, url));
          } catch (const store::error&) {
            out.push_back(std::nullopt);
          }
        }
        return out;
      },
      command_context::work::read);
  // §7.3: one untagged URLFETCH with every URL and its data or NIL.
  untagged r;
  r.items.push_back(atom{"URLFETCH"});
  for (std::size_t i = 0; i < cmd.urls.size(); ++i) {
    r.items.push_back(string{cmd.urls[i]});
    if (data[i]) r.items.push_back(literal{std::move(*data[i])});
    else r.items.push_back(nil{});
  }
  ctx.untagged(std::move(r));
}

}  // namespace lemonade::imap::commands
