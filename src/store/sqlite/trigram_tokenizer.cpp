#include "store/sqlite/trigram_tokenizer.hpp"

#include <cstdint>
#include <cstring>

#include "store/sqlite/db.hpp"

namespace lemonade::store::sqlite {
namespace {

// The trigrams seen in the text being tokenized: open addressing, reused
// from call to call (a generation number empties it). A trigram of up to 7
// octets (every one of ASCII text, most of Latin text) is its own key, its
// octets and length packed in 64 bits, so a lookup compares one integer; a
// longer one keys by a hash and its length, and a match is confirmed
// against the text (offset kept in the slot). At most max_slots slots
// (16 MB); once half full the rest of a huge text goes to FTS5 with its
// repeats, which only costs time.
class seen_set {
 public:
  void start(std::size_t trigrams) {
    std::size_t want = 64;
    while (want < 2 * trigrams && want < max_slots) want *= 2;
    if (slots_.size() < want) slots_.assign(want, slot{});
    mask_ = want - 1;
    used_ = 0;
    if (++gen_ == 0) {  // wrapped: every slot must read as empty
      slots_.assign(slots_.size(), slot{});
      gen_ = 1;
    }
  }
  // True the first time a trigram is seen (or when the set is full).
  bool first(const char* text, std::uint32_t at, std::uint32_t len) {
    if (2 * used_ > mask_) return true;
    const bool packed = len <= 7;
    std::uint64_t key = 0;
    if (packed) {
      for (std::uint32_t i = 0; i < len; ++i)
        key |= std::uint64_t{static_cast<unsigned char>(text[at + i])} << (8 * i);
    } else {
      key = 1469598103934665603ull;  // FNV-1a
      for (std::uint32_t i = 0; i < len; ++i)
        key = (key ^ static_cast<unsigned char>(text[at + i])) * 1099511628211ull;
      key &= (std::uint64_t{1} << 56) - 1;
    }
    key |= std::uint64_t{len} << 56;
    // Fibonacci hashing: the high half of the product mixes every octet.
    auto h = key * 0x9E3779B97F4A7C15ull;
    for (auto i = static_cast<std::size_t>(h >> 32) & mask_;; i = (i + 1) & mask_) {
      auto& s = slots_[i];
      if (s.gen != gen_) {
        s = {key, gen_, at};
        ++used_;
        return true;
      }
      if (s.key == key && (packed || std::memcmp(text + s.at, text + at, len) == 0)) return false;
    }
  }

 private:
  static constexpr std::size_t max_slots = std::size_t{1} << 20;
  struct slot {
    std::uint64_t key = 0;  // octets (or hash) | length << 56
    std::uint32_t gen = 0;
    std::uint32_t at = 0;  // where the trigram is in the text
  };
  std::vector<slot> slots_;
  std::size_t mask_ = 0;
  std::size_t used_ = 0;
  std::uint32_t gen_ = 0;
};

thread_local seen_set seen;

int next_char(const char* text, int n, int i) {
  ++i;
  while (i < n && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  return i;
}

// Calls emit(offset, end) for each distinct trigram; stops at a non-zero
// return and passes it on.
template <class F>
int each_trigram(const char* text, int n, F emit) {
  if (n < 3) return SQLITE_OK;
  seen.start(static_cast<std::size_t>(n));
  int a = 0, b = next_char(text, n, a), c = b < n ? next_char(text, n, b) : n, d = c < n ? next_char(text, n, c) : n;
  while (c < n) {
    // [a, d): the characters starting at a, b and c.
    if (seen.first(text, static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(d - a)))
      if (int rc = emit(a, d); rc != SQLITE_OK) return rc;
    a = b;
    b = c;
    c = d;
    d = d < n ? next_char(text, n, d) : n;
  }
  return SQLITE_OK;
}

int create(void*, const char**, int n_args, Fts5Tokenizer** out) {
  if (n_args != 0) return SQLITE_ERROR;
  static int instance;  // stateless: one shared handle
  *out = reinterpret_cast<Fts5Tokenizer*>(&instance);
  return SQLITE_OK;
}

void destroy(Fts5Tokenizer*) {}

int tokenize(Fts5Tokenizer*, void* ctx, int, const char* text, int n,
             int (*token)(void*, int, const char*, int, int, int)) {
  return each_trigram(text, n, [&](int from, int to) { return token(ctx, 0, text + from, to - from, from, to); });
}

}  // namespace

void register_trigram_tokenizer(sqlite3* h) {
  // FTS5's API pointer, as its documentation says to get it.
  fts5_api* api = nullptr;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, "SELECT fts5(?1)", -1, &st, nullptr) != SQLITE_OK)
    throw db_error(sqlite3_errcode(h), std::string("FTS5 is not available: ") + sqlite3_errmsg(h));
  sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", nullptr);
  sqlite3_step(st);
  sqlite3_finalize(st);
  if (!api || api->iVersion < 2) throw db_error(SQLITE_ERROR, "FTS5 is not available");
  static fts5_tokenizer methods{create, destroy, tokenize};
  if (int rc = api->xCreateTokenizer(api, "lemonade_trigram", nullptr, &methods, nullptr); rc != SQLITE_OK)
    throw db_error(rc, "cannot register the SEARCH tokenizer");
}

std::vector<std::string> trigram_tokens(std::string_view text) {
  std::vector<std::string> out;
  each_trigram(text.data(), static_cast<int>(text.size()), [&](int from, int to) {
    out.emplace_back(text.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(to - from)));
    return SQLITE_OK;
  });
  return out;
}

}  // namespace lemonade::store::sqlite
