#pragma once
// What a message gets before it is stored (DESIGN.md §4): its MIME
// structure, the text SEARCH matches, its Date: day and its SORT/THREAD
// keys, computed once here
// for every way mail arrives (APPEND, delivery), so FETCH and SEARCH never
// parse a message again. CPU work: call it off the network threads.

#include "mime/structure.hpp"
#include "store/api/types.hpp"

namespace lemonade::mailbox {

struct describe_limits {
  mime::parse_limits parse;
  std::size_t max_search_body = std::size_t{4} << 20;  // octets of body text indexed
};

// Fills m.structure, m.search_headers, m.search_body, m.sent_day and
// m.sort_info from m.data (and m.internal_date for a missing Date:).
void describe(store::new_message& m, const describe_limits& limits = {});

}  // namespace lemonade::mailbox
