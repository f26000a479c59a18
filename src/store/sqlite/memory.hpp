#pragma once
// SQLite's memory, kept apart from the rest of the process.
//
// Why: pooled connections (pool.hpp) come and go in bursts: a thousand
// phones logging in after a restart open hundreds of connections, each
// with its page cache, schema and statements, for a few seconds. Taken
// from the C library's heap, those megabytes interleave with the small
// blocks that live on (accounts, selected-mailbox views, sessions), and
// once the connections close the heap cannot be given back: malloc_trim
// only returns whole free pages. Measured with 300 idle phones: the same
// 4.2 MB in use, but 42 MB of heap held with 256 pooled connections
// against 9 MB with 16, i.e. 24 KiB PSS per idle phone instead of 14.
//
// So SQLite gets an allocator of its own (sqlite3_config
// SQLITE_CONFIG_MALLOC): blocks up to 64 KiB come from 256 KiB slabs, one
// list of slabs per size class (16, 24, 32, 48, ... bytes: at most a third
// wasted), each slab mapped with mmap and unmapped as soon as its last
// block is freed and release_free_memory() runs (the server calls it with
// malloc_trim, every server.memory_trim_interval); larger blocks are mapped
// on their own, kept for reuse when freed, and unmapped at the same time. When the connections close, their memory
// goes back to the system whatever else lives on.
//
// Thread-safe: one mutex per size class.

#include <cstddef>

namespace lemonade::store::sqlite {

// Makes SQLite allocate through the slab allocator. Must run before SQLite
// is initialised (the first connection opens); later calls do nothing.
// Returns false if SQLite refused (it was already initialised).
bool install_memory_allocator();

// Unmaps the slabs that have been empty since they were last used.
// Returns the bytes given back.
std::size_t release_free_memory();

struct memory_stats {
  std::size_t mapped = 0;  // bytes mapped for SQLite now, slabs and large blocks
  std::size_t blocks = 0;  // blocks allocated and not yet freed
};
memory_stats allocator_stats();

// The allocator itself, for tests; SQLite reaches it through sqlite3_malloc.
void* memory_alloc(std::size_t n);
void memory_free(void* p);
void* memory_realloc(void* p, std::size_t n);
std::size_t memory_size(const void* p);

}  // namespace lemonade::store::sqlite
