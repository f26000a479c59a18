#pragma once
// RFC 4978 COMPRESS=DEFLATE: raw DEFLATE (RFC 1951, no zlib or gzip
// header) in both directions of one connection, with zlib. The stream
// (stream.hpp) puts it between the protocol and TLS: data is compressed,
// then encrypted (RFC 4978 §3).
//
// Memory: zlib's working state is large (a 32 KB inflate window; deflate's
// window, hash chains and pending buffer, ~256 KB at zlib's defaults), too
// much for an idle phone (DESIGN.md §3). release() frees both states and
// keeps only the history the peer may still refer to: the last window of
// what we sent (our deflater's dictionary, at most 2^window_bits octets)
// and of what the peer sent (at most 32 KB, and no more than it has sent
// in all). Each side is rebuilt from its history on next use
// (deflateSetDictionary / inflateSetDictionary), which continues the same
// DEFLATE stream: every block we sent ended at a sync flush, and an
// inflater is let go only between blocks, all its input used.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lemonade::net {

struct deflate_options {
  int level = 6;        // 1 (fastest) .. 9 (smallest)
  int window_bits = 13; // 9..15: history our deflater refers back into
  int mem_level = 6;    // 1..9: deflate's hash table and pending buffer
};

// Compressed input that is not valid DEFLATE (or uses a dictionary).
struct deflate_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class deflate_codec {
 public:
  explicit deflate_codec(const deflate_options& opts);
  ~deflate_codec();
  deflate_codec(const deflate_codec&) = delete;
  deflate_codec& operator=(const deflate_codec&) = delete;

  // Appends `in` compressed to `out`, ending with a sync flush (an empty
  // stored block, RFC 4978 §4) so the peer can decompress all of it now.
  void compress(std::string_view in, std::string& out);

  // Compressed input: room for n octets, then how many were written.
  char* prepare(std::size_t n);
  void commit(std::size_t n);
  // Decompresses into [buf, buf + n); returns the octets written, 0 when
  // more input is needed. Throws deflate_error for invalid input.
  std::size_t decompress(char* buf, std::size_t n);
  // decompress() may produce something without more input.
  bool input_pending() const;

  // Frees what can be rebuilt (see above); a no-op where the inflater is
  // in the middle of a block (a peer that flushed with Z_PARTIAL_FLUSH).
  void release();
  // Octets held now: zlib's states while live, else the kept histories.
  std::size_t memory() const;

  std::uint64_t bytes_in() const { return raw_in_; }    // compressed, from the peer
  std::uint64_t bytes_out() const { return raw_out_; }  // compressed, to the peer

 private:
  struct state;
  void deflater();
  void inflater();

  deflate_options opts_;
  std::unique_ptr<state> s_;
  std::string sent_history_;      // our deflater's dictionary while released
  std::string received_history_;  // the inflater's window while released
  std::string in_;                // compressed input not yet inflated
  std::size_t in_pos_ = 0;
  std::size_t prepared_from_ = 0;
  bool more_out_ = false;  // the last decompress() filled its buffer
  std::uint64_t raw_in_ = 0, raw_out_ = 0;
};

}  // namespace lemonade::net
