// RFC 5256 §3 THREAD=ORDEREDSUBJECT and THREAD=REFERENCES, §4 response
// syntax. Messages and dummies are "containers" numbered 0..n-1 (the
// messages, in mailbox order) and n.. (dummies); the trees are index
// lists, walked with explicit stacks.
#include "sort/thread.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <utility>


namespace lemonade::sort {
namespace {

constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

const sort_info no_info;

const sort_info& info_of(const thread_message& m) noexcept { return m.info ? *m.info : no_info; }
std::int64_t date_of(const thread_message& m) noexcept { return m.info ? m.info->sent_date() : m.internal_date; }

// RFC 5256 §2.2 order: sent date, then mailbox order.
using date_key = std::pair<std::int64_t, std::uint32_t>;

// Copies the trees below roots into a thread_forest, in order, without
// recursion. children(x) gives container x's children; id(x) its
// thread_node, children left empty.
template <class Children, class Node>
thread_forest emit(const std::vector<std::uint32_t>& roots, Children children, Node node) {
  thread_forest f;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> stack;  // (container, parent node or none)
  for (auto it = roots.rbegin(); it != roots.rend(); ++it) stack.emplace_back(*it, none);
  while (!stack.empty()) {
    auto [x, parent] = stack.back();
    stack.pop_back();
    auto index = static_cast<std::uint32_t>(f.nodes.size());
    f.nodes.push_back(node(x));
    if (parent == none) f.roots.push_back(index);
    else f.nodes[parent].children.push_back(index);
    const std::vector<std::uint32_t>& kids = children(x);
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.emplace_back(*it, index);
  }
  return f;
}

// ---- ORDEREDSUBJECT ----

// RFC 5256 §3 ORDEREDSUBJECT: "The searched messages are sorted by base
// subject and then by the sent date. The messages are then split into
// separate threads, with each thread containing messages with the same
// base subject text. Finally, the threads are sorted by the sent date of
// the first message in the thread." The first message is the root, the
// others its children: "there are no grandchildren in ORDEREDSUBJECT".
thread_forest ordered_subject(std::span<const thread_message> m) {
  // SORT (SUBJECT DATE), mailbox order breaking ties.
  std::vector<sort_message> as_sort(m.size());
  for (std::size_t i = 0; i < m.size(); ++i)
    as_sort[i] = {static_cast<std::uint32_t>(i + 1), m[i].id, m[i].internal_date, 0, m[i].info};
  const sort_criterion by_subject_date[] = {{sort_key::subject, false}, {sort_key::date, false}};
  auto order = sort_order(as_sort, by_subject_date);
  auto key = [&](std::uint32_t i) { return date_key{date_of(m[i]), i}; };
  // Each thread as [begin, end) in order; its first message is its root.
  std::vector<std::pair<std::size_t, std::size_t>> threads;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i + 1;
    while (j < order.size() && info_of(m[order[j]]).subject() == info_of(m[order[i]]).subject()) ++j;
    threads.emplace_back(i, j);
    i = j;
  }
  std::sort(threads.begin(), threads.end(),
            [&](const auto& a, const auto& b) { return key(order[a.first]) < key(order[b.first]); });

  thread_forest f;
  f.nodes.reserve(m.size());
  for (auto [begin, end] : threads) {
    auto root = static_cast<std::uint32_t>(f.nodes.size());
    f.roots.push_back(root);
    f.nodes.push_back({m[order[begin]].id, false, {}});
    f.nodes[root].children.reserve(end - begin - 1);
    for (std::size_t k = begin + 1; k < end; ++k) {
      f.nodes[root].children.push_back(static_cast<std::uint32_t>(f.nodes.size()));
      f.nodes.push_back({m[order[k]].id, false, {}});
    }
  }
  return f;
}

// ---- REFERENCES ----

class references_threader {
 public:
  explicit references_threader(std::span<const thread_message> m)
      : m_(m), n_(static_cast<std::uint32_t>(m.size())), parent_(m.size(), none), child_count_(m.size(), 0) {}

