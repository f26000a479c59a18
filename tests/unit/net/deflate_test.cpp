// net::deflate_codec against zlib itself playing the peer (a client's raw
// DEFLATE streams, RFC 4978 §3): round trips, input split at every octet,
// invalid input, and release()/rebuild continuing the same stream both
// ways.

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <random>
#include <string>

#include "net/deflate.hpp"

namespace lemonade::net {
namespace {

// The client's side: raw deflate/inflate with zlib's defaults (15-bit
// windows).
struct peer {
  z_stream def{};
  z_stream inf{};
  peer() {
    EXPECT_EQ(deflateInit2(&def, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    EXPECT_EQ(inflateInit2(&inf, -15), Z_OK);
  }
  ~peer() {
    deflateEnd(&def);
    inflateEnd(&inf);
  }
  std::string compress(const std::string& in, int flush = Z_SYNC_FLUSH) {
    std::string out(in.size() + 1024, '\0');
    def.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    def.avail_in = static_cast<uInt>(in.size());
    def.next_out = reinterpret_cast<Bytef*>(out.data());
    def.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&def, flush), Z_OK);
    EXPECT_EQ(def.avail_in, 0u);
    out.resize(out.size() - def.avail_out);
    return out;
  }
  std::string decompress(const std::string& in) {
    std::string out(in.size() * 20 + 4096, '\0');
    inf.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    inf.avail_in = static_cast<uInt>(in.size());
    inf.next_out = reinterpret_cast<Bytef*>(out.data());
    inf.avail_out = static_cast<uInt>(out.size());
    int r = inflate(&inf, Z_SYNC_FLUSH);
    EXPECT_TRUE(r == Z_OK || r == Z_BUF_ERROR) << r;
    EXPECT_EQ(inf.avail_in, 0u);
    out.resize(out.size() - inf.avail_out);
    return out;
  }
};

// Everything the codec yields for `wire`, fed in pieces of `piece` octets
// and read through a buffer of `room`.
std::string feed(deflate_codec& c, const std::string& wire, std::size_t piece = 4096, std::size_t room = 4096) {
  std::string out;
  std::string buf(room, '\0');
  for (std::size_t at = 0; at < wire.size(); at += piece) {
    auto n = std::min(piece, wire.size() - at);
    std::memcpy(c.prepare(n), wire.data() + at, n);
    c.commit(n);
    while (c.input_pending()) {
      auto got = c.decompress(buf.data(), buf.size());
      if (got == 0) break;
      out.append(buf, 0, got);
    }
  }
  return out;
}

std::string text(std::size_t n, unsigned seed) {
  // IMAP-like lines: repetitive, as a session is.
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n)
    s += "* " + std::to_string(rng() % 5000) + " FETCH (UID " + std::to_string(rng() % 90000) +
         " FLAGS (\\Seen" + (rng() % 2 ? " \\Flagged" : "") + "))\r\n";
  s.resize(n);
  return s;
}

TEST(deflate_codec, responses_decompress_at_every_flush) {
  deflate_codec c({});
  peer p;
  for (unsigned i = 0; i < 20; ++i) {
    auto response = text(100 + i * 997, i);
    std::string wire;
    c.compress(response, wire);
    // A sync flush: the peer gets every octet now, and the stream ends in
    // the empty stored block 00 00 FF FF (RFC 1951 §3.2.4).
    ASSERT_GE(wire.size(), 4u);
    EXPECT_EQ(wire.substr(wire.size() - 4), std::string("\0\0\xff\xff", 4));
    EXPECT_EQ(p.decompress(wire), response);
  }
  EXPECT_LT(c.bytes_out(), 20u * 10000 / 3);  // repetitive text shrinks
}

TEST(deflate_codec, commands_split_at_every_octet) {
  peer p;
  std::string commands;
  std::string wire;
  for (int i = 0; i < 30; ++i) {
    auto cmd = "a" + std::to_string(i) + " UID FETCH " + std::to_string(i * 7) + ":* (FLAGS)\r\n";
    commands += cmd;
    wire += p.compress(cmd);
  }
  for (std::size_t room : {1, 7, 4096}) {
    deflate_codec c({});
    EXPECT_EQ(feed(c, wire, 1, room), commands) << room;
  }
}

TEST(deflate_codec, invalid_input_throws) {
  deflate_codec c({});
  // BTYPE 11 is reserved (RFC 1951 §3.2.3).
  EXPECT_THROW(feed(c, std::string("\xff\xff\xff\xff", 4)), deflate_error);
  // A stored block whose NLEN is not LEN's complement (§3.2.4), after
  // valid input.
  deflate_codec d({});
  peer p;
  auto wire = p.compress("a1 NOOP\r\n") + std::string("\x00\x05\x00\x34\x12", 5) + "hello";
  EXPECT_THROW(feed(d, wire), deflate_error);
}

TEST(deflate_codec, released_state_continues_both_streams) {
  deflate_codec c({});
  peer p;
  std::string sent_all, got_all;
  for (unsigned round = 0; round < 6; ++round) {
    // The same text again: the second copy is a back-reference into the
    // history that release() kept.
    auto response = text(3000, round / 2);
    std::string wire;
    c.compress(response, wire);
    EXPECT_EQ(p.decompress(wire), response) << round;
    if (round % 2 == 1) {
      EXPECT_LT(wire.size(), 200u) << "the repeat refers back";
    }
    auto command = text(2000, 100 + round / 2);
    EXPECT_EQ(feed(c, p.compress(command)), command) << round;
    auto live = c.memory();
    c.release();
    EXPECT_LT(c.memory(), live);
    // What is kept: our window (2^13) and what the peer sent, at most.
    EXPECT_LE(c.memory(), (std::size_t{1} << 13) + 2000 * (round + 1) + 64);
  }
}

TEST(deflate_codec, idle_connection_keeps_little) {
  deflate_codec c({});
  peer p;
  std::string wire;
  c.compress("* OK [CAPABILITY IMAP4rev1] ready\r\n", wire);
  EXPECT_EQ(feed(c, p.compress("a1 IDLE\r\n")), "a1 IDLE\r\n");
  EXPECT_GT(c.memory(), 32u * 1024);  // zlib's states while live
  c.release();
  EXPECT_LT(c.memory(), 128u);  // the few octets each side sent
}

TEST(deflate_codec, partial_flush_keeps_the_inflater) {
  // Z_PARTIAL_FLUSH may leave the inflater inside a block's bits: it
  // cannot be rebuilt from the history alone, so release() keeps it.
  deflate_codec c({});
  peer p;
  EXPECT_EQ(feed(c, p.compress("a1 NOOP\r\n", Z_PARTIAL_FLUSH)), "a1 NOOP\r\n");
  c.release();
  EXPECT_EQ(feed(c, p.compress("a2 NOOP\r\n", Z_PARTIAL_FLUSH)), "a2 NOOP\r\n");
  EXPECT_EQ(feed(c, p.compress("a3 NOOP\r\n")), "a3 NOOP\r\n");
}

TEST(deflate_codec, small_output_buffer_drains_everything) {
  deflate_codec c({});
  peer p;
  auto big = text(200000, 9);
  auto wire = p.compress(big);
  EXPECT_EQ(feed(c, wire, wire.size(), 100), big);
  EXPECT_FALSE(c.input_pending());
}

}  // namespace
}  // namespace lemonade::net
