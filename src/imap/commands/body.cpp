#include "imap/commands/body.hpp"

#include "core/strings.hpp"

namespace lemonade::imap::commands {

using namespace response;

namespace {

value nstring(const std::optional<std::string>& s) {
  if (!s) return nil{};
  return string{*s};
}

value address_list(const std::vector<mime::address>& as) {
  if (as.empty()) return nil{};
  adjacent items;  // RFC 3501 §9: "(" 1*address ")"
  for (auto& a : as) items.items.push_back(list{nstring(a.name), nstring(a.adl), nstring(a.mailbox), nstring(a.host)});
  return list{std::move(items)};
}

// body-fld-param: ("NAME" "value" ...) or NIL. An RFC 2231 extended value
// keeps its "*" and its encoded form; clients that know RFC 2231 decode it.
value params_value(const std::vector<mime::parameter>& ps, bool default_charset) {
  list out;
  if (default_charset) {
    // RFC 2046 §4.1.2: text without a charset parameter is US-ASCII.
    out.push_back(string{"CHARSET"});
    out.push_back(string{"US-ASCII"});
  }
  for (auto& p : ps) {
    out.push_back(string{core::to_upper(p.name) + (p.extended ? "*" : "")});
    out.push_back(string{p.value});
  }
  if (out.empty()) return nil{};
  return out;
}

bool has_param(const std::vector<mime::parameter>& ps, std::string_view name) {
  for (auto& p : ps)
    if (p.name == name) return true;
  return false;
}

value disposition_value(const mime::part& p) {
  if (!p.disposition) return nil{};
  return list{string{core::to_upper(*p.disposition)}, params_value(p.disposition_params, false)};
}

value language_value(const mime::part& p) {
  if (p.languages.empty()) return nil{};
  if (p.languages.size() == 1) return string{p.languages[0]};
  list out;
  for (auto& l : p.languages) out.push_back(string{l});
  return out;
}

}  // namespace

value envelope_value(const mime::envelope& e) {
  return list{nstring(e.date),       nstring(e.subject),     address_list(e.from),
              address_list(e.sender), address_list(e.reply_to), address_list(e.to),
              address_list(e.cc),     address_list(e.bcc),    nstring(e.in_reply_to),
              nstring(e.message_id)};
}

value body_value(const mime::message_structure& s, std::uint32_t index, bool extensible) {
  auto& p = s.parts[index];
  list out;
  if (p.kind == mime::part_kind::multipart) {
    // RFC 3501 §9 body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
    adjacent children;
    for (auto c : p.children) children.items.push_back(body_value(s, c, extensible));
    out.push_back(std::move(children));
    out.push_back(string{core::to_upper(p.subtype)});
    if (extensible) {
      out.push_back(params_value(p.params, false));
      out.push_back(disposition_value(p));
      out.push_back(language_value(p));
      out.push_back(nstring(p.location));
    }
    return out;
  }
  // An opaque composite (a limit was reached, or an encoded message/rfc822)
  // is shown as the octets it is.
  bool text = !p.opaque && p.type == "text";
  bool message = !p.opaque && p.kind == mime::part_kind::message;
  out.push_back(string{p.opaque ? "APPLICATION" : core::to_upper(p.type)});
  out.push_back(string{p.opaque ? "OCTET-STREAM" : core::to_upper(p.subtype)});
  out.push_back(params_value(p.params, text && !has_param(p.params, "charset")));
  out.push_back(nstring(p.id));
  out.push_back(nstring(p.description));
  out.push_back(string{p.encoding.empty() ? std::string("7BIT") : core::to_upper(p.encoding)});
  out.push_back(number{p.body.length});
  if (message) {
    // RFC 3501 §7.4.2: envelope, body structure and line count of the
    // encapsulated message.
    auto inner = p.children[0];
    out.push_back(envelope_value(s.envelopes[s.parts[inner].envelope]));
    out.push_back(body_value(s, inner, extensible));
    out.push_back(number{p.lines});
  } else if (text) {
    out.push_back(number{p.lines});
  }
  if (extensible) {
    out.push_back(nil{});  // body-fld-md5: not computed
    out.push_back(disposition_value(p));
    out.push_back(language_value(p));
    out.push_back(nstring(p.location));
  }
  return out;
}

}  // namespace lemonade::imap::commands