  thread_forest run() {
    register_message_ids();
    for (std::uint32_t i = 0; i < n_; ++i) link_references(i);  // step 1
    build_children();
    auto roots = prune(collect_roots());  // steps 2 and 3
    sort_top_level(roots);                // step 4
    roots = merge_by_subject(roots);      // step 5
    sort_every_level(roots);              // step 6
    return emit(
        roots, [this](std::uint32_t x) -> const std::vector<std::uint32_t>& { return children_[x]; },
        [this](std::uint32_t x) { return is_dummy(x) ? thread_node{0, true, {}} : thread_node{m_[x].id, false, {}}; });
  }

 private:
  bool is_dummy(std::uint32_t x) const noexcept { return x >= n_; }
  const sort_info& info(std::uint32_t x) const noexcept { return info_of(m_[x]); }

  // Step 1A: "If two or more messages have the same Message ID, then only
  // use that Message ID in the first (lowest sequence number) message, and
  // assign a unique Message ID to each of the subsequent messages". A
  // message without a (valid) Message-ID is simply not in the table: no
  // reference can reach it, as with a unique id. "Message ID comparisons
  // are case-sensitive."
  void register_message_ids() {
    ids_.reserve(m_.size() * 2);
    for (std::uint32_t i = 0; i < n_; ++i)
      if (auto id = info(i).message_id(); !id.empty()) ids_.try_emplace(id, i);
  }

  // Step 1A: "If no message can be found with a given Message ID, create a
  // dummy message with this ID. Use this dummy message for all subsequent
  // references to this ID."
  std::uint32_t container(std::string_view id) {
    auto [it, added] = ids_.try_emplace(id, static_cast<std::uint32_t>(parent_.size()));
    if (added) {
      parent_.push_back(none);
      child_count_.push_back(0);
    }
    return it->second;
  }

  // Step 1A: "Do not create a parent/child link if creating that link would
  // introduce a loop. For example, before making message A the parent of
  // B, make sure that A is not a descendent of B." Links are only ever
  // made to a B without a parent, so A is a descendant of B exactly when
  // walking up from A reaches B; a B without children has none.
  bool would_loop(std::uint32_t a, std::uint32_t b) const noexcept {
    if (a == b) return true;
    if (child_count_[b] == 0) return false;
    for (auto x = a; x != none; x = parent_[x])
      if (x == b) return true;
    return false;
  }

  void link(std::uint32_t parent, std::uint32_t child) {
    parent_[child] = parent;
    ++child_count_[parent];
  }

  void unlink(std::uint32_t child) {
    --child_count_[parent_[child]];
    parent_[child] = none;
  }

  void link_references(std::uint32_t i) {
    // Step 1A: "Make the first reference the parent of the second (and the
    // second a child of the first), the second the parent of the third,
    // etc." ... "If a message already has a parent, don't change the
    // existing link."
    std::uint32_t previous = none;
    for (auto ref : info(i).references()) {
      auto c = container(ref);
      if (previous != none && parent_[c] == none && !would_loop(previous, c)) link(previous, c);
      previous = c;
    }
    // Step 1B: "Create a parent/child link between the last reference (or
    // NIL if there are no references) and the current message. If the
    // current message already has a parent, it is probably the result of a
    // truncated References header line, so break the current parent/child
    // link before creating the new correct one." A link that would loop is
    // not created; the message is then left without a parent (we read
    // "break ... before creating" as unconditional).
    if (parent_[i] != none) unlink(i);
    if (previous != none && !would_loop(previous, i)) link(previous, i);
  }

  void build_children() {
    children_.assign(parent_.size(), {});
    for (std::uint32_t x = 0; x < parent_.size(); ++x)
      if (parent_[x] != none) children_[parent_[x]].push_back(x);
  }

  // Step 2: "Gather together all of the messages that have no parents and
  // make them all children (siblings of one another) of a dummy parent
  // (the "root")."
  std::vector<std::uint32_t> collect_roots() const {
    std::vector<std::uint32_t> roots;
    for (std::uint32_t x = 0; x < parent_.size(); ++x)
      if (parent_[x] == none) roots.push_back(x);
    return roots;
  }

