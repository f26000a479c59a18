// What a proxy identity may not do (store::proxy_grant): an operator's
// proxy that logs in as "alice+label" relays alice's reading and flag
// changes, but the commands that destroy mail or could send it elsewhere
// are refused unless the identity's grant allows them
// (draft-maes-lemonade-xencrypted-02 §2.2: a compromised proxy must not be
// able to delete a user's mail or mint a URLAUTH URL and BURL a message
// out). Refusals are NO [NOPERM] (RFC 5530 §3) with a log line.
#include "imap/commands/commands.hpp"

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

std::string_view allowance_name(unsigned bit) {
  for (unsigned i = 0; i < std::size(store::proxy_allowance_names); ++i)
    if (bit == (1u << i)) return store::proxy_allowance_names[i];
  return "?";
}

}  // namespace

void check_proxy_policy(command_context& ctx, args& a) {
  const auto& grant = ctx.session.proxy;
  if (!grant) return;
  unsigned bit = needed(ctx, a);
  if (bit == 0 || (grant->allow & bit)) return;
  spdlog::info("conn={} event=proxy_refused user=\"{}\" proxy=\"{}\" command={} needs={}", ctx.session.conn.id,
               ctx.session.user, grant->label, ctx.name(), allowance_name(bit));
  refuse(ctx.name() + " is not allowed to this proxy identity (it needs the " +
             std::string(allowance_name(bit)) + " allowance)",
         "NOPERM");
}

}  // namespace lemonade::imap::commands
