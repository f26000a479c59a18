// RFC 3501 §6.3.11 APPEND; RFC 3502 MULTIAPPEND (all or none); RFC 4315
// §3 APPENDUID.
#include <chrono>

#include "imap/commands/commands.hpp"
#include "imap/commands/flags.hpp"
#include "mailbox/describe.hpp"
#include "mime/binary.hpp"
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

}  // namespace

asio::awaitable<void> append(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::append_cmd>(a);
  std::vector<store::new_message> messages;
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  for (auto& m : cmd.messages) {
    if (m.data.empty()) refuse("Cannot append an empty message", "CANNOT");
    store::new_message n;
    n.flags = flags_from_wire(m.flags);
    n.internal_date = m.date ? m.date->seconds : now;
    n.tz_offset_minutes = m.date ? m.date->zone_minutes : 0;
    n.data.assign(m.data);
    messages.push_back(std::move(n));
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
          // RFC 3516 §4.4: data sent as literal8 may hold NUL octets, which
          // no IMAP4rev1 client may be sent; such parts are stored as
          // base64 ("MAY modify the CTE ... MUST NOT result in a loss of
          // data"), so BODY[] stays valid and BINARY[] gives them back.
          if (n.data.find('\0') != std::string::npos) {
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
