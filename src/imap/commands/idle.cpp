// RFC 2177 IDLE; the waiting itself is the session's (imap/idle.cpp),
// since it owns the socket.
#include "imap/commands/commands.hpp"

namespace lemonade::imap::commands {

asio::awaitable<void> idle(command_context& ctx, args&) { co_await ctx.io.idle(ctx); }

}  // namespace lemonade::imap::commands
