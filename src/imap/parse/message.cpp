// RFC 3501 §6.4.3 EXPUNGE, §6.4.5 FETCH, §6.4.6 STORE, §6.4.7 COPY, §6.4.8
// UID; RFC 4315 §2.1 UID EXPUNGE; RFC 6851 MOVE.
#include "core/strings.hpp"
#include "imap/parse/parse.hpp"

namespace lemonade::imap::parse {
namespace {

sequence_set seq_set(lexer& in) {
  auto text = in.sequence_set_text();
  if (!in.ok()) return {};
  auto set = syntax::parse_sequence_set(text);
  if (!set) {
    in.fail("invalid sequence set " + text.substr(0, 32));
    return {};
  }
  return *set;
}

// RFC 3501 §9: section = "[" [section-spec] "]"
section_spec section(lexer& in) {
  section_spec s;
  in.expect('[');
  if (in.skip(']')) return s;
  // section-part = nz-number *("." nz-number)
  while (in.peek_nz_digit()) {
    s.part.push_back(in.nz_number());
    if (!in.skip('.')) break;
  }
  if (!in.peek(']')) {
    auto word = in.keyword();  // HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME
    if (word == "HEADER") s.what = section_spec::kind::header;
    else if (word == "TEXT") s.what = section_spec::kind::text;
    else if (word == "MIME" && !s.part.empty()) s.what = section_spec::kind::mime;
    else if (word == "HEADER.FIELDS" || word == "HEADER.FIELDS.NOT") {
      s.what = word == "HEADER.FIELDS" ? section_spec::kind::header_fields : section_spec::kind::header_fields_not;
      in.sp();
      in.open_list();
      do s.fields.push_back(in.astring());
      while (in.ok() && in.skip(' '));
      in.close_list();
    } else if (in.ok()) {
      in.fail("invalid section " + word);
    }
  }
  in.expect(']');
  return s;
}

// RFC 3501 §9 partial = "<" number "." nz-number ">"
std::optional<std::pair<std::uint32_t, std::uint32_t>> partial(lexer& in) {
  if (!in.skip('<')) return std::nullopt;
  auto origin = in.number();
  in.expect('.');
  auto length = in.nz_number();
  in.expect('>');
  return std::pair{origin, length};
}

// RFC 3516 §7: section-binary = "[" [section-part] "]"; no HEADER, TEXT
// or MIME.
section_spec section_binary(lexer& in) {
  section_spec s;
  in.expect('[');
  if (in.skip(']')) return s;
  do s.part.push_back(in.nz_number());
  while (in.ok() && in.skip('.'));
  in.expect(']');
  return s;
}

}  // namespace

std::optional<section_spec> section_from_text(std::string_view text) {
  std::string input = "[" + std::string(text) + "]\r\n";
  lexer in(input);
  auto s = section(in);
  if (!in.ok() || !in.at_end()) return std::nullopt;
  s.text = std::string(text);
  return s;
}

namespace {

fetch_att one_att(lexer& in, std::string_view raw_input) {
  fetch_att a;
  // RFC 3501 §9: "BODY" section: the name ends at "[".
  auto name = in.keyword_until('[');
  using k = fetch_att::kind;
  if (!in.ok()) return a;
  if (name == "ENVELOPE") a.what = k::envelope;
  else if (name == "FLAGS") a.what = k::flags;
  else if (name == "INTERNALDATE") a.what = k::internaldate;
  else if (name == "RFC822") a.what = k::rfc822;
  else if (name == "RFC822.HEADER") a.what = k::rfc822_header;
  else if (name == "RFC822.SIZE") a.what = k::rfc822_size;
  else if (name == "RFC822.TEXT") a.what = k::rfc822_text;
  else if (name == "BODYSTRUCTURE") a.what = k::bodystructure;
  else if (name == "UID") a.what = k::uid;
  else if (name == "MODSEQ") a.what = k::modseq;  // RFC 7162 §3.1.4.2
  else if (name == "PREVIEW") {
    // RFC 8970 §6: fetch-att =/ "PREVIEW" [SP "(" preview-mod *(SP
    // preview-mod) ")"]; preview-mod = "LAZY". A "(" after it may also
    // open FETCH's modifiers: only "(LAZY" is the PREVIEW's.
    a.what = k::preview;
    lexer probe = in;
    if (probe.skip(' ') && probe.peek('(')) {
      probe.open_list();
      if (probe.keyword() == "LAZY" && probe.ok()) {
        in.sp();
        in.open_list();
        do {
          if (in.keyword() != "LAZY") in.fail("unknown PREVIEW modifier");
          a.lazy = true;
        } while (in.ok() && in.skip(' '));
        in.close_list();
      }
    }
  }
  else if (name == "BODY" || name == "BODY.PEEK") {
    a.peek = name == "BODY.PEEK";
    if (!in.peek('[')) {
      if (a.peek) in.fail("BODY.PEEK needs a section");
      a.what = k::body;
      return a;
    }
    a.what = k::body_section;
    auto sec_start = in.position();
    a.section = section(in);
    if (in.ok()) a.section.text = std::string(raw_input.substr(sec_start + 1, in.position() - sec_start - 2));
    a.partial = partial(in);
  } else if (name == "BINARY" || name == "BINARY.PEEK" || name == "BINARY.SIZE") {
    a.what = name == "BINARY.SIZE" ? k::binary_size : k::binary;
    a.peek = name == "BINARY.PEEK";
    auto sec_start = in.position();
    a.section = section_binary(in);
    if (in.ok()) a.section.text = std::string(raw_input.substr(sec_start + 1, in.position() - sec_start - 2));
    if (a.what == k::binary) a.partial = partial(in);
  } else {
    in.fail("unknown FETCH attribute " + name.substr(0, 32));
  }
  return a;
}

template <bool Uid>
command_args fetch(lexer& in, std::string_view raw) {
  fetch_cmd c;
  c.uid = Uid;
  in.sp();
  c.set = seq_set(in);
  in.sp();
  using k = fetch_att::kind;
  // RFC 3501 §6.4.5 macros
  auto macro = [&](std::initializer_list<k> kinds) {
    for (auto kind : kinds) c.atts.push_back({kind});
  };
  if (in.peek('(')) {
    in.open_list();
    do c.atts.push_back(one_att(in, raw));
    while (in.ok() && in.skip(' '));
    in.close_list();
  } else {
    if (in.peek('A') || in.peek('a') || in.peek('F') || in.peek('f')) {
      // ALL / FAST / FULL or FLAGS: read the word and decide.
      lexer probe = in;
      auto word = probe.keyword();
      if (word == "ALL" || word == "FAST" || word == "FULL") {
        in = probe;
        if (word == "ALL") macro({k::flags, k::internaldate, k::rfc822_size, k::envelope});
        else if (word == "FAST") macro({k::flags, k::internaldate, k::rfc822_size});
        else macro({k::flags, k::internaldate, k::rfc822_size, k::envelope, k::body});
      } else {
        c.atts.push_back(one_att(in, raw));
      }
    } else {
      c.atts.push_back(one_att(in, raw));
    }
  }
  if (in.skip(' ')) {
    // RFC 4466 §2.4 fetch-modifiers; RFC 7162 §3.1.4.1 CHANGEDSINCE,
    // §3.2.6 VANISHED.
    in.open_list();
    do {
      auto word = in.keyword();
      if (!in.ok()) break;
      if (word == "CHANGEDSINCE" && !c.changed_since) {
        in.sp();
        c.changed_since = in.number64();
      } else if (word == "VANISHED" && !c.vanished) {
        c.vanished = true;
      } else if (word == "PARTIAL" && !c.partial) {
        // RFC 9394 §3.3: fetch-modifier =/ modifier-partial
        in.sp();
        c.partial = partial_range_of(in);
      } else {
        in.fail("unknown FETCH modifier " + word.substr(0, 32));
      }
    } while (in.ok() && in.skip(' '));
    in.close_list();
    // RFC 7162 §3.2.6: VANISHED only in UID FETCH, and with CHANGEDSINCE.
    if (in.ok() && c.vanished && !Uid) in.fail("VANISHED is only allowed in UID FETCH");
    if (in.ok() && c.vanished && !c.changed_since) in.fail("VANISHED needs CHANGEDSINCE");
  }
  in.end();
  return c;
}

template <bool Uid>
command_args store(lexer& in) {
  store_cmd c;
  c.uid = Uid;
  in.sp();
  c.set = seq_set(in);
  in.sp();
  if (in.peek('(')) {
    // RFC 7162 §3.1.3: store-modifier "(UNCHANGEDSINCE" SP mod-sequence-valzer ")"
    in.open_list();
    auto word = in.keyword();
    if (in.ok() && word != "UNCHANGEDSINCE") in.fail("unknown STORE modifier " + word);
    in.sp();
    c.unchanged_since = in.number64();
    in.close_list();
    in.sp();
  }
  // store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
  if (in.skip('+')) c.operation = store_cmd::op::add;
  else if (in.skip('-')) c.operation = store_cmd::op::remove;
  auto word = in.keyword();
  if (in.ok() && word != "FLAGS" && word != "FLAGS.SILENT") in.fail("expected FLAGS, +FLAGS or -FLAGS");
  c.silent = word == "FLAGS.SILENT";
  in.sp();
  if (in.peek('(')) {
    in.open_list();
    if (!in.peek(')')) {
      do c.flags.push_back(in.flag());
      while (in.ok() && in.skip(' '));
    }
    in.close_list();
  } else {
    do c.flags.push_back(in.flag());
    while (in.ok() && in.skip(' '));
  }
  in.end();
  return c;
}

template <bool Uid, bool Move>
command_args copy(lexer& in, const parse_options& opts) {
  copy_cmd c;
  c.uid = Uid;
  c.move = Move;
  in.sp();
  c.set = seq_set(in);
  in.sp();
  c.mailbox = mailbox(in, opts);
  in.end();
  return c;
}

}  // namespace

fetch_att parse_fetch_att(lexer& in) { return one_att(in, in.input()); }

namespace {

// RFC 5259 §10 convert-att.
convert_att one_convert_att(lexer& in, std::string_view raw) {
  convert_att a;
  using k = convert_att::kind;
  auto name = in.keyword_until('[');
  if (!in.ok()) return a;
  auto section_text = [&](std::size_t start) {
    if (in.ok()) a.section.text = std::string(raw.substr(start + 1, in.position() - start - 2));
  };
  if (name == "UID") return a;
  if (name == "BODY") {
    // "BODY[HEADER]" / "BODY[" section-part ".HEADER]" / "BODY["
    // section-part ".MIME]": nothing else.
    auto start = in.position();
    a.section = section(in);
    section_text(start);
    if (!in.ok()) return a;
    if (a.section.what == section_spec::kind::header) a.what = k::header;
    else if (a.section.what == section_spec::kind::mime) a.what = k::mime;
    else in.fail("CONVERT takes BODY[HEADER], BODY[part.HEADER] or BODY[part.MIME] only");
    return a;
  }
  if (name == "BODYPARTSTRUCTURE") a.what = k::bodypartstructure;
  else if (name == "BINARY") a.what = k::binary;
  else if (name == "BINARY.SIZE") a.what = k::binary_size;
  else if (name == "AVAILABLECONVERSIONS") a.what = k::availableconversions;
  else {
    in.fail("unknown CONVERT data item " + name.substr(0, 32));
    return a;
  }
  // section-convert = section-binary: "[" [section-part] "]".
  auto start = in.position();
  a.section = section_binary(in);
  section_text(start);
  if (a.what == k::binary) a.partial = partial(in);
  return a;
}

template <bool Uid>
command_args convert(lexer& in, std::string_view raw) {
  convert_cmd c;
  c.uid = Uid;
  in.sp();
  c.set = seq_set(in);
  in.sp();
  // convert-params = "(" (quoted-to-mime-type / default-conversion)
  //                  [SP "(" transcoding-params ")"] ")"
  in.open_list();
  if (in.peek('"')) {
    auto type = in.string();
    // §9: "A syntactically invalid MIME media type SHOULD generate a BAD".
    c.to = core::concrete_mime_type(type);
    if (in.ok() && !c.to) in.fail("invalid media type " + type.substr(0, 64));
  } else if (in.keyword() != "NIL" && in.ok()) {
    in.fail("a quoted media type or NIL expected");
  }
  if (in.ok() && in.skip(' ')) {
    in.open_list();
    do {
      // §7: "conversion parameter names are case-insensitive".
      auto name = core::to_lower(in.astring());
      in.sp();
      auto value = in.astring();
      if (in.ok()) c.params.emplace_back(std::move(name), std::move(value));
    } while (in.ok() && in.skip(' '));
    in.close_list();
  }
  in.close_list();
  in.sp();
  if (in.peek('(')) {
    in.open_list();
    do c.atts.push_back(one_convert_att(in, raw));
    while (in.ok() && in.skip(' '));
    in.close_list();
  } else {
    c.atts.push_back(one_convert_att(in, raw));
  }
  in.end();
  return c;
}

}  // namespace

command_args parse_fetch(lexer& in, const parse_options&) { return fetch<false>(in, in.input()); }
command_args parse_uid_fetch(lexer& in, const parse_options&) { return fetch<true>(in, in.input()); }
command_args parse_store(lexer& in, const parse_options&) { return store<false>(in); }
command_args parse_uid_store(lexer& in, const parse_options&) { return store<true>(in); }
command_args parse_copy(lexer& in, const parse_options& o) { return copy<false, false>(in, o); }
command_args parse_uid_copy(lexer& in, const parse_options& o) { return copy<true, false>(in, o); }
command_args parse_move(lexer& in, const parse_options& o) { return copy<false, true>(in, o); }
command_args parse_uid_move(lexer& in, const parse_options& o) { return copy<true, true>(in, o); }

command_args parse_expunge(lexer& in, const parse_options&) {
  in.end();
  return expunge_cmd{};
}

command_args parse_uid_expunge(lexer& in, const parse_options&) {
  // RFC 4315 §2.1: "UID EXPUNGE" SP sequence-set
  expunge_cmd c;
  in.sp();
  c.uids = seq_set(in);
  in.end();
  return c;
}

command_args parse_convert(lexer& in, const parse_options&) { return convert<false>(in, in.input()); }
command_args parse_uid_convert(lexer& in, const parse_options&) { return convert<true>(in, in.input()); }

// RFC 5259 §10 conversions-cmd = "CONVERSIONS" SP from-mime-type-req SP
// to-mime-type-req, each an astring ("*" must be quoted).
command_args parse_conversions(lexer& in, const parse_options&) {
  conversions_cmd c;
  in.sp();
  auto from = in.astring();
  in.sp();
  auto to = in.astring();
  in.end();
  if (!in.ok()) return c;
  auto f = core::mime_type_pattern(from), t = core::mime_type_pattern(to);
  if (!f || !t) in.fail("invalid media type " + (f ? to : from).substr(0, 64));
  else c = {*f, *t};
  return c;
}

}  // namespace lemonade::imap::parse
