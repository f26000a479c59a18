#include "imap/commands/body.hpp"

namespace lemonade::imap::commands {

using response::emitter;

namespace {

void address_list(emitter& e, const std::vector<mime::address>& as) {
  if (as.empty()) {
    e.nil();
    return;
  }
  e.open();  // RFC 3501 §9: "(" 1*address ")"
  for (auto& a : as) {
    e.glue().open();
    e.nstring(a.name).nstring(a.adl).nstring(a.mailbox).nstring(a.host);
    e.close();
  }
  e.close();
}

// body-fld-param: ("NAME" "value" ...) or NIL. An RFC 2231 extended value
// keeps its "*" and its encoded form; clients that know RFC 2231 decode it.
void params(emitter& e, const std::vector<mime::parameter>& ps, bool default_charset) {
  if (ps.empty() && !default_charset) {
    e.nil();
    return;
  }
  e.open();
  if (default_charset) {
    // RFC 2046 §4.1.2: text without a charset parameter is US-ASCII.
    e.string("CHARSET").string("US-ASCII");
  }
  for (auto& p : ps) {
    if (p.extended) e.upper_string(p.name + "*");
    else e.upper_string(p.name);
    e.string(p.value);
  }
  e.close();
}

bool has_param(const std::vector<mime::parameter>& ps, std::string_view name) {
  for (auto& p : ps)
    if (p.name == name) return true;
  return false;
}

void disposition(emitter& e, const mime::part& p) {
  if (!p.disposition) {
    e.nil();
    return;
  }
  e.open().upper_string(*p.disposition);
  params(e, p.disposition_params, false);
  e.close();
}

void language(emitter& e, const mime::part& p) {
  if (p.languages.empty()) {
    e.nil();
  } else if (p.languages.size() == 1) {
    e.string(p.languages[0]);
  } else {
    e.open();
    for (auto& l : p.languages) e.string(l);
    e.close();
  }
}

}  // namespace

void write_envelope(emitter& e, const mime::envelope& env) {
  e.open().nstring(env.date).nstring(env.subject);
  address_list(e, env.from);
  address_list(e, env.sender);
  address_list(e, env.reply_to);
  address_list(e, env.to);
  address_list(e, env.cc);
  address_list(e, env.bcc);
  e.nstring(env.in_reply_to).nstring(env.message_id).close();
}

void write_body(emitter& e, const mime::message_structure& s, std::uint32_t index, bool extensible) {
  auto& p = s.parts[index];
  e.open();
  if (p.kind == mime::part_kind::multipart) {
    // RFC 3501 §9 body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
    for (auto c : p.children) {
      e.glue();
      write_body(e, s, c, extensible);
    }
    e.upper_string(p.subtype);
    if (extensible) {
      params(e, p.params, false);
      disposition(e, p);
      language(e, p);
      e.nstring(p.location);
    }
    e.close();
    return;
  }
  // An opaque composite (a limit was reached, or an encoded message/rfc822)
  // is shown as the octets it is.
  bool text = !p.opaque && p.type == "text";
  bool message = !p.opaque && p.kind == mime::part_kind::message;
  if (p.opaque) e.string("APPLICATION").string("OCTET-STREAM");
  else e.upper_string(p.type).upper_string(p.subtype);
  params(e, p.params, text && !has_param(p.params, "charset"));
  e.nstring(p.id).nstring(p.description);
  if (p.encoding.empty()) e.string("7BIT");
  else e.upper_string(p.encoding);
  e.number(p.body.length);
  if (message) {
    // RFC 3501 §7.4.2: envelope, body structure and line count of the
    // encapsulated message.
    auto inner = p.children[0];
    write_envelope(e, s.envelopes[s.parts[inner].envelope]);
    write_body(e, s, inner, extensible);
    e.number(p.lines);
  } else if (text) {
    e.number(p.lines);
  }
  if (extensible) {
    e.nil();  // body-fld-md5: not computed
    disposition(e, p);
    language(e, p);
    e.nstring(p.location);
  }
  e.close();
}

}  // namespace lemonade::imap::commands
