// RFC 5259 CONVERT: CONVERSIONS (§5), CONVERT and UID CONVERT (§6, §8)
// over the conversions of src/convert. Per message, each part's
// conversion runs once however many items name it, on the conversion pool,
// and its result is cached in the account's store (§8.5), so BINARY.SIZE
// then BINARY, or a second device, costs no second conversion; the
// libraries' output is deterministic, so a size stays exact within a
// session (§8.3) even when the cache has let it go.
// CONVERT never sets \Seen (§6).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "auth/password.hpp"
#include "auth/smime.hpp"
#include "core/strings.hpp"
#include "imap/commands/commands.hpp"
#include "mime/binary.hpp"
#include "mime/charset.hpp"
#include "mime/decode.hpp"
#include "mime/header.hpp"
#include "mime/parser.hpp"

namespace lemonade::imap::commands {

using namespace response;
using wire_list = response::list;
using akind = parse::convert_att::kind;

namespace {

// The part a section names, as a conversion sees it.
struct located {
  std::optional<std::uint32_t> index;  // nullopt: no such part
  std::string type;                    // "image/png"; composites as they are
};

located locate(const mime::message_structure& st, const parse::section_spec& s) {
  located out;
  if (s.part.empty()) {
    out.index = 0;
  } else {
    out.index = mime::find_part(st, s.part);
    if (!out.index) return out;
  }
  auto& p = st.parts[*out.index];
  // The whole message (BINARY[]) is a message, whatever its content.
  if (s.part.empty()) out.type = "message/rfc822";
  else if (p.opaque) out.type = "application/octet-stream";  // as BODYSTRUCTURE shows it
  else out.type = p.type + "/" + p.subtype;
  return out;
}

std::string charset_param(const mime::part& p) {
  for (auto& prm : p.params)
    if (prm.name == "charset" && !prm.extended) return prm.value;
  return {};
}

// The cache key: the blob, the part, what was asked. Parameters sorted
// (their order means nothing) and the converter's version, so a change of
// how we convert never serves an old result.
std::string cache_key(const std::string& blob, const parse::section_spec& s, const convert::request& r,
                      const std::string& fingerprint) {
  std::string key = blob + ":" + s.text + ":" + r.to.value_or("NIL");
  auto params = r.params;
  std::sort(params.begin(), params.end(),
            [](auto& a, auto& b) { return std::tie(a.name, a.value) < std::tie(b.name, b.value); });
  // Lengths first: no value can pass for a separator.
  for (auto& p : params)
    key += ";" + std::to_string(p.name.size()) + ":" + p.name + "=" + std::to_string(p.value.size()) + ":" + p.value;
  return key + ":" + fingerprint;
}

std::string join_params(const std::vector<convert::param>& ps) {
  std::string out;
  for (auto& p : ps) out += (out.empty() ? "" : ";") + p.name + "=" + p.value;
  return out;
}

std::vector<convert::param> split_params(std::string_view s) {
  std::vector<convert::param> out;
  while (!s.empty()) {
    auto semi = s.find(';');
    auto one = s.substr(0, semi);
    auto eq = one.find('=');
    if (eq != std::string_view::npos) out.push_back({std::string(one.substr(0, eq)), std::string(one.substr(eq + 1))});
    s = semi == std::string_view::npos ? std::string_view{} : s.substr(semi + 1);
  }
  return out;
}

// §10 converterror-phrase.
value error_phrase(const convert::failure& f) {
  wire_list l{atom{"ERROR"}, string{f.text}};
  using code = convert::failure::code;
  if (f.what == code::temp_fail) {
    l.push_back(atom{"TEMPFAIL"});
    if (f.minutes > 0) l.push_back(number{static_cast<std::uint64_t>(f.minutes)});
    return l;
  }
  l.push_back(atom{f.what == code::missing_parameters ? "MISSINGPARAMETERS" : "BADPARAMETERS"});
  // bad-params: quoted-from-mime-type / nil ("the specified body part
  // doesn't exist"), then quoted-to-mime-type [SP "(" params ")"].
  if (f.from.empty()) l.push_back(nil{});
  else l.push_back(string{f.from});
  l.push_back(string{f.to});
  wire_list params;
  for (auto& p : f.params) {
    params.push_back(string{p.name});
    if (f.what != code::missing_parameters) params.push_back(string{p.value});
  }
  if (!params.empty() || f.what == code::missing_parameters) l.push_back(std::move(params));
  return l;
}

// BODYPARTSTRUCTURE (§8.2): RFC 3501 body-type-1part of the converted
// part. Text: its charset (and format), lines; anything else: binary.
raw part_structure(const convert::output& o, const writer_options& wopts) {
  raw r;
  emitter e(r.octets, wopts);
  auto slash = o.type.find('/');
  e.open().upper_string(o.type.substr(0, slash)).upper_string(o.type.substr(slash + 1));
  if (o.type_params.empty()) {
    e.nil();
  } else {
    e.open();
    // Names upper-case, as RFC 3501 shows them; values as they are, but a
    // charset's (smime-type "authEnveloped-data" is case-sensitive).
    for (auto& p : o.type_params) {
      e.upper_string(p.name);
      if (p.name == "charset") e.upper_string(p.value);
      else e.string(p.value);
    }
    e.close();
  }
  e.nil().nil();  // body-fld-id, body-fld-desc
  bool text = o.type.starts_with("text/");
  bool eight = std::any_of(o.data.begin(), o.data.end(), [](char c) { return static_cast<unsigned char>(c) > 127; });
  bool nul = o.data.find('\0') != std::string::npos;  // UTF-16 text, say
  e.string(text && !nul ? (eight ? "8BIT" : "7BIT") : "BINARY").number(o.data.size());
  if (text) {
    std::uint64_t lines = static_cast<std::uint64_t>(std::count(o.data.begin(), o.data.end(), '\n'));
    if (!o.data.empty() && o.data.back() != '\n') ++lines;
    e.number(lines);
  }
  e.close();
  return r;
}

// §6: BODY[...HEADER] / BODY[...MIME] with CHARSET: each run of RFC 2047
// encoded words decoded and written again as encoded words in `charset`
// ("SHOULD leave encoded words as encoded words"); a word in a charset we
// cannot read stays as it is ("MUST leave them as is"), as does anything
// that is not an encoded word as decode_header_value reads one. The new
// words are base64, at most 75 characters each (RFC 2047 §2), never
// splitting a character, on lines of their own (folded with CRLF SP:
// white space between encoded words is not part of the text, §6.2).
// `charset` is a plain lower-case charset name iconv knows. nullopt: a
// character the charset cannot hold (and no replacement).
std::optional<std::string> recode_header(std::string_view h, const std::string& charset,
                                         const std::string* replacement) {
  auto word_at = [&](std::size_t at) -> std::size_t {
    std::string_view cs;
    auto n = mime::encoded_word_at(h, at, &cs);
    return n && mime::iconv_name_of(cs) ? n : 0;
  };
  auto name = core::to_upper(charset);
  std::string out;
  std::size_t i = 0;
  while (i < h.size()) {
    auto next = h.find("=?", i);
    if (next == std::string_view::npos) {
      out.append(h.substr(i));
      break;
    }
    out.append(h.substr(i, next - i));
    i = next;
    auto n = word_at(i);
    if (n == 0) {
      out += h.substr(i, 2);
      i += 2;
      continue;
    }
    // The run: words separated by white space only (RFC 2047 §6.2).
    std::size_t end = i + n;
    for (;;) {
      auto j = end;
      while (j < h.size() && (h[j] == ' ' || h[j] == '\t' || h[j] == '\r' || h[j] == '\n')) ++j;
      auto m = j > end ? word_at(j) : 0;
      if (m == 0) break;
      end = j + m;
    }
    auto utf8 = mime::decode_header_value(h.substr(i, end - i));
    std::string_view rest = utf8;
    bool first = true;
    while (!rest.empty()) {
      // As much as fits in 75 characters once encoded: "=?" name "?B?"
      // base64 "?=".
      std::size_t take = std::min<std::size_t>(rest.size(), 60);
      mime::encoded piece;
      for (;;) {
        while (take > 1 && take < rest.size() && (static_cast<unsigned char>(rest[take]) & 0xc0) == 0x80) --take;
        piece = mime::encode_utf8(rest.substr(0, take), charset, replacement);
        if (piece.result != mime::encoded::status::ok) return std::nullopt;
        if (7 + name.size() + (piece.text.size() + 2) / 3 * 4 <= 75 || take <= 1) break;
        --take;
      }
      if (!first) out += "\r\n ";
      out += "=?" + name + "?B?" + core::base64_encode(piece.text) + "?=";
      first = false;
      rest.remove_prefix(take);
    }
    i = end;
  }
  return out;
}

// What one message's items come to: a value per item (nullopt for UID,
// which the caller writes), and whether any conversion succeeded or failed.
struct message_result {
  std::vector<std::optional<value>> items;
  bool any_ok = false;
  bool any_failed = false;
};

struct convert_job {
  store::account_store& store;
  const convert::converter& conv;
  const core::config& cfg;
  const parse::convert_cmd& cmd;
  const convert::request& request;
  const writer_options& wopts;
  const std::string& user;
  // The user's S/MIME certificates in force (DER): CONVERT to
  // application/pkcs7-mime envelopes for them.
  const std::vector<std::string>& smime;
  // A proxy identity that may not see the parts' types (no clear-envelope,
  // not sealed): an enveloping that fails names the part
  // application/octet-stream.
  bool hide_types = false;
  // The certificates' SHA-256, in hex: part of a cached envelope's key.
  std::string smime_fingerprint;
};

// draft-maes-lemonade-xencrypted-02 §3.2 (docs/xencrypted.md): a part
// converted to application/pkcs7-mime is the part as stored, enveloped for
// every certificate the user provisioned, so that a proxy in between
// relays what only the user's devices can open.
constexpr std::string_view smime_type = "application/pkcs7-mime";

// The MIME entity (RFC 8551 §3.1) an S/MIME agent would have enveloped: a
// body part's Content-* fields and its body as stored; for the whole
// message (an empty section), the message as a message/rfc822 entity.
std::string mime_entity(store::account_store& store, const store::message_record& rec,
                        const mime::message_structure& st, std::uint32_t index, bool whole) {
  if (whole) return "Content-Type: message/rfc822\r\n\r\n" + store.read_message(rec.blob);
  auto& p = st.parts[index];
  auto header = store.read_message(rec.blob, p.header.offset, p.header.length);
  std::string out;
  bool typed = false;
  // The root's header is the message's: only its Content-* fields describe
  // the body (From, Subject and the rest stay outside).
  for (auto& f : mime::split_header(header)) {
    if (!core::istarts_with(f.name, "content-")) continue;
    typed = typed || core::iequals(f.name, "content-type");
    out += f.raw;
    if (!out.ends_with('\n')) out += "\r\n";
  }
  // No Content-Type: the type the part has by default (text/plain, or
  // message/rfc822 in a digest) written out, as the entity stands alone.
  if (!typed) out += "Content-Type: " + p.type + "/" + p.subtype + "\r\n";
  out += "\r\n";
  out += store.read_message(rec.blob, p.body.offset, p.body.length);
  return out;
}

// What CONVERSIONS lists as enveloped to application/pkcs7-mime: the types
// the other conversions start from, and the usual composites and
// attachments (any part can be enveloped; these are examples a client can
// match its patterns against).
std::vector<std::string> smime_sources(const convert::converter& conv) {
  std::vector<std::string> out = {"application/octet-stream", "application/pdf", "message/rfc822",
                                  "multipart/alternative", "multipart/mixed", "multipart/related"};
  for (auto& c : conv.conversions("*", "*"))
    if (std::find(out.begin(), out.end(), c.from) == out.end()) out.push_back(c.from);
  std::sort(out.begin(), out.end());
  return out;
}

convert::result smime_conversion(const convert_job& job, const store::message_record& rec,
                                 const mime::message_structure& st, std::uint32_t index, const parse::section_spec& sec,
                                 const std::string& from) {
  convert::failure f{convert::failure::code::bad_parameters, "", job.hide_types ? "application/octet-stream" : from,
                     std::string(smime_type), {}, 0};
  if (!job.request.params.empty()) {
    // §9: "All unrecognized or irrelevant parameters MUST be listed".
    f.text = "S/MIME enveloping takes no conversion parameters";
    f.params = job.request.params;
    return f;
  }
  auto& p = st.parts[index];
  auto size = sec.part.empty() ? rec.size : p.header.length + p.body.length;
  if (size > job.cfg.convert_max_input) {
    f.text = "The body part is too large to convert";
    return f;
  }
  auto entity = mime_entity(job.store, rec, st, index, sec.part.empty());
  // RFC 8551 §3.2.2: smime-type "authEnveloped-data" for AuthEnvelopedData;
  // §3.2.1: the name parameter ends in .p7m.
  return convert::output{std::string(smime_type),
                         {{"smime-type", "authEnveloped-data"}, {"name", "smime.p7m"}},
                         auth::smime::envelope(entity, job.smime)};
}

message_result convert_message(const convert_job& job, const store::message_record& rec) {
  message_result res;
  mime::message_structure st;
  if (auto s = mime::decode_structure(rec.structure); s && s->size == rec.size) st = std::move(*s);
  else st = mime::parse_message(job.store.read_message(rec.blob));
  // Each section converted once, for every item that names it.
  std::map<std::string, convert::result> done;
  auto conversion = [&](const parse::section_spec& sec) -> const convert::result& {
    if (auto it = done.find(sec.text); it != done.end()) return it->second;
    auto where = locate(st, sec);
    convert::failure f;
    f.to = job.request.to.value_or("");
    if (!where.index) {
      // §9: "If the from-concrete-mime-type is NIL, this means that the
      // specified body part doesn't exist."
      f.text = "No such body part";
      if (f.to.empty()) f.to = "application/octet-stream";
      return done.emplace(sec.text, f).first->second;
    }
    if (job.request.to && *job.request.to == smime_type) {
      // Cached as the other conversions are, under the certificates it
      // was made for: a part fetched in pieces (BINARY[1]<0.65536>, then
      // <65536.65536>) in several commands is pieces of one envelope.
      auto key = cache_key(rec.blob, sec, job.request, "smime:" + job.smime_fingerprint);
      if (auto hit = job.store.find_conversion(key))
        return done.emplace(sec.text, convert::output{hit->type, split_params(hit->params), std::move(hit->data)})
            .first->second;
      auto r = smime_conversion(job, rec, st, *where.index, sec, where.type);
      if (auto* o = std::get_if<convert::output>(&r)) {
        spdlog::info("event=convert user={} from={} to={} out={}", job.user, where.type, o->type, o->data.size());
        try {
          job.store.put_conversion(rec.blob, key, {o->type, join_params(o->type_params), o->data},
                                   job.cfg.convert_cache);
        } catch (const std::exception& e) {
          spdlog::warn("event=convert_cache_error user={} error=\"{}\"", job.user, e.what());
        }
      }
      return done.emplace(sec.text, std::move(r)).first->second;
    }
    if (auto bad = job.conv.check(where.type, job.request)) return done.emplace(sec.text, *bad).first->second;
    auto key = cache_key(rec.blob, sec, job.request, job.conv.fingerprint());
    auto started = std::chrono::steady_clock::now();
    if (auto hit = job.store.find_conversion(key)) {
      convert::output o{hit->type, split_params(hit->params), std::move(hit->data)};
      return done.emplace(sec.text, o).first->second;
    }
    auto& p = st.parts[*where.index];
    f.from = where.type;
    if (f.to.empty()) f.to = job.conv.default_target(where.type).value_or(where.type);
    // What the part decodes to, at least: base64 gives 3 octets of 4
    // (line ends aside), quoted-printable at least 1 of 3, anything else
    // is as long as it is.
    auto cte = mime::classify_cte(p.encoding);
    auto least = cte == mime::cte_kind::base64             ? p.body.length / 4 * 3 * 76 / 78
                 : cte == mime::cte_kind::quoted_printable ? p.body.length / 3
                                                           : p.body.length;
    if (least > job.cfg.convert_max_input) {
      f.text = "The body part is too large to convert";
      return done.emplace(sec.text, f).first->second;
    }
    auto body = job.store.read_message(rec.blob, p.body.offset, p.body.length);
    auto content = mime::binary_content(body, p);
    if (!content) {
      f.text = "Unknown Content-Transfer-Encoding " + p.encoding.substr(0, 64);
      return done.emplace(sec.text, f).first->second;
    }
    if (content->size() > job.cfg.convert_max_input) {
      f.text = "The body part is too large to convert";
      return done.emplace(sec.text, f).first->second;
    }
    auto r = job.conv.run_checked({where.type, charset_param(p), *content}, job.request);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    // RFC 5259 §11 and §13: who converted what, how long it took, and
    // why it failed.
    if (auto* o = std::get_if<convert::output>(&r)) {
      spdlog::info("event=convert user={} from={} to={} in={} out={} ms={}", job.user, where.type, o->type,
                   content->size(), o->data.size(), ms);
      try {
        job.store.put_conversion(rec.blob, key, {o->type, join_params(o->type_params), o->data}, job.cfg.convert_cache);
      } catch (const std::exception& e) {
        // Not kept (a full disk, say): the client has its answer all the same.
        spdlog::warn("event=convert_cache_error user={} error=\"{}\"", job.user, e.what());
      }
    } else {
      spdlog::info("event=convert_failed user={} from={} to={} in={} ms={} reason=\"{}\"", job.user, where.type,
                   std::get<convert::failure>(r).to, content->size(), ms, std::get<convert::failure>(r).text);
    }
    return done.emplace(sec.text, std::move(r)).first->second;
  };
  for (auto& att : job.cmd.atts) {
    if (att.what == akind::uid) {
      res.items.emplace_back();
      continue;
    }
    auto fail = [&](value v) {
      res.items.emplace_back(std::move(v));
      res.any_failed = true;
    };
    auto good = [&](value v) {
      res.items.emplace_back(std::move(v));
      res.any_ok = true;
    };
    switch (att.what) {
      case akind::uid: break;
      case akind::availableconversions: {
        // §8.4: a subset of what CONVERSIONS lists, the request's
        // parameters taken into account; no conversion is run.
        auto where = locate(st, att.section);
        if (!where.index) {
          convert::failure f{convert::failure::code::bad_parameters, "No such body part", "",
                             job.request.to.value_or("application/octet-stream"), {}, 0};
          fail(error_phrase(f));
          break;
        }
        // Any part can be enveloped, with no parameter; listed unasked
        // only for the types CONVERSIONS lists (§8.4: a subset of it).
        bool smime_ok = !job.smime.empty() && job.request.params.empty();
        if (job.request.to && *job.request.to == smime_type) {
          convert::failure f{convert::failure::code::bad_parameters, "S/MIME enveloping takes no conversion parameters",
                             job.hide_types ? "application/octet-stream" : where.type, std::string(smime_type),
                             job.request.params, 0};
          if (smime_ok) good(wire_list{wire_list{string{std::string(smime_type)}}});
          else fail(error_phrase(f));
          break;
        }
        auto sources = smime_sources(job.conv);
        smime_ok = smime_ok && std::find(sources.begin(), sources.end(), where.type) != sources.end();
        if (job.request.to) {
          if (auto bad = job.conv.check(where.type, job.request)) fail(error_phrase(*bad));
          else good(wire_list{wire_list{string{*job.request.to}}});
          break;
        }
        wire_list types;
        for (auto& t : job.conv.targets(where.type, job.request)) types.push_back(string{t});
        if (smime_ok) types.push_back(string{std::string(smime_type)});
        if (types.empty() && !job.request.params.empty()) {
          // "If the server only had a single target MIME type candidate
          // and it was discarded due to the list of conversion
          // parameters, then the server SHOULD return the ERROR phrase".
          if (auto bad = job.conv.check(where.type, job.request)) {
            fail(error_phrase(*bad));
            break;
          }
        }
        good(wire_list{std::move(types)});
        break;
      }
      case akind::header:
      case akind::mime: {
        std::optional<std::uint32_t> idx =
            att.what == akind::header ? mime::find_message(st, att.section.part) : mime::find_part(st, att.section.part);
        if (!idx) {
          convert::failure f{convert::failure::code::bad_parameters, "No such body part", "", "text/plain", {}, 0};
          fail(error_phrase(f));
          break;
        }
        // §9: "All unrecognized or irrelevant parameters MUST be listed";
        // here only CHARSET (a name iconv knows) and its replacement apply.
        auto* charset = job.request.find("charset");
        auto* replacement = job.request.find("unknown-character-replacement");
        convert::failure f{convert::failure::code::bad_parameters, "", "message/rfc822", "message/rfc822", {}, 0};
        for (auto& p : job.request.params) {
          auto named = std::count_if(job.request.params.begin(), job.request.params.end(),
                                     [&](auto& q) { return q.name == p.name; });
          bool charset_ok = p.name == "charset" && mime::iconv_name_of(p.value) &&
                            core::to_lower(p.value).find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.:+") ==
                                std::string::npos;
          bool replacement_ok =
              p.name == "unknown-character-replacement" && p.value.size() <= job.conv.settings().max_replacement;
          bool fits = named == 1 && (charset_ok || replacement_ok);
          if (!fits) f.params.push_back(p);
        }
        if (!f.params.empty()) {
          f.text = "Conversion parameters not understood or not valid for a header";
          fail(error_phrase(f));
          break;
        }
        auto& range = st.parts[*idx].header;
        auto header = job.store.read_message(rec.blob, range.offset, range.length);
        auto recoded = recode_header(header, core::to_lower(*charset), replacement);
        if (!recoded) {
          f.text = "The header has characters " + *charset + " cannot hold";
          f.params = {{"charset", *charset}};
          if (replacement) f.params.push_back({"unknown-character-replacement", *replacement});
          fail(error_phrase(f));
          break;
        }
        good(literal{std::move(*recoded)});
        break;
      }
      case akind::binary:
      case akind::binary_size:
      case akind::bodypartstructure: {
        auto& r = conversion(att.section);
        if (auto* f = std::get_if<convert::failure>(&r)) {
          fail(error_phrase(*f));
          break;
        }
        auto& o = std::get<convert::output>(r);
        if (att.what == akind::binary_size) {
          good(number{o.data.size()});
        } else if (att.what == akind::bodypartstructure) {
          good(part_structure(o, job.wopts));
        } else {
          // §6: "<partial> arguments refer to the TRANSCODED and DECODED
          // section data". Images go as literal8 (RFC 3516 §4.3), as any
          // data holding a NUL.
          std::string data = o.data;
          if (att.partial) {
            auto [origin, length] = *att.partial;
            data = origin >= data.size() ? std::string() : data.substr(origin, length);
          }
          bool binary = !o.type.starts_with("text/") || data.find('\0') != std::string::npos;
          good(literal{std::move(data), binary});
        }
        break;
      }
    }
  }
  return res;
}

std::string item_label(const parse::convert_att& att) {
  switch (att.what) {
    case akind::uid: return "UID";
    case akind::bodypartstructure: return "BODYPARTSTRUCTURE[" + att.section.text + "]";
    case akind::binary: {
      std::string l = "BINARY[" + att.section.text + "]";
      if (att.partial) l += "<" + std::to_string(att.partial->first) + ">";
      return l;
    }
    case akind::binary_size: return "BINARY.SIZE[" + att.section.text + "]";
    case akind::header:
    case akind::mime: return "BODY[" + att.section.text + "]";
    case akind::availableconversions: return "AVAILABLECONVERSIONS[" + att.section.text + "]";
  }
  return {};
}

// The DER of the user's S/MIME certificates that have not expired (runs on
// a pool thread).
std::vector<std::string> certificates_in_force(command_context& ctx) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::vector<std::string> out;
  for (auto& c : ctx.server.store.users().list_smime_certificates(ctx.session.user))
    if (c.not_after > now) out.push_back(std::move(c.der));
  return out;
}

}  // namespace

