#pragma once
// SMTP and LMTP commands (RFC 5321 §4.1.1 and the extensions of RFC 5550
// §3.1) as typed values: one parse per line, no I/O, no policy. Errors
// carry the reply the session sends (500/501/504/555 with RFC 3463 codes).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "smtp/syntax/address.hpp"
#include "smtp/syntax/reply.hpp"

namespace lemonade::smtp::parse {

struct hello_cmd {
  enum class kind { helo, ehlo, lhlo } what = kind::ehlo;
  std::string domain;  // as given (a domain or an address literal)
};

// RFC 6152 / RFC 3030 BODY=.
enum class body_type { unspecified, seven_bit, eight_bit_mime, binary_mime };

struct mail_cmd {
  syntax::mailbox from;                 // empty for "<>"
  std::optional<std::uint64_t> size;    // RFC 1870 SIZE=
  body_type body = body_type::unspecified;
  bool smtputf8 = false;                // RFC 6531
  enum class ret_kind { unspecified, full, hdrs } ret = ret_kind::unspecified;  // RFC 3461 RET=
  std::optional<std::string> envid;     // RFC 3461 ENVID=, xtext decoded
  std::optional<std::string> auth;      // RFC 4954 §5 AUTH=, decoded; "" for <>
};

// RFC 3461 §4.1 NOTIFY=.
struct notify_set {
  bool never = false, success = false, failure = false, delay = false;
};

struct rcpt_cmd {
  syntax::mailbox to;
  std::optional<notify_set> notify;
  // RFC 3461 §4.2 ORCPT=addr-type;xtext: the type and the decoded address.
  std::optional<std::pair<std::string, std::string>> orcpt;
};

struct data_cmd {};
struct bdat_cmd {  // RFC 3030 §2
  std::uint64_t size = 0;
  bool last = false;
};
struct burl_cmd {  // RFC 4468 §3
  std::string url;
  bool last = false;
};
struct rset_cmd {};
struct noop_cmd {};
struct quit_cmd {};
struct vrfy_cmd {
  std::string argument;
};
struct help_cmd {};
struct starttls_cmd {};
struct auth_cmd {  // RFC 4954 §4
  std::string mechanism;                 // upper case
  std::optional<std::string> initial;    // base64 as sent, "=" for empty
};

// docs/xencrypted.md, sealed submission: "XKEY" SP key-id SP client-nonce
// (hex digits, here octets) and "XSEALED" SP base64 object (decoded).
struct xkey_cmd {
  std::string key_id;
  std::string client_nonce;
};
struct xsealed_cmd {
  std::string object;
};

using command = std::variant<hello_cmd, mail_cmd, rcpt_cmd, data_cmd, bdat_cmd, burl_cmd, rset_cmd, noop_cmd,
                             quit_cmd, vrfy_cmd, help_cmd, starttls_cmd, auth_cmd, xkey_cmd, xsealed_cmd>;

struct options {
  bool utf8 = false;  // SMTPUTF8 advertised: UTF-8 in addresses when MAIL asks for it
};

struct result {
  std::optional<command> cmd;
  syntax::reply error;  // when !cmd
  std::string verb;     // upper case, for logs ("" when none could be read)
};

// `line` without its line end.
result parse_command(std::string_view line, const options& o);

}  // namespace lemonade::smtp::parse
