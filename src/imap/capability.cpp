#include "imap/capability.hpp"

namespace lemonade::imap {
namespace {

bool always(const capability_facts&) { return true; }
bool before_login(const capability_facts& f) { return !f.authenticated; }
bool after_login(const capability_facts& f) { return f.authenticated; }

}  // namespace

const std::vector<capability_row>& capability_table() {
  static const std::vector<capability_row> rows = {
      {"IMAP4rev1", "RFC 3501", always},
      {"STARTTLS", "RFC 3501 §6.2.1",
       [](const capability_facts& f) { return !f.authenticated && f.starttls_offered && !f.tls_active; }},
      // RFC 3501 §6.2.3: LOGINDISABLED where plaintext login is refused.
      {"LOGINDISABLED", "RFC 3501 §6.2.3",
       [](const capability_facts& f) { return !f.authenticated && !f.plaintext_allowed; }},
      {"AUTH=PLAIN", "RFC 4616",
       [](const capability_facts& f) { return !f.authenticated && f.plaintext_allowed; }},
      // SCRAM never reveals the password, so it is offered without TLS too.
      {"AUTH=SCRAM-SHA-256", "RFC 7677", before_login},
      {"SASL-IR", "RFC 4959", before_login},
      // RFC 7888 §4: a server offers one of LITERAL+ and LITERAL-.
      {"LITERAL+", "RFC 7888", [](const capability_facts& f) { return !f.literal_minus; }},
      {"LITERAL-", "RFC 7888", [](const capability_facts& f) { return f.literal_minus; }},
      {"ID", "RFC 2971", always},
      {"ENABLE", "RFC 5161", always},
      {"IDLE", "RFC 2177", after_login},
      {"NAMESPACE", "RFC 2342", after_login},
      {"UNSELECT", "RFC 3691", after_login},
      {"MULTIAPPEND", "RFC 3502", after_login},
      {"CHILDREN", "RFC 3348", after_login},
      {"LIST-EXTENDED", "RFC 5258", after_login},
      {"LIST-STATUS", "RFC 5819", after_login},
      {"SPECIAL-USE", "RFC 6154", after_login},
      {"CREATE-SPECIAL-USE", "RFC 6154", after_login},
      {"UIDPLUS", "RFC 4315", after_login},
      {"MOVE", "RFC 6851", after_login},
      {"CONDSTORE", "RFC 7162 §3.1", after_login},
      {"QRESYNC", "RFC 7162 §3.2", after_login},
      {"WITHIN", "RFC 5032", after_login},
      {"ESEARCH", "RFC 4731", after_login},
      {"SEARCHRES", "RFC 5182", after_login},
      {"NOTIFY", "RFC 5465", after_login},
      {"CONTEXT=SEARCH", "RFC 5267 §4", after_login},
      {"SORT", "RFC 5256", after_login},
      {"SORT=DISPLAY", "RFC 5957", after_login},
      {"ESORT", "RFC 5267 §3", after_login},
      {"CONTEXT=SORT", "RFC 5267 §4", after_login},
      {"THREAD=ORDEREDSUBJECT", "RFC 5256", after_login},
      {"THREAD=REFERENCES", "RFC 5256", after_login},
      {"BINARY", "RFC 3516", after_login},
      {"CATENATE", "RFC 4469", after_login},
      {"URLAUTH", "RFC 4467", after_login},
      {"URLAUTH=BINARY", "RFC 5524", after_login},
      {"URL-PARTIAL", "RFC 5550 §5.7.1", after_login},
      {"PARTIAL", "RFC 9394", after_login},
      {"METADATA", "RFC 5464", after_login},
      {"PREVIEW", "RFC 8970", after_login},
      // docs/xencrypted.md (draft-maes-lemonade-xencrypted): XKEY, encrypted
      // FETCH output and APPEND/CATENATE input.
      {"XENCRYPTED=AES-256-GCM", "draft-maes-lemonade-xencrypted", after_login},
      // RFC 4978 §3: COMPRESS is a command-auth (after login).
      {"COMPRESS=DEFLATE", "RFC 4978", [](const capability_facts& f) { return f.authenticated && f.compress; }},
      // RFC 5259 §3.1: with BINARY; only when the text and image
      // conversions work (convert::converter::available).
      {"CONVERT", "RFC 5259", [](const capability_facts& f) { return f.authenticated && f.convert; }},
  };
  return rows;
}

std::vector<std::string> capabilities(const capability_facts& f) {
  std::vector<std::string> out;
  for (auto& row : capability_table())
    if (row.offered(f)) out.emplace_back(row.name);
  return out;
}

}  // namespace lemonade::imap
