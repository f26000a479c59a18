// Fuzz target: IMAP URLs (RFC 5092, RFC 4467 URLAUTH). Every URL the parser
// accepts must be written back by format_url() into text that parses to
// the same URL, and, with URLAUTH, its rump must be a prefix of the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "imap/syntax/url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lemonade::imap::syntax;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool relative : {false, true}) {
    auto u = parse_url(text, relative);
    if (!u) continue;
    if (!u->rump.empty() && !text.starts_with(u->rump)) std::abort();
    if (u->access && u->rump.empty()) std::abort();
    auto written = format_url(*u);
    auto again = parse_url(written, relative);
    if (!again) std::abort();
    again->rump.clear();
    auto first = *u;
    first.rump.clear();
    if (!(*again == first)) std::abort();
    if (format_url(*again) != written) std::abort();
    (void)url_rump(*u);
  }
  return 0;
}
