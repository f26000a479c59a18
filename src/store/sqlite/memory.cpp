// SQLite's slab allocator. See memory.hpp for why.

#include "store/sqlite/memory.hpp"

#include <sys/mman.h>

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <utility>

namespace lemonade::store::sqlite {
namespace {

constexpr std::size_t slab_size = 256 * 1024;  // also the alignment of every mapping
constexpr std::size_t max_small = 64 * 1024;
constexpr std::size_t large_granule = 64 * 1024;  // large blocks are multiples of it
constexpr std::uint32_t small_magic = 0x534c4142;  // "SLAB"
constexpr std::uint32_t large_magic = 0x4c415247;  // "LARG"

// Size classes 16, 24, 32, 48, 64, 96, ... 49152, 65536: each power of two
// and one and a half times it.
constexpr std::size_t class_count = 25;
constexpr std::array<std::size_t, class_count> class_sizes = [] {
  std::array<std::size_t, class_count> s{};
  std::size_t p = 16;
  for (std::size_t i = 0; i < class_count; i += 2, p *= 2) {
    s[i] = p;
    if (i + 1 < class_count) s[i + 1] = p + p / 2;
  }
  return s;
}();
static_assert(class_sizes[class_count - 1] == max_small);

std::size_t class_of(std::size_t n) {
  std::size_t i = 0;
  while (class_sizes[i] < n) ++i;
  return i;
}

// At the start of every mapping, so a block finds its header by masking.
struct alignas(16) header {
  std::uint32_t magic;
  std::uint32_t cls;      // small: the size class
  std::size_t length;     // large: bytes mapped; small: slab_size
  header* prev;           // small: the class's list of slabs with free blocks
  header* next;
  void* free_list;        // small: freed blocks, linked through their first word
  char* bump;             // small: blocks never handed out start here
  std::uint32_t used;     // small: blocks handed out
  bool listed;            // small: on the class's list
};
constexpr std::size_t header_room = (sizeof(header) + 15) / 16 * 16;

header* header_of(const void* p) {
  return reinterpret_cast<header*>(reinterpret_cast<std::uintptr_t>(p) & ~(slab_size - 1));
}

std::atomic<std::size_t> mapped_bytes{0};
std::atomic<std::size_t> live_blocks{0};

// length bytes at a slab_size-aligned address, or nullptr.
void* map_aligned(std::size_t length) {
  std::size_t span = length + slab_size;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  auto start = reinterpret_cast<std::uintptr_t>(raw);
  auto aligned = (start + slab_size - 1) & ~(slab_size - 1);
  if (aligned > start) munmap(raw, aligned - start);
  auto end = start + span;
  if (end > aligned + length) munmap(reinterpret_cast<void*>(aligned + length), end - (aligned + length));
  mapped_bytes += length;
  return reinterpret_cast<void*>(aligned);
}

void unmap(header* h) {
  mapped_bytes -= h->length;
  munmap(h, h->length);
}

struct size_class {
  std::mutex mu;
  header* partial = nullptr;  // slabs with a free block
  header* spares = nullptr;   // empty slabs, linked through next, until release_free_memory
};
std::array<size_class, class_count> classes;

// Freed large blocks, linked through next, kept for a block of the same
// length (SQLite asks for the same few sizes again and again: a
// connection's lookaside, sorter buffers) until release_free_memory.
// Unmapping each one at once cost 12% of the server's CPU in TLB
// shootdowns under the population benchmark.
struct large_cache {
  std::mutex mu;
  header* free = nullptr;
} large;

void list_push(size_class& c, header* h) {
  h->prev = nullptr;
  h->next = c.partial;
  if (c.partial) c.partial->prev = h;
  c.partial = h;
  h->listed = true;
}

void list_remove(size_class& c, header* h) {
  if (h->prev) h->prev->next = h->next;
  else c.partial = h->next;
  if (h->next) h->next->prev = h->prev;
  h->prev = h->next = nullptr;
  h->listed = false;
}

bool slab_full(const header* h) {
  return !h->free_list && h->bump + class_sizes[h->cls] > reinterpret_cast<const char*>(h) + slab_size;
}

void* alloc_small(std::size_t cls) {
  auto& c = classes[cls];
  std::lock_guard lock(c.mu);
  header* h = c.partial;
  if (!h) {
    h = c.spares;
    if (h) {
      c.spares = h->next;
    } else {
      h = static_cast<header*>(map_aligned(slab_size));
      if (!h) return nullptr;
      h->magic = small_magic;
      h->cls = static_cast<std::uint32_t>(cls);
      h->length = slab_size;
      h->free_list = nullptr;
      h->bump = reinterpret_cast<char*>(h) + header_room;
      h->used = 0;
    }
    list_push(c, h);
  }
  void* p;
  if (h->free_list) {
    p = h->free_list;
    h->free_list = *static_cast<void**>(p);
  } else {
    p = h->bump;
    h->bump += class_sizes[cls];
  }
  ++h->used;
  if (slab_full(h)) list_remove(c, h);
  return p;
}

void free_small(header* h, void* p) {
  auto& c = classes[h->cls];
  std::lock_guard lock(c.mu);
  *static_cast<void**>(p) = h->free_list;
  h->free_list = p;
  --h->used;
  if (h->used == 0) {
    // An empty slab waits, mapped, for reuse or for release_free_memory:
    // no system call on the path of a query.
    if (h->listed) list_remove(c, h);
    h->free_list = nullptr;
    h->bump = reinterpret_cast<char*>(h) + header_room;
    h->next = c.spares;
    c.spares = h;
  } else if (!h->listed) {
    list_push(c, h);
  }
}

// SQLite's interface (sqlite3_mem_methods). Sizes are ints there.
void* x_malloc(int n) { return memory_alloc(static_cast<std::size_t>(n)); }
void x_free(void* p) { memory_free(p); }
void* x_realloc(void* p, int n) { return memory_realloc(p, static_cast<std::size_t>(n)); }
int x_size(void* p) { return p ? static_cast<int>(memory_size(p)) : 0; }
int x_roundup(int n) {
  auto size = static_cast<std::size_t>(n);
  if (size <= max_small) return static_cast<int>(class_sizes[class_of(size)]);
  return static_cast<int>((header_room + size + large_granule - 1) / large_granule * large_granule - header_room);
}
int x_init(void*) { return SQLITE_OK; }
void x_shutdown(void*) {}

}  // namespace

void* memory_alloc(std::size_t n) {
  if (n == 0) n = 1;
  void* p = nullptr;
  if (n <= max_small) {
    p = alloc_small(class_of(n));
  } else {
    std::size_t length = (header_room + n + large_granule - 1) / large_granule * large_granule;
    header* h = nullptr;
    {
      std::lock_guard lock(large.mu);
      for (header** at = &large.free; *at; at = &(*at)->next)
        if ((*at)->length == length) {
          h = *at;
          *at = h->next;
          break;
        }
    }
    if (!h) h = static_cast<header*>(map_aligned(length));
    if (h) {
      h->magic = large_magic;
      h->length = length;
      p = reinterpret_cast<char*>(h) + header_room;
    }
  }
  if (p) ++live_blocks;
  return p;
}

void memory_free(void* p) {
  if (!p) return;
  --live_blocks;
  header* h = header_of(p);
  if (h->magic == large_magic) {
    std::lock_guard lock(large.mu);
    h->next = large.free;
    large.free = h;
  } else {
    free_small(h, p);
  }
}

std::size_t memory_size(const void* p) {
  const header* h = header_of(p);
  if (h->magic == large_magic) return h->length - header_room;
  return class_sizes[h->cls];
}

void* memory_realloc(void* p, std::size_t n) {
  if (!p) return memory_alloc(n);
  std::size_t have = memory_size(p);
  // Keep the block when it still fits and would not waste more than half.
  if (n <= have && n >= have / 2) return p;
  void* q = memory_alloc(n);
  if (!q) return nullptr;  // SQLite keeps p, as with realloc
  std::memcpy(q, p, std::min(have, n));
  memory_free(p);
  return q;
}

bool install_memory_allocator() {
  static const bool installed = [] {
    static const sqlite3_mem_methods methods{x_malloc, x_free, x_realloc, x_size, x_roundup, x_init, x_shutdown,
                                             nullptr};
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) != SQLITE_OK) return false;
    // SQLite's memory statistics (sqlite3_memory_used and the heap limits,
    // which nothing here uses) take one process-wide mutex around every
    // allocation and free; under the population benchmark eight threads
    // waited on it: 4% of the server's CPU in futex calls from sqlite3Malloc
    // and sqlite3_free alone. Off, an allocation takes only its size
    // class's lock. allocator_stats() counts what the server needs.
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  }();
  return installed;
}

namespace {
// Unmaps every block of a list linked through next; returns the bytes.
std::size_t unmap_list(header* list) {
  std::size_t released = 0;
  while (list) {
    header* next = list->next;
    released += list->length;
    unmap(list);
    list = next;
  }
  return released;
}
}  // namespace

std::size_t release_free_memory() {
  // Each list is taken under its lock and unmapped outside it.
  auto take = [](std::mutex& mu, header*& list) {
    std::lock_guard lock(mu);
    return std::exchange(list, nullptr);
  };
  std::size_t released = unmap_list(take(large.mu, large.free));
  for (auto& c : classes) released += unmap_list(take(c.mu, c.spares));
  return released;
}

memory_stats allocator_stats() { return {mapped_bytes.load(), live_blocks.load()}; }

}  // namespace lemonade::store::sqlite
