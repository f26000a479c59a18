// Fuzz target: client input -> framer -> command parsers -> response
// writer. Runs the framer on the whole input and on the input split at a
// point chosen by its first byte, checks both see the same commands, and
// parses every framed command with the parser of its name.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "imap/parse/parse.hpp"
#include "imap/response/writer.hpp"
#include "imap/syntax/framer.hpp"
#include "imap/syntax/mutf7.hpp"

namespace {

using namespace lemonade::imap;

struct named_parser {
  std::string_view name;
  parse::parser_fn fn;
};

const named_parser parsers[] = {
    {"CAPABILITY", parse::parse_bare<parse::capability_cmd>}, {"NOOP", parse::parse_bare<parse::noop_cmd>},
    {"AUTHENTICATE", parse::parse_authenticate}, {"LOGIN", parse::parse_login},
    {"SELECT", parse::parse_select}, {"EXAMINE", parse::parse_examine}, {"CREATE", parse::parse_create},
    {"DELETE", parse::parse_delete}, {"RENAME", parse::parse_rename}, {"SUBSCRIBE", parse::parse_subscribe},
    {"STATUS", parse::parse_status}, {"LIST", parse::parse_list}, {"LSUB", parse::parse_lsub},
    {"APPEND", parse::parse_append}, {"ENABLE", parse::parse_enable}, {"ID", parse::parse_id},
    {"FETCH", parse::parse_fetch}, {"UID FETCH", parse::parse_uid_fetch}, {"STORE", parse::parse_store},
    {"COPY", parse::parse_copy}, {"MOVE", parse::parse_move}, {"UID EXPUNGE", parse::parse_uid_expunge},
    {"SEARCH", parse::parse_search}, {"UID SEARCH", parse::parse_uid_search},
    {"RESETKEY", parse::parse_resetkey}, {"GENURLAUTH", parse::parse_genurlauth}, {"URLFETCH", parse::parse_urlfetch},
    // RFC 5464 METADATA entries and values; RFC 5259 CONVERT parameters.
    {"GETMETADATA", parse::parse_getmetadata}, {"SETMETADATA", parse::parse_setmetadata},
    {"CONVERT", parse::parse_convert}, {"UID CONVERT", parse::parse_uid_convert},
    {"CONVERSIONS", parse::parse_conversions},
    // docs/xencrypted.md: XKEY, and ~{X<n>} literals in APPEND/CATENATE.
    {"XKEY", parse::parse_xkey}, {"XSEALED", parse::parse_xsealed},
};

std::vector<std::string> frame(std::string_view input, std::size_t split) {
  syntax::framer_limits limits;
  limits.max_line = 4096;
  limits.max_literal = 1 << 16;
  limits.max_command = 1 << 17;
  syntax::framer f(limits);
  std::vector<std::string> out;
  std::string buf;
  std::size_t fed = 0;
  for (;;) {
    auto ev = f.next(buf);
    if (ev.what == syntax::framer::kind::command) {
      out.emplace_back(buf.substr(0, ev.size));
      buf.erase(0, ev.size);
    } else if (ev.what == syntax::framer::kind::discard || ev.what == syntax::framer::kind::reject) {
      if (ev.size > buf.size()) std::abort();
      if (ev.what == syntax::framer::kind::reject) out.emplace_back("<reject " + ev.tag + ">");
      buf.erase(0, ev.size);
    } else if (ev.what == syntax::framer::kind::reject_and_close) {
      out.emplace_back("<close " + ev.tag + ">");  // the session closes here
      return out;
    } else if (ev.what == syntax::framer::kind::need_more) {
      if (fed == input.size()) return out;
      auto n = fed < split ? split - fed : input.size() - fed;
      buf.append(input.substr(fed, n));
      fed += n;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto whole = frame(input, input.size());
  auto split = frame(input, size ? data[0] % (size + 1) : 0);
  if (whole != split) std::abort();  // framing must not depend on read boundaries

  for (auto& cmd : whole) {
    syntax::lexer in(cmd, 8);
    auto head = parse::parse_head(in);
    if (!in.ok()) continue;
    for (auto& p : parsers) {
      if (p.name != head.name) continue;
      parse::parse_options opts;
      auto args = p.fn(in, opts);
      if (in.ok()) {
        // Whatever parsed must serialise.
        std::string out;
        response::write(out, response::untagged{{response::astring{head.tag}, response::mailbox{head.name}}}, {});
      }
    }
  }
  // Modified UTF-7 must round-trip whatever it accepts.
  if (auto utf8 = syntax::mutf7_decode(input)) {
    if (syntax::mutf7_decode(syntax::mutf7_encode(*utf8)) != *utf8) std::abort();
  }
  return 0;
}
