// Fuzz target: the sort layer on untrusted bytes.
//   - the input as a stored sort_info row: refused, or a value that stores
//     back to exactly the same octets;
//   - the input as a message: compute_sort_info, its storage round trip;
//   - the input as a Subject value: base subject extraction is stable and
//     valid UTF-8; as a Date: value: parse_date_time reads a date exactly
//     when parse_date_day does; as a msg-id list: every id storable;
//   - sort_order and both THREAD algorithms over infos built from slices of
//     the input: permutations, every message once, dummies only on top.
// Any broken invariant aborts with a line saying which.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mime/charset.hpp"
#include "mime/parser.hpp"
#include "sort/base_subject.hpp"
#include "sort/collate.hpp"
#include "sort/sort_info.hpp"
#include "sort/thread.hpp"

namespace {

using namespace lemonade;
using namespace lemonade::sort;

#define CHECK(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

bool valid_utf8(std::string_view s) { return mime::repair_utf8(s) == s; }

void check_stored(std::string_view input) {
  auto info = sort_info::deserialize(input);
  if (!info) return;
  CHECK(info->serialize() == input);
  CHECK(sort_info(info->fields()) == *info);
  CHECK(info->references().size() <= max_references);
}

void check_message(std::string_view input) {
  auto s = mime::parse_message(input);
  auto info = compute_sort_info(input, s, 1234567890);
  auto back = sort_info::deserialize(info.serialize());
  CHECK(back && *back == info);
  for (auto r : info.references()) CHECK(!r.empty() && r.find('@') != std::string_view::npos);
}

void check_fields(std::string_view input) {
  auto v = input.substr(0, 1024);
  auto base = extract_base_subject(v);
  CHECK(valid_utf8(base.text));
  CHECK(extract_base_subject_utf8(base.text).text == base.text);
  auto key = casemap_key(v);
  if (valid_utf8(v)) CHECK(valid_utf8(key));
  else CHECK(key == v);
  CHECK(casemap_compare(v, v) == 0);
  CHECK(mime::parse_date_day(v).has_value() == mime::parse_date_time(v).has_value());
  for (auto& id : parse_msg_ids(v)) {
    CHECK(!id.empty() && id.find('@') != std::string::npos);
    CHECK(id.find_first_of(" \t\r\n") == std::string::npos);
  }
}

// Up to 24 infos from slices of the input: each slice's octets pick a
// subject, a date, a Message-ID and references from small pools, so
// duplicates, dangling references and cycles are common.
std::vector<sort_info> infos_from(std::string_view input) {
  static const char* subjects[] = {"a", "Re: a", "b", "[l] b", "Fwd: a", "", "a (fwd)", "[fwd: b]"};
  std::vector<sort_info> infos;
  for (std::size_t pos = 0; pos + 4 <= input.size() && infos.size() < 24; pos += 4) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(input[pos + k]); };
    auto base = extract_base_subject(subjects[b(0) % 8]);
    sort_fields f;
    f.sent_date = static_cast<std::int64_t>(b(1) % 8) - 3;
    f.subject = casemap_key(base.text);
    f.reply_or_forward = base.reply_or_forward;
    f.from = std::string(1, static_cast<char>('a' + b(1) % 3));
    if (b(2) & 1) f.message_id = "m" + std::to_string(b(2) % 16) + "@x";
    for (int r = 0; r < (b(3) & 3); ++r) f.references.push_back("m" + std::to_string((b(3) >> (2 + r * 2)) % 16) + "@x");
    infos.emplace_back(f);
  }
  return infos;
}

void check_sort_and_thread(std::string_view input) {
  auto infos = infos_from(input);
  std::vector<sort_message> ms;
  std::vector<thread_message> ts;
  for (std::uint32_t i = 0; i < infos.size(); ++i) {
    ms.push_back({i + 1, i + 1, static_cast<std::int64_t>(i % 3), i % 5, (i % 7 == 6) ? nullptr : &infos[i]});
    ts.push_back({i + 1, 0, ms.back().info});
  }
  std::vector<sort_criterion> criteria;
  for (std::size_t k = 0; k < input.size() && k < 3; ++k)
    criteria.push_back({static_cast<sort_key>(static_cast<unsigned char>(input[k]) % 9), (input[k] & 0x10) != 0});
  auto order = sort_order(ms, criteria);
  auto sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (std::uint32_t i = 0; i < sorted.size(); ++i) CHECK(sorted[i] == i);

  for (auto algorithm : {thread_algorithm::orderedsubject, thread_algorithm::references}) {
    auto f = thread_messages(algorithm, ts);
    std::vector<int> seen(ts.size() + 1, 0);
    std::vector<bool> top(f.nodes.size(), false);
    for (auto r : f.roots) top[r] = true;
    for (std::size_t i = 0; i < f.nodes.size(); ++i) {
      auto& n = f.nodes[i];
      for (auto c : n.children) CHECK(c < f.nodes.size() && !top[c]);
      if (n.dummy) {
        CHECK(top[i] && n.children.size() >= 2);
      } else {
        CHECK(n.id >= 1 && n.id <= ts.size());
        ++seen[n.id];
      }
    }
    for (std::size_t id = 1; id <= ts.size(); ++id) CHECK(seen[id] == 1);
    auto text = format_thread_list(f);
    CHECK(std::count(text.begin(), text.end(), '(') == std::count(text.begin(), text.end(), ')'));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_stored(input);
  check_message(input);
  check_fields(input);
  check_sort_and_thread(input);
  return 0;
}
