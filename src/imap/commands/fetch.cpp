// RFC 3501 §6.4.5 FETCH and §6.4.8 UID FETCH: every item (ENVELOPE,
// FLAGS, INTERNALDATE, RFC822*, BODY, BODYSTRUCTURE, UID, BODY[section]
// <partial> and BODY.PEEK), answered from the MIME structure stored at
// APPEND time: a section is a byte range of the blob, read with one pread;
// ranges above fetch_stream_threshold are streamed in pieces instead of
// being held in memory whole.
#include <algorithm>
#include <ctime>
#include <functional>

#include "auth/xenc.hpp"
#include "core/strings.hpp"
#include "imap/commands/body.hpp"
#include "imap/commands/commands.hpp"
#include "imap/commands/flags.hpp"
#include "mime/binary.hpp"
#include "mime/header.hpp"
#include "mime/parser.hpp"
#include "mime/preview.hpp"

namespace lemonade::imap::commands {

using namespace response;
using wire_list = response::list;
using kind = parse::fetch_att::kind;
using section_kind = parse::section_spec::kind;

namespace {

// Sections larger than this are streamed from the blob in pieces of this
// size; smaller ones are read whole.
constexpr std::uint64_t stream_piece = 256 * 1024;
// Messages loaded per trip to the read pool, and octets held at most
// (beyond one message's own sections).
constexpr std::size_t batch_messages = 64;
constexpr std::uint64_t batch_octets = 1024 * 1024;
// Responses waiting in the output buffer before FETCH writes them out.
constexpr std::size_t flush_at = 256 * 1024;

// RFC 3501 §9 date-time: "17-Jul-1996 02:44:25 -0700"
std::string internal_date(std::int64_t seconds, int zone_minutes) {
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t local = static_cast<std::time_t>(seconds + zone_minutes * 60);
  std::tm tm{};
  gmtime_r(&local, &tm);
  char buf[40];
  int z = zone_minutes < 0 ? -zone_minutes : zone_minutes;
  std::snprintf(buf, sizeof buf, "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d", tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone_minutes < 0 ? '-' : '+', z / 60, z % 60);
  return buf;
}

bool needs_structure(const parse::fetch_att& a) {
  // PREVIEW (LAZY) answers from the record alone (RFC 8970 §4.1); a plain
  // PREVIEW of a message stored before previews were may need the message.
  return a.what != kind::flags && a.what != kind::uid && a.what != kind::internaldate &&
         a.what != kind::rfc822_size && a.what != kind::modseq && !(a.what == kind::preview && a.lazy);
}

// Items answered from the session's view alone.
bool from_view(const parse::fetch_att& a) {
  return a.what == kind::flags || a.what == kind::uid || a.what == kind::modseq;
}

value modseq_value(const store::message_entry& m) { return wire_list{number{store::to_int(m.mod)}}; }

// Non-peek body items set \Seen (RFC 3501 §6.4.5).
// RFC 3516 §4.2: BINARY too; BINARY.PEEK and BINARY.SIZE do not.
bool sets_seen(const parse::fetch_att& a) {
  return a.what == kind::rfc822 || a.what == kind::rfc822_text ||
         ((a.what == kind::body_section || a.what == kind::binary) && !a.peek);
}

// What one body item answers: NIL, octets built here (HEADER.FIELDS), or a
// byte range of the message.
// BINARY of a large part: `decoded`, the range of its encoded body, decoded
// while it is streamed; `size` octets are sent after the first `skip`.
struct section_answer {
  enum class form { nil, octets, range, size, decoded } f = form::nil;
  std::string octets;
  mime::byte_range range;
  bool literal8 = false;     // octets hold a NUL (RFC 3516 §4.3)
  std::uint64_t size = 0;    // BINARY.SIZE; the octets a `decoded` sends
  std::uint64_t skip = 0;    // decoded octets a `decoded` skips (<partial>)
  mime::cte_kind cte = mime::cte_kind::identity;
  bool text = false;         // a `decoded` text part: CRLF line ends
};

section_answer range_answer(mime::byte_range r) {
  section_answer a;
  a.f = section_answer::form::range;
  a.range = r;
  return a;
}

// RFC 3501 §6.4.5 section-spec resolved against the structure.
section_answer resolve_section(const parse::section_spec& s, const mime::message_structure& st) {
  using mime::byte_range;
  switch (s.what) {
    case section_kind::all: {
      if (s.part.empty()) return range_answer({0, st.size});
      auto p = mime::find_part(st, s.part);
      if (!p) return {};
      return range_answer(st.parts[*p].body);
    }
    case section_kind::mime: {
      // The MIME header of a body part (for part 1 of a non-multipart
      // message: the message header).
      auto p = mime::find_part(st, s.part);
      if (!p) return {};
      return range_answer(st.parts[*p].header);
    }
    case section_kind::header:
    case section_kind::header_fields:
    case section_kind::header_fields_not:
    case section_kind::text: {
      // With a part number, only a message/rfc822 part has these.
      auto m = mime::find_message(st, s.part);
      if (!m) return {};
      if (s.what == section_kind::text) return range_answer(st.parts[*m].body);
      return range_answer(st.parts[*m].header);  // HEADER.FIELDS filters it below
    }
  }
  return {};
}

// Where a large part's decoding reads from: the blob, in pieces.
struct part_source {
  store::account_store& store;
  const store::message_record& rec;
  binary_size_cache* sizes;
};

// The decoded size of a part too large to decode in memory, and whether
// it holds a NUL: from the cache, or by decoding it once, piece by piece.
binary_size decoded_size(const part_source& src, const mime::part& part, mime::cte_kind cte, bool text) {
  auto key = src.rec.blob + ':' + std::to_string(part.body.offset) + ':' + std::to_string(part.body.length) + ':' +
             std::to_string(static_cast<int>(cte)) + (text ? ":t" : ":b");
  if (src.sizes)
    if (auto known = src.sizes->find(key)) return *known;
  binary_size found;
  mime::binary_decoder dec(cte, text);
  std::string out;
  auto count = [&] {
    found.size += out.size();
    found.has_nul = found.has_nul || out.find('\0') != std::string::npos;
    out.clear();
  };
  for (std::uint64_t at = 0; at < part.body.length;) {
    auto n = std::min(stream_piece, part.body.length - at);
    auto piece = src.store.read_message(src.rec.blob, part.body.offset + at, n);
    if (piece.size() != n) throw std::runtime_error("message blob shorter than its structure");
    dec.feed(piece, out);
    count();
    at += n;
  }
  dec.finish(out);
  count();
  if (src.sizes) src.sizes->put(key, found);
  return found;
}

// RFC 3516 §4.2-4.3: BINARY[part]<partial> and BINARY.SIZE[part]: the
// part's body with its Content-Transfer-Encoding undone (BINARY[]: the
// whole message as stored, which has no encoding of its own). A small
// part is read and decoded whole; a larger one is decoded as it is sent
// (its size learnt first, decoding it once, or from the cache). A part
// that does not exist is NIL (size 0).
template <class Read>
section_answer binary_answer(const parse::fetch_att& a, const mime::message_structure& st, Read read,
                             const part_source& src) {
  section_answer ans;
  std::optional<std::string> content;
  if (a.section.part.empty()) {
    // Stored messages hold no NUL (append.cpp): a plain range, streamed
    // like BODY[] when large.
    if (a.what == kind::binary_size) {
      ans.f = section_answer::form::size;
      ans.size = st.size;
      return ans;
    }
    ans = range_answer({0, st.size});
    if (a.partial) {
      auto [origin, length] = *a.partial;
      auto from = std::min<std::uint64_t>(origin, st.size);
      ans.range = {from, std::min<std::uint64_t>(length, st.size - from)};
    }
    if (ans.range.length <= stream_piece) {
      ans.f = section_answer::form::octets;
      ans.octets = read(ans.range);
    }
    return ans;
  }
  auto p = mime::find_part(st, a.section.part);
  if (!p) {
    if (a.what == kind::binary_size) ans.f = section_answer::form::size;
    return ans;
  }
  auto& part = st.parts[*p];
  auto cte = mime::classify_cte(part.encoding);
  // "If the server does not know how to decode the section's CTE, it
  // MUST fail the request and issue a "NO" response that contains the
  // "UNKNOWN-CTE" extended response code." The encoding's name is not
  // told: it is the message's text, which a proxy must not read.
  if (cte == mime::cte_kind::unknown) refuse("Unknown Content-Transfer-Encoding", "UNKNOWN-CTE");
  bool text = part.kind == mime::part_kind::leaf && part.type == "text";
  if (part.body.length > stream_piece) {
    auto known = decoded_size(src, part, cte, text);
    if (a.what == kind::binary_size) {
      ans.f = section_answer::form::size;
      ans.size = known.size;
      return ans;
    }
    ans.f = section_answer::form::decoded;
    ans.range = part.body;
    ans.cte = cte;
    ans.text = text;
    ans.size = known.size;
    if (a.partial) {
      // "the <partial> arguments refer to the DECODED section data"
      auto [origin, length] = *a.partial;
      ans.skip = std::min<std::uint64_t>(origin, known.size);
      ans.size = std::min<std::uint64_t>(length, known.size - ans.skip);
    }
    // Known for the whole part only: literal8 when any of it has a NUL.
    ans.literal8 = known.has_nul;
    return ans;
  }
  content = mime::binary_content(read(part.body), part);
  if (a.what == kind::binary_size) {
    ans.f = section_answer::form::size;
    ans.size = content->size();
    return ans;
  }
  if (a.partial) {
    // "the <partial> arguments refer to the DECODED section data"
    auto [origin, length] = *a.partial;
    *content = origin >= content->size() ? std::string() : content->substr(origin, length);
  }
  ans.f = section_answer::form::octets;
  // "If the domain of the decoded data is "8bit" and the data does not
  // contain the NUL octet, the server SHOULD return the data in a <string>
  // instead of a <literal8>".
  ans.literal8 = content->find('\0') != std::string::npos;
  ans.octets = std::move(*content);
  return ans;
}

// What the executor reads for one message, off the network thread.
struct message_data {
  mime::message_structure structure;
  std::vector<section_answer> answers;  // per fetch_att, in order
};

std::string slice(std::string_view whole, mime::byte_range r) {
  if (r.offset >= whole.size()) return {};
  return std::string(whole.substr(r.offset, r.length));
}

// Decodes the stored structure (or parses the message again if the row
// predates it) and reads every small section.
message_data load(store::account_store& store, const store::message_record& rec,
                  const std::vector<parse::fetch_att>& atts, bool need_structure, binary_size_cache* sizes) {
  message_data d;
  std::optional<std::string> whole;
  if (need_structure) {
    if (auto s = mime::decode_structure(rec.structure); s && s->size == rec.size) {
      d.structure = std::move(*s);
    } else {
      whole = store.read_message(rec.blob);
      d.structure = mime::parse_message(*whole);
    }
  }
  auto read = [&](mime::byte_range r) {
    if (whole) return slice(*whole, r);
    return r.length == 0 ? std::string() : store.read_message(rec.blob, r.offset, r.length);
  };
  for (auto& a : atts) {
    if (a.what == kind::preview) {
      // RFC 8970: stored at APPEND; a message stored before then gets one
      // made now ("A server MUST NOT return NIL to a FETCH PREVIEW request
      // made without the LAZY modifier").
      section_answer ans;
      ans.f = section_answer::form::octets;
      if (rec.preview) {
        ans.octets = *rec.preview;
      } else if (!a.lazy) {
        if (!whole) whole = store.read_message(rec.blob);
        ans.octets = mime::make_preview(*whole, mime::parse_message(*whole));
      }
      d.answers.push_back(std::move(ans));
      continue;
    }
    if (a.what == kind::binary || a.what == kind::binary_size) {
      d.answers.push_back(binary_answer(a, d.structure, read, part_source{store, rec, sizes}));
      continue;
    }
    section_answer ans;
    switch (a.what) {
      case kind::rfc822: ans = range_answer({0, d.structure.size}); break;
      case kind::rfc822_header: ans = range_answer(d.structure.parts[0].header); break;
      case kind::rfc822_text: ans = range_answer(d.structure.parts[0].body); break;
      case kind::body_section: ans = resolve_section(a.section, d.structure); break;
      default: break;
    }
    if (ans.f == section_answer::form::range) {
      if (a.partial) {
        // RFC 3501 §6.4.5 <origin.octets>: past the end gives "".
        auto [origin, length] = *a.partial;
        auto from = std::min<std::uint64_t>(origin, ans.range.length);
        ans.range = {ans.range.offset + from, std::min<std::uint64_t>(length, ans.range.length - from)};
      }
      bool fields = a.what == kind::body_section && (a.section.what == section_kind::header_fields ||
                                                     a.section.what == section_kind::header_fields_not);
      if (fields) {
        // Subset first, then the partial range applies to the subset.
        auto header_range = resolve_section(a.section, d.structure).range;
        auto subset = mime::header_fields(read(header_range), a.section.fields,
                                          a.section.what == section_kind::header_fields_not);
        if (a.partial) {
          auto [origin, length] = *a.partial;
          subset = origin >= subset.size() ? std::string() : subset.substr(origin, length);
        }
        ans.f = section_answer::form::octets;
        ans.octets = std::move(subset);
      } else if (ans.range.length <= stream_piece) {
        ans.f = section_answer::form::octets;
        ans.octets = read(ans.range);
      }
    }
    d.answers.push_back(std::move(ans));
  }
  return d;
}

// The response value of a body item; ranges become literal_refs whose id is
// the item's index.
value body_item(section_answer& a, std::uint32_t index) {
  switch (a.f) {
    case section_answer::form::nil: return nil{};
    case section_answer::form::octets: return literal{std::move(a.octets), a.literal8};
    case section_answer::form::range: return literal_ref{a.range.length, index};
    case section_answer::form::decoded: return literal_ref{a.size, index, a.literal8};
    case section_answer::form::size: return number{a.size};
  }
  return nil{};
}

// Sends a `decoded` answer: the part read in pieces on the read pool and
// decoded there, its first `skip` decoded octets dropped and `size` sent.
asio::awaitable<void> stream_decoded(command_context& ctx, const store::message_record& rec,
                                     const section_answer& ans, const std::function<void(std::string_view)>& emit) {
  auto& store = ctx.session.account->store();
  mime::binary_decoder dec(ans.cte, ans.text);
  std::uint64_t skip = ans.skip, left = ans.size;
  for (std::uint64_t read = 0; read < ans.range.length && left > 0;) {
    auto n = std::min(stream_piece, ans.range.length - read);
    auto piece = co_await ctx.blocking(
        [&] {
          auto raw = store.read_message(rec.blob, ans.range.offset + read, n);
          if (raw.size() != n) throw std::runtime_error("message blob shorter than its structure");
          std::string out;
          dec.feed(raw, out);
          if (read + n == ans.range.length) dec.finish(out);
          return out;
        },
        command_context::work::read);
    read += n;
    std::string_view v = piece;
    auto dropped = std::min<std::uint64_t>(skip, v.size());
    v.remove_prefix(dropped);
    skip -= dropped;
    auto take = std::min<std::uint64_t>(left, v.size());
    emit(v.substr(0, take));
    left -= take;
    co_await ctx.io.flush();
  }
  // The literal's length was promised: a blob that decodes shorter than it
  // did when its size was learnt is damaged; the connection cannot go on.
  if (left != 0) throw std::runtime_error("message part decodes shorter than its size");
}

}  // namespace

mime::message_structure structure_of(store::account_store& store, const store::message_record& rec) {
  if (auto s = mime::decode_structure(rec.structure); s && s->size == rec.size) return std::move(*s);
  return mime::parse_message(store.read_message(rec.blob));
}

std::optional<std::string> section_octets(store::account_store& store, const store::message_record& rec,
                                          const parse::section_spec& section) {
  parse::fetch_att att;
  att.what = kind::body_section;
  att.peek = true;
  att.section = section;
  auto d = load(store, rec, {att}, true, nullptr);
  auto& ans = d.answers[0];
  switch (ans.f) {
    case section_answer::form::octets: return std::move(ans.octets);
    case section_answer::form::range: return store.read_message(rec.blob, ans.range.offset, ans.range.length);
    default: return std::nullopt;
  }
}

bool section_pieces(store::account_store& store, const store::message_record& rec,
                    const parse::section_spec& section, std::uint64_t offset, std::optional<std::uint64_t> length,
                    const std::function<void(std::string_view)>& sink) {
  parse::fetch_att att;
  att.what = kind::body_section;
  att.peek = true;
  att.section = section;
  auto d = load(store, rec, {att}, true, nullptr);
  auto& ans = d.answers[0];
  auto limit = [&](std::uint64_t size) {
    auto from = std::min(offset, size);
    return std::pair{from, std::min(length.value_or(size - from), size - from)};
  };
  switch (ans.f) {
    case section_answer::form::octets: {
      auto [from, n] = limit(ans.octets.size());
      sink(std::string_view(ans.octets).substr(from, n));
      return true;
    }
    case section_answer::form::range: {
      auto [from, total] = limit(ans.range.length);
      for (std::uint64_t at = 0; at < total;) {
        auto n = std::min(stream_piece, total - at);
        auto piece = store.read_message(rec.blob, ans.range.offset + from + at, n);
        if (piece.size() != n) throw std::runtime_error("message blob shorter than its structure");
        sink(piece);
        at += n;
      }
      return true;
    }
    default: return false;
  }
}

asio::awaitable<void> fetch(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::fetch_cmd>(a);
  auto& view = *ctx.session.selected;
  // RFC 7162 §3.2.6: VANISHED needs QRESYNC enabled (the parser checked
  // the rest of its rules).
  if (cmd.vanished && !ctx.session.qresync) reject_syntax("VANISHED without ENABLE QRESYNC");
  bool want_modseq = std::any_of(cmd.atts.begin(), cmd.atts.end(), [](auto& att) { return att.what == kind::modseq; });
  if (cmd.changed_since && !want_modseq) {
    // RFC 7162 §3.1.4.1: CHANGEDSINCE implies the MODSEQ item.
    cmd.atts.push_back({kind::modseq});
    want_modseq = true;
  }
  // RFC 7162 §3.1: FETCH MODSEQ and CHANGEDSINCE enable CONDSTORE.
  if (want_modseq) ctx.session.condstore = true;
  auto uids = resolve(view, cmd.set, cmd.uid);
  if (cmd.partial) {
    // RFC 9394 §3.3: only the messages at the range's positions among
    // those the set names (ascending), and §3.4: CHANGEDSINCE then applies
    // to them ("first select the last 30 messages and then only return
    // flag changes for a subset of those").
    auto [begin, end] = cmd.partial->window(uids.size());
    uids = std::vector<store::uid>(uids.begin() + static_cast<std::ptrdiff_t>(begin),
                                   uids.begin() + static_cast<std::ptrdiff_t>(end));
  }
  if (cmd.changed_since) {
    // Only messages whose MODSEQ is above the given one (§3.1.4.1).
    std::erase_if(uids, [&](store::uid u) {
      auto seq = view.seq_of(u);
      return !seq || store::to_int(view.messages()[*seq - 1].mod) <= *cmd.changed_since;
    });
  }
  // RFC 7162 §3.2.6: VANISHED (EARLIER) comes before any FETCH.
  if (cmd.vanished) co_await report_since(ctx, store::modseq{*cmd.changed_since}, &cmd.set, false);
  bool need_structure = false, mark_seen = false, want_flags = false, uid_listed = false, any_binary = false;
  bool want_preview = false;
  for (auto& att : cmd.atts) {
    want_preview = want_preview || att.what == kind::preview;
    any_binary = any_binary || att.what == kind::binary || att.what == kind::binary_size;
    need_structure = need_structure || needs_structure(att);
    mark_seen = mark_seen || (sets_seen(att) && !view.read_only());
    want_flags = want_flags || att.what == kind::flags;
    uid_listed = uid_listed || att.what == kind::uid;
  }
  auto& acct = *ctx.session.account;
  // FLAGS, UID and MODSEQ come from the view: the common "FETCH 1:* (UID
  // FLAGS)" of a resync never touches the store.
  bool view_only = !mark_seen && std::all_of(cmd.atts.begin(), cmd.atts.end(), from_view);
  // Messages are loaded in batches (one trip to the read pool each),
  // bounded in count and in octets held, so FETCH 1:* BODY[] of a big
  // mailbox neither makes a trip per message nor holds it all at once.
  std::vector<store::message_record> records;
  auto load_batch = [&](std::size_t from) {
    std::vector<message_data> out;
    std::uint64_t held = 0;
    for (auto i = from; i < records.size() && out.size() < batch_messages && held < batch_octets; ++i) {
      out.push_back(load(acct.store(), records[i], cmd.atts, need_structure, &ctx.server.binary_sizes));
      for (auto& ans : out.back().answers) held += ans.octets.size();
    }
    return out;
  };
  std::vector<message_data> batch;
  if (view_only) {
    // UIDs and the view are both in UID order: one cursor finds every
    // sequence number in a single pass.
    auto& msgs = view.messages();
    std::size_t cursor = 0;
    for (auto id : uids) {
      while (cursor < msgs.size() && msgs[cursor].id < id) ++cursor;
      if (cursor == msgs.size() || msgs[cursor].id != id) continue;
      // Numbers and atoms only: written straight out, a line per message
      // of a resync's FETCH 1:* (UID FLAGS).
      emitter e(ctx.session.out, ctx.session.wopts);
      e.atom("*").number(cursor + 1).atom("FETCH").open();
      if (cmd.uid && !uid_listed) e.atom("UID").number(store::to_int(id));
      for (auto& att : cmd.atts) {
        if (att.what == kind::uid) {
          e.atom("UID").number(store::to_int(id));
        } else if (att.what == kind::modseq) {
          e.atom("MODSEQ").open().number(store::to_int(msgs[cursor].mod)).close();
        } else {
          e.atom("FLAGS").raw(flags_of(view, msgs[cursor]).octets);
        }
      }
      e.close();
      ctx.session.out += "\r\n";
      // A big FETCH goes out as it is made, not held whole.
      if (ctx.session.out.size() > flush_at) co_await ctx.io.flush();
    }
    co_return;
  } else {
    // The records and the first batch in one trip (loading does not
    // depend on the \Seen flag set below).
    batch = co_await ctx.blocking(
        [&] {
          records = acct.store().fetch(view.info().id, uids, want_preview);
          return need_structure ? load_batch(0) : std::vector<message_data>{};
        },
        // A page of messages (one batch: at most 1 MB of sections, read
        // whole) is a quick read; FETCH 1:* of a big mailbox is not, nor
        // BINARY, which may decode a large part to learn its size.
        uids.size() <= batch_messages && !any_binary ? command_context::work::quick : command_context::work::read);
  }
  std::vector<store::uid> newly_seen;
  if (mark_seen) {
    std::vector<store::uid> unseen;
    for (auto& r : records)
      if (!(r.flags.system & store::flag_seen)) unseen.push_back(r.id);
    if (!unseen.empty()) {
      auto res = co_await ctx.blocking([&] {
        return acct.store_flags(view.info().id, unseen, store::flag_op::add, {store::flag_seen, {}}, std::nullopt,
                                &view);
      });
      view.apply_own(res.updated);
      for (auto& up : res.updated) newly_seen.push_back(up.id);
      if (!res.updated.empty()) co_await update_live_searches(ctx, nullptr);
    }
  }
  // After XKEY, content goes out as encrypted objects (docs/xencrypted.md),
  // each bound to its message and item; ENVELOPE, BODY and BODYSTRUCTURE
  // too, unless the proxy identity may have them in the clear.
  auto* xenc = ctx.session.xenc ? &*ctx.session.xenc : nullptr;
  bool seal_structure = xenc && !(ctx.session.proxy && (ctx.session.proxy->allow & store::allow_clear_envelope));
  // The objects streamed after the writer's bytes, by item: made with the
  // response so that sequence numbers follow the order objects are sent.
  std::vector<std::optional<auth::xenc::writer>> writers;
  std::size_t batch_start = 0;
  std::size_t cursor = 0;
  for (std::size_t r = 0; r < records.size(); ++r) {
    auto& rec = records[r];
    if (need_structure && r == batch_start + batch.size()) {
      batch_start = r;
      batch = co_await ctx.blocking([&] { return load_batch(r); }, command_context::work::read);
    }
    message_data empty;
    auto& data = need_structure ? batch[r - batch_start] : empty;
    auto& msgs = view.messages();
    while (cursor < msgs.size() && msgs[cursor].id < rec.id) ++cursor;
    if (cursor == msgs.size() || msgs[cursor].id != rec.id) continue;
    std::optional<std::uint32_t> seq = static_cast<std::uint32_t>(cursor + 1);
    auto& entry = msgs[cursor];
    wire_list items;
    writers.clear();
    writers.resize(cmd.atts.size());
    // docs/xencrypted.md: what an object of this message is bound to.
    auto context = [&](std::string_view label) {
      return "FETCH " + view.info().name + " " + std::to_string(view.info().uidvalidity) + " " +
             std::to_string(store::to_int(rec.id)) + " " + std::string(label);
    };
    // A partial's object is bound to the range asked for, origin and
    // length, so a proxy that shortens the request is found out.
    auto bound = [&](std::string label, const parse::fetch_att& att) {
      if (att.partial)
        label += "<" + std::to_string(att.partial->first) + "." + std::to_string(att.partial->second) + ">";
      return label;
    };
    auto sealed = [&](std::string_view label, std::string_view plain) -> value {
      return literal{auth::xenc::seal(xenc->key, auth::xenc::direction::to_client, xenc->key_id, ++xenc->sent,
                                      xenc->binding, context(label), plain),
                     false, true};
    };
    // A body item's value: as body_item() makes it, or encrypted.
    auto content = [&](std::uint32_t i, std::string_view label) -> value {
      auto& a = data.answers[i];
      if (!xenc || a.f == section_answer::form::nil || a.f == section_answer::form::size) return body_item(a, i);
      // Encrypted after the writer's bytes, as they are sent: octets in
      // place, ranges and decoded parts piece by piece.
      writers[i].emplace(xenc->key, auth::xenc::direction::to_client, xenc->key_id, ++xenc->sent, xenc->binding,
                         context(label));
      auto length = a.f == section_answer::form::octets  ? a.octets.size()
                    : a.f == section_answer::form::range ? a.range.length
                                                         : a.size;
      return literal_ref{length + auth::xenc::overhead, i, false, true};
    };
    // RFC 3501 §6.4.8: UID FETCH always reports the UID.
    if (cmd.uid && !uid_listed) {
      items.push_back(atom{"UID"});
      items.push_back(number{store::to_int(rec.id)});
    }
    for (std::uint32_t i = 0; i < cmd.atts.size(); ++i) {
      auto& att = cmd.atts[i];
      switch (att.what) {
        case kind::uid:
          items.push_back(atom{"UID"});
          items.push_back(number{store::to_int(rec.id)});
          break;
        case kind::flags:
          items.push_back(atom{"FLAGS"});
          items.push_back(flags_of(view, entry));
          break;
        case kind::modseq:
          items.push_back(atom{"MODSEQ"});
          items.push_back(modseq_value(entry));
          break;
        case kind::internaldate:
          items.push_back(atom{"INTERNALDATE"});
          items.push_back(string{internal_date(rec.internal_date, rec.tz_offset_minutes)});
          break;
        case kind::rfc822_size:
          items.push_back(atom{"RFC822.SIZE"});
          items.push_back(number{rec.size});
          break;
        case kind::preview:
          // RFC 8970 §6: msg-att-dynamic =/ "PREVIEW" SP nstring; NIL only
          // with LAZY, for a message whose preview is not made yet (§4.1).
          items.push_back(atom{"PREVIEW"});
          if (!att.lazy || rec.preview) {
            auto& text = !att.lazy ? data.answers[i].octets : *rec.preview;
            if (xenc) items.push_back(sealed("PREVIEW", text));
            else items.push_back(string{text});
          } else {
            items.push_back(nil{});
          }
          break;
        case kind::envelope: {
          items.push_back(atom{"ENVELOPE"});
          raw r;
          emitter e(r.octets, ctx.session.wopts);
          write_envelope(e, data.structure.envelopes[0]);
          if (seal_structure) items.push_back(sealed("ENVELOPE", r.octets));
          else items.push_back(std::move(r));
          break;
        }
        case kind::body:
        case kind::bodystructure: {
          const char* name = att.what == kind::body ? "BODY" : "BODYSTRUCTURE";
          items.push_back(atom{name});
          raw r;
          emitter e(r.octets, ctx.session.wopts);
          write_body(e, data.structure, 0, att.what == kind::bodystructure);
          if (seal_structure) items.push_back(sealed(name, r.octets));
          else items.push_back(std::move(r));
          break;
        }
        case kind::rfc822:
        case kind::rfc822_header:
        case kind::rfc822_text: {
          const char* name = att.what == kind::rfc822          ? "RFC822"
                             : att.what == kind::rfc822_header ? "RFC822.HEADER"
                                                               : "RFC822.TEXT";
          items.push_back(atom{name});
          items.push_back(content(i, name));
          break;
        }
        case kind::body_section: {
          std::string label = "BODY[" + att.section.text + "]";
          auto v = content(i, bound(label, att));
          // RFC 3501 §7.4.2: the response names the origin of a partial.
          if (att.partial) label += "<" + std::to_string(att.partial->first) + ">";
          items.push_back(atom{std::move(label)});
          items.push_back(std::move(v));
          break;
        }
        case kind::binary:
        case kind::binary_size: {
          // RFC 3516 §4.3: "BINARY<section-binary>[<<number>>] ... If
          // <number> is present it refers to the offset within the DECODED
          // section data" (the §7 grammar leaves the origin out; the prose,
          // BODY[]<n> and Dovecot have it, so clients parse it).
          std::string label = std::string(att.what == kind::binary ? "BINARY[" : "BINARY.SIZE[") + att.section.text + "]";
          auto v = content(i, bound(label, att));
          if (att.partial) label += "<" + std::to_string(att.partial->first) + ">";
          items.push_back(atom{std::move(label)});
          items.push_back(std::move(v));
          break;
        }
      }
    }
    // \Seen set by this FETCH: report the new flags (RFC 3501 §6.4.5).
    if (!want_flags && std::find(newly_seen.begin(), newly_seen.end(), rec.id) != newly_seen.end()) {
      items.push_back(atom{"FLAGS"});
      items.push_back(flags_of(view, entry));
      // RFC 7162 §3.2.4: under CONDSTORE a FETCH "that implicitly set the
      // \Seen flag" reports UID and MODSEQ.
      if (ctx.session.condstore && !cmd.uid && !uid_listed) {
        items.push_back(atom{"UID"});
        items.push_back(number{store::to_int(rec.id)});
      }
      if (ctx.session.condstore && !want_modseq) {
        items.push_back(atom{"MODSEQ"});
        items.push_back(modseq_value(entry));
      }
    }
    untagged response;
    response.items.reserve(3);
    response.items.push_back(number{*seq});
    response.items.push_back(atom{"FETCH"});
    response.items.push_back(std::move(items));
    auto& out = ctx.session.out;
    auto base = out.size();
    std::vector<splice> splices;
    write(out, response, ctx.session.wopts, &splices);
    if (splices.empty()) {
      // A big FETCH goes out as it is made, not held whole.
      if (out.size() > flush_at) co_await ctx.io.flush();
      continue;
    }
    // Stream each large section between the writer's bytes.
    std::string text = out.substr(base);
    out.resize(base);
    std::size_t done = 0;
    for (auto& sp : splices) {
      auto at = sp.at - base;
      ctx.session.out.append(text, done, at - done);
      done = at;
      auto& ans = data.answers[sp.id];
      auto& w = writers[sp.id];
      if (w) ctx.session.out += w->header_octets();
      std::function<void(std::string_view)> emit = [&](std::string_view piece) {
        if (w) w->update(piece, ctx.session.out);
        else ctx.session.out.append(piece);
      };
      if (ans.f == section_answer::form::decoded) {
        co_await stream_decoded(ctx, rec, ans, emit);
        if (w) w->finish(ctx.session.out);
        continue;
      }
      if (ans.f == section_answer::form::octets) {  // spliced only when encrypted (body_item makes a literal)
        if (w) w->update_in_place(ans.octets);
        ctx.session.out += ans.octets;
        if (w) w->finish(ctx.session.out);
        continue;
      }
      auto range = ans.range;
      for (std::uint64_t sent = 0; sent < range.length;) {
        auto n = std::min(stream_piece, range.length - sent);
        auto piece = co_await ctx.blocking(
            [&] { return acct.store().read_message(rec.blob, range.offset + sent, n); },
            command_context::work::read);
        if (piece.size() != n) throw std::runtime_error("message blob shorter than its structure");
        if (w) w->update_in_place(piece);
        ctx.session.out += piece;
        sent += n;
        co_await ctx.io.flush();
      }
      if (w) w->finish(ctx.session.out);
    }
    ctx.session.out.append(text, done);
    // As above: a FETCH of many messages goes out as it is made. Without
    // this, encrypted bodies (spliced whole) piled up in one buffer that
    // grew, and was copied, for the whole command.
    if (ctx.session.out.size() > flush_at) co_await ctx.io.flush();
  }
}

}  // namespace lemonade::imap::commands
