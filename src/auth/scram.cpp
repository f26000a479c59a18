// SCRAM-SHA-256 server (RFC 5802 §5 and §7, RFC 7677 §3). See scram.hpp.

#include "auth/scram.hpp"

#include <stdexcept>
#include <utility>
#include <vector>

#include "auth/sasl.hpp"
#include "core/strings.hpp"

namespace lemonade::auth {

namespace {

constexpr std::size_t key_size = 32;         // SHA-256 output
constexpr std::size_t fake_salt_size = 16;   // same as derive_scram's salts
constexpr std::size_t server_nonce_octets = 24;

using step_result = scram_sha256_server::step_result;
using status = scram_sha256_server::status;

step_result fail(std::string reason) { return {status::failure, std::move(reason)}; }

// Splits on ',' keeping empty fields: "n,,n=u" -> {"n", "", "n=u"}.
std::vector<std::string_view> split_attributes(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto comma = s.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
}

// The value of attribute "<name>=value", or nullopt if field is another
// attribute. RFC 5802 §5.1: attribute names are single letters and
// case-sensitive.
std::optional<std::string_view> attribute(std::string_view field, char name) {
  if (field.size() < 2 || field[0] != name || field[1] != '=') return std::nullopt;
  return field.substr(2);
}

// RFC 5802 §7: printable = %x21-2B / %x2D-7E (printable ASCII except ',').
bool is_printable(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  return true;
}

// RFC 5802 §7: attr-val = ALPHA "=" value; value = 1*value-char, where
// value-char is any UTF-8 character except NUL and ','.
bool is_extension(std::string_view field) {
  if (field.size() < 3 || field[1] != '=') return false;
  char a = field[0];
  if (!((a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z'))) return false;
  auto value = field.substr(2);
  return value.find('\0') == std::string_view::npos && is_valid_utf8(value);
}

// RFC 5802 §7: saslname = 1*(value-safe-char / "=2C" / "=3D"). Decodes the
// two escapes ("=2C" -> ',', "=3D" -> '='). RFC 5802 §5.1: a '=' "not
// followed by either '2C' or '3D'" MUST fail the authentication. NUL is not
// a value-safe-char, and the result must be UTF-8 (§5.1 "n").
// RFC 5234 §2.3: quoted ABNF strings are case-insensitive, so "=2c" is
// accepted too.
std::optional<std::string> decode_saslname(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\0') return std::nullopt;
    if (c != '=') {
      out += c;
      continue;
    }
    auto escape = s.substr(i + 1, 2);
    if (core::iequals(escape, "2C")) out += ',';
    else if (core::iequals(escape, "3D")) out += '=';
    else return std::nullopt;
    i += 2;
  }
  if (!is_valid_utf8(out)) return std::nullopt;
  return out;
}

bool all_extensions(const std::vector<std::string_view>& fields, std::size_t from,
                    std::size_t to) {
  for (std::size_t i = from; i < to; ++i)
    if (!is_extension(fields[i])) return false;
  return true;
}

std::string xor_octets(std::string_view a, std::string_view b) {
  std::string out(a.size(), '\0');
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

bool usable(const scram_secrets& s) {
  return !s.salt.empty() && s.iterations > 0 && s.stored_key.size() == key_size &&
         s.server_key.size() == key_size;
}

}  // namespace

scram_sha256_server::scram_sha256_server(lookup_fn lookup, std::string fake_salt_key,
                                         std::string nonce)
    : lookup_(std::move(lookup)),
      fake_salt_key_(std::move(fake_salt_key)),
      server_nonce_(std::move(nonce)) {
  if (!lookup_) throw std::invalid_argument("scram_sha256_server: no lookup function");
  if (fake_salt_key_.empty())
    throw std::invalid_argument("scram_sha256_server: empty fake salt key");
  // Base64 of random octets is printable and has no ',' (RFC 5802 §7 nonce).
  if (server_nonce_.empty()) server_nonce_ = core::base64_encode(random_bytes(server_nonce_octets));
  if (!is_printable(server_nonce_))
    throw std::invalid_argument("scram_sha256_server: server nonce is not printable");
}

scram_sha256_server::step_result scram_sha256_server::step(std::string_view client_message) {
  // Whatever happens below (including an exception from lookup_), a failed
  // step ends the exchange.
  auto current = std::exchange(phase_, phase::done);
  switch (current) {
    case phase::client_first: return on_client_first(client_message);
    case phase::client_final: return on_client_final(client_message);
    case phase::done: break;
  }
  return fail("SCRAM exchange already finished");
}

scram_sha256_server::step_result scram_sha256_server::on_client_first(std::string_view message) {
  // RFC 5802 §7:
  //   client-first-message = gs2-header client-first-message-bare
  //   gs2-header = gs2-cbind-flag "," [ authzid ] ","
  //   client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  auto fields = split_attributes(message);
  if (fields.size() < 4) return fail("malformed client-first-message");

  // RFC 5802 §6: "n" = client does not support channel binding; "y" = it
  // does but thinks the server does not. "If the flag is set to "y" and the
  // server supports channel binding, the server MUST fail" -- we do not
  // support it (no -PLUS mechanism), so "y" is accepted. If -PLUS is ever
  // advertised, "y" must be refused here.
  std::string_view flag = fields[0];
  if (attribute(flag, 'p')) return fail("channel binding requested but not supported");
  if (flag != "n" && flag != "y") return fail("malformed gs2-cbind-flag");

  std::optional<std::string> authzid;
  if (!fields[1].empty()) {
    auto a = attribute(fields[1], 'a');
    if (!a) return fail("malformed gs2 authzid");
    authzid = decode_saslname(*a);
    if (!authzid) return fail("malformed gs2 authzid");
  }
  gs2_header_ = std::string(fields[0]) + "," + std::string(fields[1]) + ",";
  client_first_bare_ = std::string(message.substr(gs2_header_.size()));

  // RFC 5802 §5.1 "m": reserved for mandatory extensions; "if this attribute
  // is present the server MUST cause authentication failure".
  if (attribute(fields[2], 'm')) return fail("unsupported mandatory extension");

  auto n = attribute(fields[2], 'n');
  if (!n) return fail("client-first-message has no username");
  auto username = decode_saslname(*n);
  if (!username) return fail("invalid username encoding");
  username_ = std::move(*username);

  auto client_nonce = attribute(fields[3], 'r');
  if (!client_nonce || !is_printable(*client_nonce)) return fail("malformed client nonce");
  // RFC 5802 §5.1: unknown extensions MUST be ignored, but must still parse.
  if (!all_extensions(fields, 4, fields.size())) return fail("malformed extension");

  // RFC 5802 §5.1 "a": authorization identity. We have no proxy
  // authorization, so only "act as myself" is allowed.
  if (authzid && *authzid != username_) return fail("authzid differs from username");

  auto found = lookup_(username_);
  if (!found) {
    use_fake_secrets("unknown user or no SCRAM secrets");
  } else if (!usable(*found)) {
    // Our fault, but the client must not see a difference: fail at the end.
    use_fake_secrets("stored SCRAM secrets are malformed");
  } else {
    secrets_ = std::move(*found);
  }

  // RFC 5802 §5.1 "r": the server appends its own nonce to the client's.
  nonce_ = std::string(*client_nonce) + server_nonce_;
  // RFC 5802 §7: server-first-message = nonce "," salt "," iteration-count
  server_first_ = "r=" + nonce_ + ",s=" + core::base64_encode(secrets_.salt) +
                  ",i=" + std::to_string(secrets_.iterations);
  phase_ = phase::client_final;
  return {status::next, server_first_};
}

void scram_sha256_server::use_fake_secrets(std::string reason) {
  doomed_reason_ = std::move(reason);
  // HMAC under a server secret: stable per username, unpredictable without
  // the key, and the same length as real salts. Keyed by the case-folded
  // name, as account lookup is case-insensitive: "Bob" and "bob" must get
  // one salt, as they would if the account existed.
  secrets_.salt = hmac_sha256(fake_salt_key_, "lemonade-scram-fake-salt:" + core::to_lower(username_))
                      .substr(0, fake_salt_size);
  secrets_.iterations = fake_iterations;
  // Random keys: the proof check below still runs in full, then fails.
  secrets_.stored_key = random_bytes(key_size);
  secrets_.server_key = random_bytes(key_size);
}

scram_sha256_server::step_result scram_sha256_server::on_client_final(std::string_view message) {
  // RFC 5802 §7:
  //   client-final-message-without-proof = channel-binding "," nonce ["," extensions]
  //   client-final-message = client-final-message-without-proof "," proof
  auto fields = split_attributes(message);
  if (fields.size() < 3) return fail("malformed client-final-message");
  auto cbind = attribute(fields.front(), 'c');
  auto nonce = attribute(fields[1], 'r');
  auto proof_b64 = attribute(fields.back(), 'p');
  if (!cbind || !nonce || !proof_b64) return fail("malformed client-final-message");
  if (!all_extensions(fields, 2, fields.size() - 1)) return fail("malformed extension");

  // RFC 5802 §7: cbind-input = gs2-header [cbind-data], where cbind-data
  // "MUST be absent for "y" or "n"": c= must echo the gs2-header exactly.
  auto cbind_input = core::base64_decode(*cbind);
  if (!cbind_input || *cbind_input != gs2_header_) return fail("channel binding mismatch");
  // RFC 5802 §5.1 "r": the client MUST send back the full nonce unchanged.
  if (*nonce != nonce_) return fail("nonce mismatch");
  auto proof = core::base64_decode(*proof_b64);
  if (!proof || proof->size() != key_size) return fail("malformed client proof");

  // RFC 5802 §3:
  //   AuthMessage     := client-first-message-bare + "," +
  //                      server-first-message + "," +
  //                      client-final-message-without-proof
  //   ClientSignature := HMAC(StoredKey, AuthMessage)
  //   ClientKey       := ClientProof XOR ClientSignature, and the server
  //   checks H(ClientKey) == StoredKey.
  auto without_proof = message.substr(0, message.size() - fields.back().size() - 1);
  std::string auth_message = client_first_bare_ + "," + server_first_ + ",";
  auth_message += without_proof;
  auto client_signature = hmac_sha256(secrets_.stored_key, auth_message);
  auto client_key = xor_octets(*proof, client_signature);
  bool proof_ok = constant_time_equal(sha256(client_key), secrets_.stored_key);

  if (!doomed_reason_.empty()) return fail(doomed_reason_);
  if (!proof_ok) return fail("invalid proof");

  // RFC 5802 §3: ServerSignature := HMAC(ServerKey, AuthMessage), sent as
  // server-final-message = verifier = "v=" base64.
  authenticated_username_ = username_;
  return {status::success,
          "v=" + core::base64_encode(hmac_sha256(secrets_.server_key, auth_message))};
}

}  // namespace lemonade::auth
