#pragma once
// Server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel
// binding: we advertise SCRAM-SHA-256 but not SCRAM-SHA-256-PLUS.
//
// One scram_sha256_server object runs one authentication exchange
// (RFC 5802 §5):
//
//   C: client-first-message   -> step() -> status::next,    server-first-message
//   C: client-final-message   -> step() -> status::success, server-final-message
//                                          or status::failure
//
// Messages are raw octets: the caller base64-decodes what the client sends
// and base64-encodes what it returns (RFC 4422 §5, e.g. IMAP AUTHENTICATE).
// The final "v=" message must be delivered to the client (as the last
// challenge, or as additional data with success) so it can verify the server.
//
// Failures are reported as status::failure with a short reason for logs.
// Never send the reason to the client: it tells an unknown user from a
// wrong password. RFC 5802 §7 allows replacing the reason by "other-error"
// "in order to prevent information disclosure"; we go further and let the
// protocol layer answer every failure the same way (IMAP tagged NO).
//
// Unknown users: the exchange runs to the end with a fake salt, derived
// deterministically from the username and a server secret, and the fixed
// iteration count fake_iterations; it then fails on the proof. Repeated
// probes for one name see the same salt, as they would for a real account,
// so the server-first-message does not reveal whether the account exists.
//
// Not thread-safe: one object belongs to one session.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "auth/password.hpp"

namespace lemonade::auth {

class scram_sha256_server {
 public:
  // Returns the account's SCRAM secrets, or nullopt when the account does
  // not exist or has no SCRAM secrets. It receives the username decoded
  // from "n=" (RFC 5802 §5.1: "=2C" -> ',', "=3D" -> '='). Exceptions it
  // throws propagate out of step() and end the exchange.
  using lookup_fn = std::function<std::optional<scram_secrets>(std::string_view username)>;

  // Iteration count announced for unknown users. Keep equal to the count
  // real accounts use (derive_scram callers) or a probe can tell them apart.
  static constexpr unsigned fake_iterations = 4096;

  // fake_salt_key: server secret used to derive fake salts for unknown users
  // (see above); throws std::invalid_argument if empty, because an empty key
  // makes fake salts computable by anyone.
  // nonce: server part of the nonce (tests); empty = base64 of 24 random
  // octets. Throws std::invalid_argument unless it is RFC 5802 §7
  // "printable" (0x21..0x7E except ',').
  scram_sha256_server(lookup_fn lookup, std::string fake_salt_key, std::string nonce = {});

  enum class status { next, success, failure };
  struct step_result {
    status st;
    // next/success: the message to send (raw, not base64).
    // failure: a short reason for the logs, NOT to be sent to the client.
    std::string message;
  };

  // Feeds one client message (already base64-decoded). The first call takes
  // the client-first-message and returns next + server-first-message; the
  // second takes the client-final-message and returns success +
  // server-final-message ("v=...") or failure. Malformed input, and any call
  // after success or failure, return failure. Throws only what lookup
  // throws, or std::runtime_error if the crypto library fails.
  step_result step(std::string_view client_message);

  // The authenticated username (decoded "n=" value) after step() returned
  // success; empty before that.
  const std::string& username() const { return authenticated_username_; }

  // The decoded "n=" value the client asked for, once the client-first
  // message parsed, whether or not authentication succeeds; for logs.
  const std::string& attempted_username() const { return username_; }

 private:
  enum class phase { client_first, client_final, done };

  step_result on_client_first(std::string_view message);
  step_result on_client_final(std::string_view message);
  void use_fake_secrets(std::string reason);

  lookup_fn lookup_;
  std::string fake_salt_key_;
  std::string server_nonce_;
  phase phase_ = phase::client_first;

  std::string username_;
  std::string authenticated_username_;
  std::string gs2_header_;         // as received, e.g. "n,,"
  std::string client_first_bare_;  // as received
  std::string server_first_;       // as sent
  std::string nonce_;              // client nonce + server nonce
  scram_secrets secrets_;
  // Non-empty when the exchange must fail whatever the proof (unknown user,
  // unusable stored secrets): the reason reported at the final step.
  std::string doomed_reason_;
};

}  // namespace lemonade::auth
