// XKEY (docs/xencrypted.md): the client names one of its device keys and a
// nonce of its own; the store answers with a nonce of its own. From then
// on the session's message content goes out as XENCRYPTED literals under
// that key (fetch.cpp), bound to both nonces, and the client's encrypted
// literals must be bound to them too. The proxy in between sees the key's
// id and the nonces, never the key.
#include "imap/commands/commands.hpp"

#include <spdlog/spdlog.h>

#include "core/strings.hpp"

namespace lemonade::imap::commands {

asio::awaitable<void> xkey(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::xkey_cmd>(a);
  auto key = co_await ctx.blocking(
      [&] { return ctx.server.store.users().find_device_key(ctx.session.user, cmd.key_id); },
      command_context::work::read);
  if (!key) {
    spdlog::info("conn={} event=xkey_refused user=\"{}\" key={}", ctx.session.conn.id, ctx.session.user,
                 core::hex_encode(cmd.key_id));
    refuse("No key in use with that id", "NOPERM");
  }
  auto x = auth::xenc::bind_session(key->id, key->secret, ctx.session.user, cmd.client_nonce);
  auto server_nonce = core::hex_encode(x.binding.server_nonce);
  // A second XKEY starts a new binding: sequence numbers start again.
  ctx.session.xenc = std::move(x);
  // Looked up again now that the session carries it: a key revoked while
  // the first look was on its way is found here, and one revoked later
  // by the server's check of open sessions.
  bool still = false;
  try {
    still = co_await ctx.blocking(
        [&] { return ctx.server.store.users().find_device_key(ctx.session.user, cmd.key_id).has_value(); },
        command_context::work::read);
  } catch (...) {
    ctx.session.xenc.reset();
    throw;
  }
  if (!still) {
    ctx.session.xenc.reset();
    refuse("No key in use with that id", "NOPERM");
  }
  spdlog::info("conn={} event=xkey user=\"{}\" key={}", ctx.session.conn.id, ctx.session.user,
               core::hex_encode(cmd.key_id));
  ctx.result.resp_code = response::code{"XKEY", {response::atom{core::hex_encode(cmd.key_id)},
                                                 response::atom{server_nonce}}};
  ctx.result.text = "Message content goes out encrypted under this key";
}

asio::awaitable<void> xsealed(command_context&, args&) {
  throw std::logic_error("XSEALED reached its executor: the session runs it");
  co_return;
}

}  // namespace lemonade::imap::commands
