// Fuzz target: the proxy's reading of a client's CONDSTORE arguments
// (src/proxy/condstore.hpp), which it then rewrites for the backend: each
// parser returns or throws std::invalid_argument, every view it returns
// lies within the input, and a MODSEQ criterion's span is inside it.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "proxy/condstore.hpp"

namespace {

namespace cs = lemonade::proxy::condstore;

void within(std::string_view part, std::string_view whole) {
  if (part.empty()) return;
  if (part.data() < whole.data() || part.data() + part.size() > whole.data() + whole.size()) std::abort();
}

template <class F>
void guarded(F f) {
  try {
    f();
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  guarded([&] {
    for (auto t : cs::tokens(in)) {
      within(t, in);
      (void)cs::mailbox_name(t);
    }
  });
  guarded([&] {
    auto a = cs::parse_select(in);
    within(a.mailbox, in);
  });
  guarded([&] {
    auto a = cs::parse_fetch(in);
    within(a.set, in);
    for (auto i : a.items) within(i, in);
  });
  guarded([&] {
    auto a = cs::parse_store(in);
    within(a.set, in);
    within(a.item, in);
    within(a.value, in);
    (void)a.item_loud();
  });
  guarded([&] {
    for (auto& c : cs::find_modseq_criteria(in))
      if (c.at > in.size() || c.size > in.size() - c.at) std::abort();
  });
  guarded([&] {
    auto a = cs::parse_status(in);
    within(a.mailbox, in);
  });
  (void)cs::add_to_fetch(in, 7, 42);
  return 0;
}
