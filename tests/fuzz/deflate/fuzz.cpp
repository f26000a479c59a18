// Fuzz target: COMPRESS=DEFLATE input (RFC 4978) on untrusted bytes.
//   - the input after its first octet as a peer's compressed stream, fed in
//     pieces and read through a buffer whose sizes the first octet picks,
//     with release() between pieces: deflate_error or octets, never a
//     crash, and never more than the buffer holds;
//   - the input as plain text sent in pieces by one codec and read by
//     another (also released between pieces): exactly the same octets.
// Any broken invariant aborts with a line saying which.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "net/deflate.hpp"

namespace {

using lemonade::net::deflate_codec;
using lemonade::net::deflate_error;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "broken invariant: %s\n", what);
  std::abort();
}

// Feeds `wire` in pieces of `piece`, reading with `room`; returns the
// octets or stops at the first deflate_error.
std::string feed(deflate_codec& c, std::string_view wire, std::size_t piece, std::size_t room, bool release) {
  std::string out, buf(room, '\0');
  for (std::size_t at = 0; at < wire.size(); at += piece) {
    auto n = std::min(piece, wire.size() - at);
    std::memcpy(c.prepare(n), wire.data() + at, n);
    c.commit(n);
    while (c.input_pending()) {
      auto got = c.decompress(buf.data(), buf.size());
      if (got > room) fail("decompress wrote past its buffer");
      if (got == 0) break;
      out.append(buf, 0, got);
      if (out.size() > (std::size_t{1} << 20)) return out;  // a bomb: enough
    }
    if (release) c.release();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  unsigned knobs = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t piece = 1 + (knobs & 7) * 37;
  std::size_t room = 1 + ((knobs >> 3) & 7) * 311;
  bool release = (knobs & 64) != 0;

  deflate_codec in({});
  try {
    feed(in, rest, piece, room, release);
  } catch (const deflate_error&) {
  }

  lemonade::net::deflate_options opts;
  opts.window_bits = 9 + static_cast<int>(knobs % 7);
  opts.level = 1 + static_cast<int>(knobs % 9);
  deflate_codec sender(opts), receiver({});
  std::string wire, got;
  for (std::size_t at = 0; at < rest.size(); at += piece) {
    auto n = std::min(piece, rest.size() - at);
    std::string part;
    sender.compress(rest.substr(at, n), part);
    wire += part;
    got += feed(receiver, part, part.size(), room, release);
    if (release) sender.release();
  }
  if (got != rest) fail("what one codec compressed, the other did not give back");
  return 0;
}
