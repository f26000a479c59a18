// RFC 3501 §6.1 CAPABILITY, NOOP, LOGOUT; RFC 2971 ID; RFC 5161 ENABLE.
#include <algorithm>

#include "imap/commands/commands.hpp"

#include <spdlog/spdlog.h>

namespace lemonade::imap::commands {

using namespace response;
using wire_list = response::list;

asio::awaitable<void> capability(command_context& ctx, args&) {
  // RFC 3501 §6.1.1
  untagged r{{atom{"CAPABILITY"}}};
  for (auto& name : capabilities(ctx.facts())) r.items.push_back(atom{name});
  ctx.untagged(std::move(r));
  co_return;
}

asio::awaitable<void> noop(command_context&, args&) {
  // RFC 3501 §6.1.2: pending changes are reported by the session after
  // every command; NOOP has nothing else to do.
  co_return;
}

asio::awaitable<void> logout(command_context& ctx, args&) {
  // RFC 3501 §6.1.3: BYE, then the tagged OK, then close.
  write(ctx.session.out, status_line{"*", status::bye, std::nullopt, "Lemonade logging out"}, ctx.session.wopts);
  ctx.session.state = session_state::logout;
  co_return;
}

asio::awaitable<void> id(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::id_cmd>(a);
  if (!cmd.params.empty()) {
    std::string fields;
    for (auto& [k, v] : cmd.params) {
      // Log only the well-known identification fields, clipped.
      fields += " " + k + "=\"" + (v ? v->substr(0, 64) : std::string("NIL")) + "\"";
    }
    spdlog::info("conn={} event=client_id{}", ctx.session.conn.id, fields);
  }
  // RFC 2971 §3.2: the server's own identification.
  ctx.untagged(untagged{{atom{"ID"}, wire_list{string{"name"}, string{"Lemonade"}, string{"version"},
                                          string{LEMONADE_VERSION}}}});
  co_return;
}

asio::awaitable<void> enable(command_context& ctx, args& a) {
  // RFC 5161 §3.1: "* ENABLED" lists the extensions this command enabled;
  // unknown ones are ignored.
  auto& cmd = std::get<parse::enable_cmd>(a);
  untagged r{{atom{"ENABLED"}}};
  std::vector<std::string> enabled;
  for (auto& name : cmd.capabilities) {
    if (name == "CONDSTORE") {
      ctx.session.condstore = true;  // RFC 7162 §3.1
    } else if (name == "QRESYNC") {
      // RFC 7162 §3.2.3: enabling QRESYNC enables CONDSTORE too.
      ctx.session.qresync = ctx.session.condstore = true;
    } else {
      continue;
    }
    if (std::find(enabled.begin(), enabled.end(), name) != enabled.end()) continue;
    enabled.push_back(name);
    r.items.push_back(atom{name});
  }
  ctx.untagged(std::move(r));
  co_return;
}

}  // namespace lemonade::imap::commands
