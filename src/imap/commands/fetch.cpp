// RFC 3501 §6.4.5 FETCH and §6.4.8 UID FETCH: FLAGS, UID, INTERNALDATE,
// RFC822.SIZE, RFC822, RFC822.HEADER, RFC822.TEXT, and BODY[]/BODY.PEEK[]
// of the whole message, HEADER, HEADER.FIELDS(.NOT) and TEXT, with
// partial ranges. ENVELOPE, BODYSTRUCTURE, BODY and numbered parts need
// the MIME layer (not here yet) and are refused with NO [CANNOT].
#include <ctime>

#include "core/strings.hpp"
#include "imap/commands/commands.hpp"
#include "imap/commands/flags.hpp"

namespace lemonade::imap::commands {

using namespace response;
using wire_list = response::list;
using kind = parse::fetch_att::kind;
using section_kind = parse::section_spec::kind;

namespace {

// The header ends at the first empty line; it includes that line
// (RFC 3501 §6.4.5 HEADER). Bare-LF mail is split the same way.
std::size_t header_end(std::string_view msg) {
  auto crlf = msg.find("\r\n\r\n");
  auto lf = msg.find("\n\n");
  if (crlf == std::string_view::npos && lf == std::string_view::npos) return msg.size();
  if (lf != std::string_view::npos && (crlf == std::string_view::npos || lf < crlf)) return lf + 2;
  return crlf + 4;
}

// RFC 3501 §6.4.5 HEADER.FIELDS / HEADER.FIELDS.NOT: the matching field
// lines (continuations included) and the blank line.
std::string header_fields(std::string_view header, const std::vector<std::string>& names, bool exclude) {
  std::string out;
  std::size_t pos = 0;
  while (pos < header.size()) {
    // One field: its first line and every continuation line.
    std::size_t end = pos;
    do {
      auto nl = header.find('\n', end);
      end = nl == std::string_view::npos ? header.size() : nl + 1;
    } while (end < header.size() && (header[end] == ' ' || header[end] == '\t'));
    auto field = header.substr(pos, end - pos);
    pos = end;
    auto colon = field.find(':');
    if (colon == std::string_view::npos) continue;  // the blank line, or junk
    auto name = field.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    bool listed = false;
    for (auto& n : names) listed = listed || core::iequals(n, name);
    if (listed != exclude) {
      out += field;
      if (out.back() != '\n') out += "\r\n";
    }
  }
  out += "\r\n";
  return out;
}

// RFC 3501 §9 date-time: "17-Jul-1996 02:44:25 -0700"
std::string internal_date(std::int64_t seconds, int zone_minutes) {
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t local = static_cast<std::time_t>(seconds + zone_minutes * 60);
  std::tm tm{};
  gmtime_r(&local, &tm);
  char buf[40];
  int z = zone_minutes < 0 ? -zone_minutes : zone_minutes;
  std::snprintf(buf, sizeof buf, "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d", tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone_minutes < 0 ? '-' : '+', z / 60, z % 60);
  return buf;
}

bool needs_body(const parse::fetch_att& a) {
  return a.what == kind::rfc822 || a.what == kind::rfc822_header || a.what == kind::rfc822_text ||
         a.what == kind::body_section;
}

// Non-peek body items set \Seen (RFC 3501 §6.4.5).
bool sets_seen(const parse::fetch_att& a) {
  return a.what == kind::rfc822 || a.what == kind::rfc822_text || (a.what == kind::body_section && !a.peek);
}

void check_supported(const parse::fetch_att& a) {
  if (a.what == kind::envelope || a.what == kind::bodystructure || a.what == kind::body ||
      (a.what == kind::body_section && (!a.section.part.empty() || a.section.what == section_kind::mime)))
    refuse("ENVELOPE, BODYSTRUCTURE and part sections are not supported yet", "CANNOT");
}

std::string section_octets(const parse::section_spec& s, std::string_view msg) {
  auto split = header_end(msg);
  switch (s.what) {
    case section_kind::all: return std::string(msg);
    case section_kind::header: return std::string(msg.substr(0, split));
    case section_kind::text: return std::string(msg.substr(split));
    case section_kind::header_fields: return header_fields(msg.substr(0, split), s.fields, false);
    case section_kind::header_fields_not: return header_fields(msg.substr(0, split), s.fields, true);
    case section_kind::mime: break;
  }
  return {};
}

}  // namespace

asio::awaitable<void> fetch(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::fetch_cmd>(a);
  auto& view = *ctx.session.selected;
  for (auto& att : cmd.atts) check_supported(att);
  auto uids = resolve(view, cmd.set, cmd.uid);
  bool want_body = false, mark_seen = false, want_flags = false;
  for (auto& att : cmd.atts) {
    want_body = want_body || needs_body(att);
    mark_seen = mark_seen || (sets_seen(att) && !view.read_only());
    want_flags = want_flags || att.what == kind::flags;
  }
  auto& acct = *ctx.session.account;
  auto records = co_await ctx.blocking([&] { return acct.store().fetch(view.info().id, uids); },
                                       command_context::work::read);
  std::vector<store::uid> newly_seen;
  if (mark_seen) {
    std::vector<store::uid> unseen;
    for (auto& r : records)
      if (!(r.flags.system & store::flag_seen)) unseen.push_back(r.id);
    if (!unseen.empty()) {
      auto res = co_await ctx.blocking([&] {
        return acct.store_flags(view.info().id, unseen, store::flag_op::add, {store::flag_seen, {}}, std::nullopt,
                                &view);
      });
      view.apply_own(res.updated);
      for (auto& up : res.updated) newly_seen.push_back(up.id);
    }
  }
  for (auto& rec : records) {
    auto seq = view.seq_of(rec.id);
    if (!seq) continue;
    auto& entry = view.messages()[*seq - 1];
    std::string body;
    if (want_body) body = co_await ctx.blocking([&] { return acct.store().read_message(rec.blob); },
                                                command_context::work::read);
    wire_list items;
    // RFC 3501 §6.4.8: UID FETCH always reports the UID.
    bool uid_listed = false;
    for (auto& att : cmd.atts) uid_listed = uid_listed || att.what == kind::uid;
    if (cmd.uid && !uid_listed) {
      items.push_back(atom{"UID"});
      items.push_back(number{store::to_int(rec.id)});
    }
    for (auto& att : cmd.atts) {
      switch (att.what) {
        case kind::uid:
          items.push_back(atom{"UID"});
          items.push_back(number{store::to_int(rec.id)});
          break;
        case kind::flags:
          items.push_back(atom{"FLAGS"});
          items.push_back(flags_of(view, entry));
          break;
        case kind::internaldate:
          items.push_back(atom{"INTERNALDATE"});
          items.push_back(string{internal_date(rec.internal_date, rec.tz_offset_minutes)});
          break;
        case kind::rfc822_size:
          items.push_back(atom{"RFC822.SIZE"});
          items.push_back(number{rec.size});
          break;
        case kind::rfc822:
          items.push_back(atom{"RFC822"});
          items.push_back(literal{body});
          break;
        case kind::rfc822_header:
          items.push_back(atom{"RFC822.HEADER"});
          items.push_back(literal{body.substr(0, header_end(body))});
          break;
        case kind::rfc822_text:
          items.push_back(atom{"RFC822.TEXT"});
          items.push_back(literal{body.substr(header_end(body))});
          break;
        case kind::body_section: {
          auto octets = section_octets(att.section, body);
          std::string label = "BODY[" + att.section.text + "]";
          if (att.partial) {
            // RFC 3501 §6.4.5: <origin.octets>; the response names the origin.
            auto [origin, length] = *att.partial;
            octets = origin >= octets.size() ? std::string() : octets.substr(origin, length);
            label += "<" + std::to_string(origin) + ">";
          }
          items.push_back(atom{label});
          items.push_back(literal{std::move(octets)});
          break;
        }
        default:
          break;
      }
    }
    // \Seen set by this FETCH: report the new flags (RFC 3501 §6.4.5).
    if (!want_flags && std::find(newly_seen.begin(), newly_seen.end(), rec.id) != newly_seen.end()) {
      items.push_back(atom{"FLAGS"});
      items.push_back(flags_of(view, entry));
    }
    ctx.untagged(untagged{{number{*seq}, atom{"FETCH"}, std::move(items)}});
  }
}

}  // namespace lemonade::imap::commands