asio::awaitable<void> conversions(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::conversions_cmd>(a);
  if (!ctx.server.converter) reject_syntax("CONVERSIONS is not offered here");
  // §5.2 conversion-data = "CONVERSION" SP quoted-from-mime-type SP
  // quoted-to-mime-type [SP "(" transcoding-param-name ... ")"]
  for (auto& c : ctx.server.converter->conversions(cmd.from, cmd.to)) {
    untagged u;
    u.items = {atom{"CONVERSION"}, string{c.from}, string{c.to}};
    if (!c.params.empty()) {
      wire_list names;
      for (auto& p : c.params) names.push_back(string{p});
      u.items.push_back(std::move(names));
    }
    ctx.untagged(std::move(u));
  }
  if (!convert::matches(cmd.to, smime_type)) co_return;
  auto certs = co_await ctx.blocking([&] { return certificates_in_force(ctx); }, command_context::work::read);
  if (certs.empty()) co_return;
  for (auto& from : smime_sources(*ctx.server.converter)) {
    if (!convert::matches(cmd.from, from)) continue;
    untagged u;
    u.items = {atom{"CONVERSION"}, string{from}, string{std::string(smime_type)}};
    ctx.untagged(std::move(u));
  }
}

asio::awaitable<void> convert(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::convert_cmd>(a);
  if (!ctx.server.converter) reject_syntax("CONVERT is not offered here");
  auto& cfg = ctx.server.cfg;
  bool header_items = false;
  std::vector<std::string> sections;
  for (auto& att : cmd.atts) {
    if (att.what == akind::uid) continue;
    header_items = header_items || att.what == akind::header || att.what == akind::mime;
    if (std::find(sections.begin(), sections.end(), att.section.text) == sections.end())
      sections.push_back(att.section.text);
  }
  convert::request request;
  request.to = cmd.to;
  for (auto& [n, v] : cmd.params) request.params.push_back({n, v});
  if (header_items) {
    // §6: "No destination MIME type MUST be specified with BODY[HEADER],
    // BODY[section.HEADER], or BODY[section.MIME]"; "Any such request
    // MUST include the CHARSET parameter."
    if (cmd.to) reject_syntax("BODY[...HEADER] and BODY[...MIME] take the default conversion (NIL) only");
    if (!request.find("charset")) reject_syntax("BODY[...HEADER] and BODY[...MIME] need the CHARSET parameter");
  }
  bool smime_target = cmd.to && *cmd.to == smime_type;
  bool listing = std::any_of(cmd.atts.begin(), cmd.atts.end(),
                             [](auto& t) { return t.what == akind::availableconversions; });
  std::vector<std::string> certs;
  if (smime_target || listing)
    certs = co_await ctx.blocking([&] { return certificates_in_force(ctx); }, command_context::work::read);
  // §9: "An unrecognized MIME media type generates a NO tagged
  // response": a target no conversion here makes (one that some part
  // cannot reach is an ERROR BADPARAMETERS of that part).
  if (smime_target && certs.empty())
    refuse("No S/MIME certificate is provisioned for this account, so nothing converts to " + *cmd.to);
  if (cmd.to && !smime_target && ctx.server.converter->conversions("*", *cmd.to).empty())
    refuse("No conversion to " + cmd.to->substr(0, 64) + " is available");
  // §8.5: the limits, each with its response code.
  if (sections.size() > cfg.convert_max_parts) {
    command_error e(status::no, "At most " + std::to_string(cfg.convert_max_parts) + " body parts per CONVERT");
    e.resp_code = code{"MAXCONVERTPARTS", {number{cfg.convert_max_parts}}};
    throw e;
  }
  auto& view = *ctx.session.selected;
  auto uids = resolve(view, cmd.set, cmd.uid);
  if (uids.size() > cfg.convert_max_messages) {
    command_error e(status::no, "At most " + std::to_string(cfg.convert_max_messages) + " messages per CONVERT");
    e.resp_code = code{"MAXCONVERTMESSAGES", {number{cfg.convert_max_messages}}};
    throw e;
  }
  auto& acct = *ctx.session.account;
  auto records = co_await ctx.blocking([&] { return acct.store().fetch(view.info().id, uids); },
                                       command_context::work::read);
  auto& proxy = ctx.session.proxy;
  bool hide_types = proxy && !ctx.sealed &&
                    !(proxy->allow & (store::allow_clear_envelope | store::allow_clear_content));
  std::string certs_octets;
  for (auto& c : certs) certs_octets += std::to_string(c.size()) + ":" + c;
  convert_job job{acct.store(), *ctx.server.converter, cfg,   cmd,  request, ctx.session.wopts, ctx.session.user,
                  certs,        hide_types,           core::hex_encode(auth::sha256(certs_octets))};
  bool any_ok = false, any_failed = false;
  auto started = std::chrono::steady_clock::now();
  for (auto& rec : records) {
    auto seq = view.seq_of(rec.id);
    if (!seq) continue;
    // One command holds a conversion thread for so long at most; the
    // messages left are for another command.
    if (std::chrono::steady_clock::now() - started > cfg.convert_command_time)
      refuse("The conversions took too long; ask for fewer at a time", "TEMPFAIL");
    message_result res;
    try {
      res = co_await ctx.blocking([&] { return convert_message(job, rec); }, command_context::work::convert);
    } catch (const std::exception& e) {
      // §9: "If the server is unable to perform the requested conversion
      // because a resource is temporary unavailable (e.g., lack of disk
      // space, temporary internal error ...), then the server MUST return
      // a tagged NO response that SHOULD contain the TEMPFAIL response code".
      spdlog::warn("conn={} event=convert_error user={} error=\"{}\"", ctx.session.conn.id, ctx.session.user, e.what());
      refuse("The conversion failed for now; try again later", "TEMPFAIL");
    }
    any_ok = any_ok || res.any_ok;
    any_failed = any_failed || res.any_failed;
    // §8.1: "If the UID data item is returned, it MUST be returned as the
    // first data item"; UID CONVERT always returns it (§6).
    wire_list items;
    bool uid_asked = std::any_of(cmd.atts.begin(), cmd.atts.end(), [](auto& t) { return t.what == akind::uid; });
    if (cmd.uid || uid_asked) {
      items.push_back(atom{"UID"});
      items.push_back(number{store::to_int(rec.id)});
    }
    for (std::size_t i = 0; i < cmd.atts.size(); ++i) {
      if (!res.items[i]) continue;
      items.push_back(atom{item_label(cmd.atts[i])});
      items.push_back(std::move(*res.items[i]));
    }
    // message-data =/ nz-number SP "CONVERTED" SP convert-correlator SP
    // convert-msg-attrs; convert-correlator = "(" "TAG" SP tag-string ")".
    untagged u;
    u.items = {number{*seq}, atom{"CONVERTED"}, wire_list{atom{"TAG"}, string{ctx.tag()}}, std::move(items)};
    ctx.untagged(std::move(u));
    co_await ctx.io.flush();
  }
  // §9: "If at least one conversion succeeds, the server MUST return an
  // OK response. If all conversions fail, the server MAY return OK or NO."
  if (any_failed && !any_ok) refuse("All conversions failed");
  if (any_failed) ctx.result.text = "Some conversions failed";
}

}  // namespace lemonade::imap::commands
