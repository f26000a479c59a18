// Fuzz target: what our IMAP client reads from a server it does not
// control (BURL names any IMAP server): parse_untagged() either returns or
// throws client::error, and every string it returns lies within the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "imap/client/response.hpp"

namespace {

void check(const lemonade::imap::client::value& v, std::size_t limit, int depth) {
  if (v.text.size() > limit || depth > 70) std::abort();
  for (auto& i : v.items) check(i, limit, depth + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto u = lemonade::imap::client::parse_untagged(text);
    for (auto& v : u.items) check(v, size, 0);
  } catch (const lemonade::imap::client::error&) {
  }
  return 0;
}
