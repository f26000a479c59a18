// Fuzz target: SMTP/LMTP command lines (smtp/parse), with and without
// SMTPUTF8, and the DATA decoder over the same bytes. A parsed MAIL/RCPT
// address must print as a path that parses back to the same address.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtp/parse/command.hpp"
#include "smtp/syntax/framer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lemonade::smtp;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool utf8 : {false, true}) {
    auto r = parse::parse_command(text, {utf8});
    if (!r.cmd) {
      if (r.error.code < 500 || r.error.code > 555 || r.error.lines.empty()) std::abort();
      continue;
    }
    const syntax::mailbox* m = nullptr;
    if (auto* mail = std::get_if<parse::mail_cmd>(&*r.cmd)) m = &mail->from;
    if (auto* rcpt = std::get_if<parse::rcpt_cmd>(&*r.cmd)) m = &rcpt->to;
    if (m && !m->empty()) {
      auto again = syntax::parse_path("<" + m->text() + ">", false, true);
      if (!again.address || again.address->local != m->local || again.address->domain != m->domain) std::abort();
    }
  }
  syntax::data_decoder d(1 << 16);
  std::string out;
  auto res = d.feed(text, out);
  if (res.consumed > size || out.size() > size) std::abort();
  return 0;
}
