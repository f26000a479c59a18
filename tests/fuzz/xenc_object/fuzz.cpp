// Fuzz target: an encrypted object as a proxy could send it to the store
// (docs/xencrypted.md). Whatever the octets, open() either returns the
// plaintext of an object sealed under the key and binding, or nullopt; it
// never reads out of bounds. And any plaintext, sealed, opens to itself
// and to nothing under another context.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/xenc.hpp"

namespace {

using namespace lemonade::auth;

const std::string key(32, 'k');
const std::string key_id = "\x01\x02\x03\x04\x05\x06\x07\x08";
const xenc::binding binding{"alice", std::string(16, 'c'), std::string(16, 's')};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // The first octet splits the input into a context and an object.
  std::size_t cut = in.empty() ? 0 : static_cast<std::uint8_t>(in[0]) % (in.size());
  auto context = in.substr(in.empty() ? 0 : 1, cut == 0 ? 0 : cut - 1);
  auto object = in.substr(cut);
  (void)xenc::decode_header(object);
  auto got = xenc::open(key, key_id, xenc::direction::to_server, binding, context, object);
  // A random object cannot carry a valid tag (2^-128).
  if (got) std::abort();
  auto sealed = xenc::seal(key, xenc::direction::to_server, key_id, 7, binding, context, object);
  if (sealed.size() != object.size() + xenc::overhead) std::abort();
  auto back = xenc::open(key, key_id, xenc::direction::to_server, binding, context, sealed);
  if (!back || back->plain != object || back->h.seq != 7) std::abort();
  std::string other(context);
  other += 'x';
  if (xenc::open(key, key_id, xenc::direction::to_server, binding, other, sealed)) std::abort();
  return 0;
}
