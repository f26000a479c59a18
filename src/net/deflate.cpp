#include "net/deflate.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>

#include <zlib.h>

namespace lemonade::net {
namespace {

// zlib's allocations, counted for memory(): each carries its size ahead of
// it (16 octets keep the alignment malloc gives).
constexpr std::size_t header = 16;

void* counted_alloc(void* opaque, uInt items, uInt size) {
  auto n = static_cast<std::size_t>(items) * size;
  auto* p = static_cast<unsigned char*>(std::malloc(n + header));
  if (!p) return Z_NULL;
  std::memcpy(p, &n, sizeof n);
  *static_cast<std::size_t*>(opaque) += n;
  return p + header;
}

void counted_free(void* opaque, void* ptr) {
  if (!ptr) return;
  auto* p = static_cast<unsigned char*>(ptr) - header;
  std::size_t n = 0;
  std::memcpy(&n, p, sizeof n);
  *static_cast<std::size_t*>(opaque) -= n;
  std::free(p);
}

// The most a raw inflater may refer back: the peer chooses its window,
// up to 2^15 (RFC 1951 §2), and says nothing of it.
constexpr int peer_window_bits = 15;

// The inflater stopped between two blocks, with no bits of the next one
// taken (zlib's data_type after inflate(): unused bits in the low six,
// +64 in the last block, +128 at a block boundary). A peer that flushes
// with Z_SYNC_FLUSH always leaves it so; Z_PARTIAL_FLUSH may not.
bool between_blocks(const z_stream& z) { return (z.data_type & 128) != 0 && (z.data_type & (64 | 63)) == 0; }

}  // namespace

struct deflate_codec::state {
  std::size_t allocated = 0;  // by zlib, for both streams
  z_stream def{};
  z_stream inf{};
  bool def_live = false;
  bool inf_live = false;
  bool ended = false;  // the peer sent a last block
};

deflate_codec::deflate_codec(const deflate_options& opts) : opts_(opts) {}

deflate_codec::~deflate_codec() {
  if (!s_) return;
  if (s_->def_live) deflateEnd(&s_->def);
  if (s_->inf_live) inflateEnd(&s_->inf);
}

void deflate_codec::deflater() {
  if (!s_) s_ = std::make_unique<state>();
  if (s_->def_live) return;
  auto& z = s_->def;
  z = z_stream{};
  z.zalloc = counted_alloc;
  z.zfree = counted_free;
  z.opaque = &s_->allocated;
  // Negative window bits: raw DEFLATE, no zlib header (RFC 4978 §3).
  if (deflateInit2(&z, opts_.level, Z_DEFLATED, -opts_.window_bits, opts_.mem_level, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::bad_alloc();
  s_->def_live = true;
  if (!sent_history_.empty()) {
    // Our last block ended at a sync flush: the peer holds these octets as
    // its history, and new blocks may refer back into them.
    deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(sent_history_.data()),
                         static_cast<uInt>(sent_history_.size()));
    std::string().swap(sent_history_);
  }
}

void deflate_codec::inflater() {
  if (!s_) s_ = std::make_unique<state>();
  if (s_->inf_live) return;
  auto& z = s_->inf;
  z = z_stream{};
  z.zalloc = counted_alloc;
  z.zfree = counted_free;
  z.opaque = &s_->allocated;
  if (inflateInit2(&z, -peer_window_bits) != Z_OK) throw std::bad_alloc();
  s_->inf_live = true;
  if (!received_history_.empty()) {
    // zlib: for raw inflate the dictionary may be set at any time.
    inflateSetDictionary(&z, reinterpret_cast<const Bytef*>(received_history_.data()),
                         static_cast<uInt>(received_history_.size()));
    std::string().swap(received_history_);
  }
}

void deflate_codec::compress(std::string_view in, std::string& out) {
  if (in.empty()) return;
  deflater();
  auto& z = s_->def;
  auto start = out.size();
  while (!in.empty()) {
    auto piece = std::min<std::size_t>(in.size(), UINT_MAX / 2);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(piece);
    in.remove_prefix(piece);
    // Z_SYNC_FLUSH only after the last piece: what the caller writes is
    // one response boundary (RFC 4978 §4: flush where the peer waits).
    int flush = in.empty() ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    for (;;) {
      auto old = out.size();
      auto room = std::max<std::size_t>(4096, z.avail_in / 2 + 64);
      out.resize(old + room);
      z.next_out = reinterpret_cast<Bytef*>(out.data() + old);
      z.avail_out = static_cast<uInt>(room);
      int r = deflate(&z, flush);
      out.resize(old + room - z.avail_out);
      if (r == Z_STREAM_ERROR) throw std::logic_error("deflate: inconsistent stream state");
      // zlib: with all input taken, an avail_out left over means the flush
      // is complete; none left means it may have more to give.
      if (z.avail_in == 0 && z.avail_out != 0) break;
    }
  }
  raw_out_ += out.size() - start;
}

char* deflate_codec::prepare(std::size_t n) {
  if (in_pos_ > 0) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  prepared_from_ = in_.size();
  in_.resize(prepared_from_ + n);
  return in_.data() + prepared_from_;
}

void deflate_codec::commit(std::size_t n) {
  in_.resize(prepared_from_ + n);
  raw_in_ += n;
}

std::size_t deflate_codec::decompress(char* buf, std::size_t n) {
  if (!input_pending() || n == 0) return 0;
  inflater();
  if (s_->ended) throw deflate_error("input after the end of the compressed stream");
  auto& z = s_->inf;
  auto avail = std::min<std::size_t>(in_.size() - in_pos_, UINT_MAX / 2);
  auto room = std::min<std::size_t>(n, UINT_MAX / 2);
  z.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
  z.avail_in = static_cast<uInt>(avail);
  z.next_out = reinterpret_cast<Bytef*>(buf);
  z.avail_out = static_cast<uInt>(room);
  int r = inflate(&z, Z_SYNC_FLUSH);
  in_pos_ += avail - z.avail_in;
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  }
  auto produced = room - z.avail_out;
  more_out_ = produced == room;
  switch (r) {
    case Z_OK:
    case Z_BUF_ERROR:  // no progress possible without more input
      break;
    case Z_STREAM_END:
      // RFC 4978 has no end to the stream; a peer that ends it can send
      // nothing more that we could read.
      s_->ended = true;
      more_out_ = false;
      break;
    case Z_MEM_ERROR:
      throw std::bad_alloc();
    default:  // Z_DATA_ERROR, Z_NEED_DICT
      throw deflate_error(std::string("DEFLATE: ") + (z.msg ? z.msg : "bad data"));
  }
  return produced;
}

bool deflate_codec::input_pending() const { return in_pos_ < in_.size() || more_out_; }

void deflate_codec::release() {
  if (!s_) return;
  if (s_->inf_live && !input_pending() && between_blocks(s_->inf) && !s_->ended) {
    received_history_.resize(std::size_t{1} << peer_window_bits);
    uInt len = 0;
    inflateGetDictionary(&s_->inf, reinterpret_cast<Bytef*>(received_history_.data()), &len);
    received_history_.resize(len);
    received_history_.shrink_to_fit();
    inflateEnd(&s_->inf);
    s_->inf_live = false;
  }
  if (s_->def_live) {
    // Every compress() ended with a sync flush: no input or output waits.
    sent_history_.resize(std::size_t{1} << opts_.window_bits);
    uInt len = 0;
    deflateGetDictionary(&s_->def, reinterpret_cast<Bytef*>(sent_history_.data()), &len);
    sent_history_.resize(len);
    sent_history_.shrink_to_fit();
    deflateEnd(&s_->def);
    s_->def_live = false;
  }
  if (!s_->def_live && !s_->inf_live && !s_->ended) s_.reset();
  if (in_.empty()) std::string().swap(in_);
}

std::size_t deflate_codec::memory() const {
  std::size_t n = sent_history_.capacity() + received_history_.capacity() + in_.capacity();
  if (s_) n += sizeof(state) + s_->allocated;
  return n;
}

}  // namespace lemonade::net