  // Step 3: "Prune dummy messages from the thread tree." Children are
  // pruned before their parents (reverse pre-order), so a dummy's child
  // list is already free of dummies when it is spliced into its parent's.
  std::vector<std::uint32_t> prune(const std::vector<std::uint32_t>& roots) {
    std::vector<std::uint32_t> preorder, stack(roots.begin(), roots.end());
    while (!stack.empty()) {
      auto x = stack.back();
      stack.pop_back();
      preorder.push_back(x);
      stack.insert(stack.end(), children_[x].begin(), children_[x].end());
    }
    for (auto it = preorder.rbegin(); it != preorder.rend(); ++it) {
      auto& kids = children_[*it];
      if (std::none_of(kids.begin(), kids.end(), [this](std::uint32_t c) { return is_dummy(c); })) continue;
      std::vector<std::uint32_t> kept;
      for (auto c : kids) {
        // "If it is a dummy message with NO children, delete it. If it is a
        // dummy message with children, delete it, but promote its children
        // to the current level."
        if (is_dummy(c)) kept.insert(kept.end(), children_[c].begin(), children_[c].end());
        else kept.push_back(c);
      }
      kids = std::move(kept);
    }
    // "Do not promote the children if doing so would make them children of
    // the root, unless there is only one child."
    std::vector<std::uint32_t> top;
    for (auto r : roots) {
      if (!is_dummy(r)) top.push_back(r);
      else if (children_[r].size() == 1) top.push_back(children_[r].front());
      else if (!children_[r].empty()) top.push_back(r);
    }
    return top;
  }

  // A dummy (only ever at the top level, with children) sorts as its first
  // child (steps 4 and 6: "use its first child for sorting").
  date_key key(std::uint32_t x) const noexcept {
    while (is_dummy(x)) {
      if (children_[x].empty()) return {std::numeric_limits<std::int64_t>::max(), x};
      x = children_[x].front();
    }
    return {date_of(m_[x]), x};
  }

  void sort_siblings(std::vector<std::uint32_t>& siblings) const {
    std::sort(siblings.begin(), siblings.end(), [this](std::uint32_t a, std::uint32_t b) { return key(a) < key(b); });
  }

  // Step 4: "Sort the messages under the root (top-level siblings only) by
  // sent date ... In the case of a dummy message, sort its children by
  // sent date and then use the first child for the top-level sort."
  void sort_top_level(std::vector<std::uint32_t>& roots) {
    for (auto r : roots)
      if (is_dummy(r)) sort_siblings(children_[r]);
    sort_siblings(roots);
  }

  // Step 5B (i): "the base subject from either the current message or its
  // first child if the current message is a dummy".
  std::string_view thread_subject(std::uint32_t x) const noexcept {
    while (is_dummy(x)) {
      if (children_[x].empty()) return {};
      x = children_[x].front();
    }
    return info(x).subject();
  }

  bool reply(std::uint32_t x) const noexcept { return !is_dummy(x) && info(x).reply_or_forward(); }

  std::uint32_t new_dummy() {
    children_.emplace_back();
    return static_cast<std::uint32_t>(children_.size() - 1);
  }

