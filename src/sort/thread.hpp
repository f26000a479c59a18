#pragma once
// RFC 5256 §3 THREAD: the ORDEREDSUBJECT and REFERENCES algorithms over
// stored sort_info values, and the §4 THREAD response syntax.
//
// The result is a flat forest (nodes by index, children as index lists),
// never a recursive value: a reply chain 100,000 messages deep must not
// recurse on the way in, on the way out, or in a destructor. Every step
// here is iterative.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sort/sort_info.hpp"

namespace lemonade::sort {

enum class thread_algorithm : std::uint8_t {
  orderedsubject,  // RFC 5256 §3 "ORDEREDSUBJECT"
  references,      // RFC 5256 §3 "REFERENCES"
};

// One message to thread. The span passed to thread_messages is in mailbox
// order (ascending sequence number): that order breaks ties between equal
// sent dates (RFC 5256 §2.2) and decides which of several messages with
// one Message-ID keeps it (RFC 5256 §3 REFERENCES step 1A, "the first
// (lowest sequence number) message").
struct thread_message {
  std::uint32_t id = 0;  // what the response shows: sequence number or UID
  std::int64_t internal_date = 0;  // used only when info is nullptr
  // Borrowed, must outlive the call. nullptr (no stored info) threads as a
  // message with no header fields, sent at its internal date.
  const sort_info* info = nullptr;
};

struct thread_node {
  std::uint32_t id = 0;  // the message's id; 0 for a dummy
  bool dummy = false;    // a placeholder parent (REFERENCES only, top level only)
  std::vector<std::uint32_t> children;  // indices in thread_forest::nodes, in order
  friend bool operator==(const thread_node&, const thread_node&) = default;
};

struct thread_forest {
  std::vector<thread_node> nodes;
  std::vector<std::uint32_t> roots;  // indices in nodes, in order
  friend bool operator==(const thread_forest&, const thread_forest&) = default;
};

// RFC 5256 §3 THREAD over messages (see thread_message for the order it
// expects). Every message appears exactly once in the result.
//   ORDEREDSUBJECT: messages grouped by base subject (equal casemap keys);
//     in each thread the earliest message is the root and the others are
//     its children, by sent date; threads ordered by their root's sent date.
//   REFERENCES: steps 1-6 (links from References/In-Reply-To, dummy
//     parents, loop avoidance, pruning, merging by base subject, siblings
//     by sent date).
// Worst case O(n * depth) for the loop checks of REFERENCES step 1; real
// mail threads are shallow. Never throws except std::bad_alloc.
thread_forest thread_messages(thread_algorithm algorithm, std::span<const thread_message> messages);

// RFC 5256 §4 the thread data of a THREAD response: one thread-list per
// root, e.g. "(2)(3 6 (4 23)(44 7 96))": a message with one child is
// followed by it inline, several children are each parenthesised, a dummy
// shows only its parenthesised children. "" for an empty forest (the
// response is then "* THREAD").
std::string format_thread_list(const thread_forest& forest);

}  // namespace lemonade::sort
