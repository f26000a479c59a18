// RFC 5464 METADATA: GETMETADATA and SETMETADATA on the server ("") and
// on mailboxes. The account's own entries live in its store (one
// transaction per SETMETADATA); the server's /shared entries come from the
// configuration and are read-only here (§3.3: "Servers MAY restrict the
// creation of private or shared server annotations"); a mailbox's
// /private/specialuse is its special-use attribute, read and set (RFC 6154
// §4).
// Unsolicited METADATA responses only through NOTIFY (RFC 5465 §5.6,
// §5.7: notify.cpp): ENABLE METADATA enables nothing.

#include <algorithm>
#include <map>

#include "imap/commands/commands.hpp"

namespace lemonade::imap::commands {

using namespace response;

namespace {

constexpr std::string_view specialuse_entry = "/private/specialuse";

// Entries no SETMETADATA writes: the server's /shared ones, and each
// mailbox's special-use.
std::vector<std::pair<std::string, std::string>> computed_entries(const command_context& ctx,
                                                                  const std::optional<store::mailbox_info>& mb) {
  std::vector<std::pair<std::string, std::string>> out;
  auto& cfg = ctx.server.cfg;
  if (!mb) {
    // RFC 5464 §3.2.1.1: "/shared/admin ... MUST be a URI".
    out.emplace_back("/shared/admin",
                     cfg.metadata_admin.empty() ? "mailto:postmaster@" + cfg.hostname : cfg.metadata_admin);
    if (!cfg.metadata_comment.empty()) out.emplace_back("/shared/comment", cfg.metadata_comment);
  } else if (!mb->special_use.empty()) {
    out.emplace_back(std::string(specialuse_entry), mb->special_use);
  }
  return out;
}

// `entry` is `asked` or below it, at most `depth` levels (RFC 5464 §4.2.2).
bool within(std::string_view entry, std::string_view asked, unsigned depth) {
  if (entry == asked) return true;
  if (entry.size() <= asked.size() || entry.substr(0, asked.size()) != asked || entry[asked.size()] != '/')
    return false;
  if (depth == store::metadata_infinity) return true;
  auto below = std::count(entry.begin() + static_cast<std::ptrdiff_t>(asked.size()), entry.end(), '/');
  return static_cast<unsigned>(below) <= depth;
}

bool server_shared(std::string_view entry) { return entry.starts_with("/shared/"); }

// NO [METADATA ...] (RFC 5464 §4.3).
[[noreturn]] void refuse_metadata(std::string text, std::vector<value> args) {
  command_error e(status::no, std::move(text));
  e.resp_code = code{"METADATA", std::move(args)};
  throw e;
}

value entry_value(const std::string& v) {
  // RFC 5464 §5: value = nstring / literal8.
  if (v.find('\0') != std::string::npos) return literal{v, true};
  return string{v};
}

}  // namespace

asio::awaitable<void> getmetadata(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::getmetadata_cmd>(a);
  auto& store = ctx.session.account->store();
  std::optional<store::mailbox_info> mb;
  // §3.3: without ACL, a mailbox the user can see; else NO.
  auto stored = co_await ctx.blocking(
      [&] {
        std::optional<store::mailbox_id> id;
        if (!cmd.mailbox.empty()) {
          mb = store.find_mailbox(cmd.mailbox);
          if (!mb) throw store::error(store::error::code::nonexistent, "Mailbox does not exist");
          id = mb->id;
        }
        return store.metadata(id, cmd.entries, cmd.depth);
      },
      command_context::work::quick);
  std::map<std::string, std::optional<std::string>> found(stored.begin(), stored.end());
  for (auto& [name, v] : computed_entries(ctx, mb))
    for (auto& asked : cmd.entries)
      if (within(name, asked, cmd.depth)) found[name] = v;
  // An entry asked for by name that has no value, and nothing below it
  // that is returned, is NIL (§5: value = nstring), so every GETMETADATA
  // gets its METADATA response (as Dovecot answers).
  for (auto& asked : cmd.entries) {
    if (asked == "/private" || asked == "/shared") continue;
    bool any = std::any_of(found.begin(), found.end(), [&](auto& f) { return within(f.first, asked, cmd.depth); });
    if (!any) found.emplace(asked, std::nullopt);
  }
  response::list values;
  std::uint64_t longest = 0;
  for (auto& [name, v] : found) {
    // §4.2.1: "Only entry values that are less than or equal in octet
    // size to the specified MAXSIZE limit are returned."
    if (v && cmd.max_size && v->size() > *cmd.max_size) {
      longest = std::max<std::uint64_t>(longest, v->size());
      continue;
    }
    values.push_back(astring{name});
    values.push_back(v ? entry_value(*v) : value{nil{}});
  }
  if (!values.empty()) ctx.untagged(untagged{{atom{"METADATA"}, response::mailbox{cmd.mailbox}, std::move(values)}});
  // "the server MUST include the METADATA LONGENTRIES response code in the
  // tagged OK response ... the size of the biggest entry value".
  if (longest) ctx.result.resp_code = code{"METADATA", {atom{"LONGENTRIES"}, number{longest}}};
}

asio::awaitable<void> setmetadata(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::setmetadata_cmd>(a);
  auto& cfg = ctx.server.cfg;
  for (auto& [name, v] : cmd.values) {
    // §4.3: "[METADATA MAXSIZE NNN] ... the maximum octet count that it is
    // willing to accept".
    if (v && v->size() > cfg.metadata_max_value)
      refuse_metadata("Metadata value too large", {atom{"MAXSIZE"}, number{cfg.metadata_max_value}});
    if (cmd.mailbox.empty() && server_shared(name))
      refuse("The server's /shared entries are set by its administrator", "NOPERM");
    if (!cmd.mailbox.empty() && name == specialuse_entry && v) {
      // RFC 6154 §4: "a space-separated list of special-use attributes",
      // checked "in the same way that it checks validity for the CREATE
      // command": one we offer, in its canonical form.
      std::vector<std::string> uses;
      for (std::size_t pos = 0; pos < v->size();) {
        auto end = std::min(v->find(' ', pos), v->size());
        if (end > pos) uses.push_back(v->substr(pos, end - pos));
        pos = end + 1;
      }
      *v = special_use_attrs(uses);
    }
  }
  try {
    // §4.3: "the server MUST NOT change the values for other annotations"
    // when one fails: one transaction. The change reaches NOTIFY sessions
    // (RFC 5465 §5.6, §5.7), not this one.
    co_await ctx.blocking(
        [&] {
          ctx.session.account->set_metadata(cmd.mailbox, cmd.values, cfg.metadata_max_entries, &ctx.session);
        },
        command_context::work::write);
  } catch (const store::error& e) {
    if (e.what_code != store::error::code::limit) throw;
    // "the maximum number of allowed annotations has already been reached"
    refuse_metadata("Too many metadata entries", {atom{"TOOMANY"}});
  }
}

}  // namespace lemonade::imap::commands