  // Step 5: "Gather together messages under the root that have the same
  // base subject text." The subject table maps a thread subject to the
  // slot in roots of the message it holds.
  std::vector<std::uint32_t> merge_by_subject(std::vector<std::uint32_t> roots) {
    std::unordered_map<std::string_view, std::size_t> table;
    table.reserve(roots.size());
    // Step 5B: one message per base subject.
    for (std::size_t slot = 0; slot < roots.size(); ++slot) {
      auto x = roots[slot];
      auto subject = thread_subject(x);
      if (subject.empty()) continue;  // 5B (ii)
      auto [it, added] = table.try_emplace(subject, slot);
      if (added) continue;  // 5B (iv), first case
      // 5B (iv): "if the message in the subject table is not a dummy, AND
      // either ... The current message is a dummy, OR The message in the
      // subject table is a reply or forward and the current message is
      // not", the current message replaces it.
      auto t = roots[it->second];
      if (!is_dummy(t) && (is_dummy(x) || (reply(t) && !reply(x)))) it->second = slot;
    }
    // Step 5C: merge threads with the same thread subject.
    std::vector<bool> merged(roots.size(), false);
    for (std::size_t slot = 0; slot < roots.size(); ++slot) {
      auto x = roots[slot];
      auto subject = thread_subject(x);
      if (subject.empty()) continue;  // 5C (ii)
      auto table_slot = table.at(subject);
      if (table_slot == slot) continue;  // 5C (iv): the message in the table
      auto t = roots[table_slot];
      merged[slot] = true;
      if (is_dummy(t) && is_dummy(x)) {
        // "If both messages are dummies, append the current message's
        // children to the children of the message in the subject table".
        children_[t].insert(children_[t].end(), children_[x].begin(), children_[x].end());
      } else if (is_dummy(t) || (reply(x) && !reply(t))) {
        // "If the message in the subject table is a dummy and the current
        // message is not" / "If the current message is a reply or forward
        // and the message in the subject table is not, make the current
        // message a child of the message in the subject table".
        children_[t].push_back(x);
      } else {
        // "Otherwise, create a new dummy message and make both the current
        // message and the message in the subject table children of the
        // dummy. Then replace the message in the subject table with the
        // dummy message." (After 5B a subject held by any dummy is held by
        // a dummy, so x is not one; were it, its children would be taken,
        // keeping dummies off the lower levels.)
        auto d = new_dummy();
        children_[d] = {t};
        if (is_dummy(x)) children_[d].insert(children_[d].end(), children_[x].begin(), children_[x].end());
        else children_[d].push_back(x);
        roots[table_slot] = d;
      }
    }
    std::vector<std::uint32_t> top;
    top.reserve(roots.size());
    for (std::size_t slot = 0; slot < roots.size(); ++slot)
      if (!merged[slot]) top.push_back(roots[slot]);
    return top;
  }

  // Step 6: "Traverse the messages under the root and sort each set of
  // siblings by sent date ... the "youngest" set of siblings are sorted
  // first". Below the top level every key is the message's own, so the
  // order among those sets does not matter; dummies (top level) are sorted
  // by their then-sorted first child, last.
  void sort_every_level(std::vector<std::uint32_t>& roots) {
    std::vector<std::uint32_t> stack(roots.begin(), roots.end());
    while (!stack.empty()) {
      auto x = stack.back();
      stack.pop_back();
      sort_siblings(children_[x]);
      stack.insert(stack.end(), children_[x].begin(), children_[x].end());
    }
    sort_siblings(roots);
  }

  std::span<const thread_message> m_;
  std::uint32_t n_;
  std::vector<std::uint32_t> parent_;       // step 1 only
  std::vector<std::uint32_t> child_count_;  // step 1 only
  std::vector<std::vector<std::uint32_t>> children_;  // from step 2 on
  std::unordered_map<std::string_view, std::uint32_t> ids_;
};

void append_number(std::string& out, std::uint32_t v) {
  char buf[16];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

thread_forest thread_messages(thread_algorithm algorithm, std::span<const thread_message> messages) {
  if (algorithm == thread_algorithm::orderedsubject) return ordered_subject(messages);
  return references_threader(messages).run();
}

std::string format_thread_list(const thread_forest& forest) {
  // RFC 5256 §4:
  //   thread-list    = "(" (thread-members / thread-nested) ")"
  //   thread-members = nz-number *(SP nz-number) [SP thread-nested]
  //   thread-nested  = 2*thread-list
  // A stack of nodes still to write and of the parentheses around them.
  constexpr std::uint32_t open = none, close = none - 1;
  std::string out;
  std::vector<std::uint32_t> stack;
  auto push_lists = [&](const std::vector<std::uint32_t>& lists) {
    for (auto it = lists.rbegin(); it != lists.rend(); ++it) {
      stack.push_back(close);
      stack.push_back(*it);
      stack.push_back(open);
    }
  };
  push_lists(forest.roots);
  while (!stack.empty()) {
    auto x = stack.back();
    stack.pop_back();
    if (x == open || x == close) {
      out += x == open ? '(' : ')';
      continue;
    }
    const auto& node = forest.nodes[x];
    if (!node.dummy) append_number(out, node.id);
    if (node.children.empty()) continue;
    if (!node.dummy) out += ' ';
    // One child continues the thread-members inline; several are a
    // thread-nested of one thread-list each. A dummy has no number, so its
    // children are always written as thread-lists.
    if (!node.dummy && node.children.size() == 1) stack.push_back(node.children.front());
    else push_lists(node.children);
  }
  return out;
}

}  // namespace lemonade::sort
