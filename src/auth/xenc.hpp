#pragma once
// Encrypted objects of proxy deployments (docs/xencrypted.md): what goes
// inside an XENCRYPTED literal ~{X<n>} (draft-maes-lemonade-xencrypted),
// AES-256-GCM under a device key the client and the store share and the
// proxy between them does not.
//
//   offset  octets  field
//   0       1       version, 1
//   1       1       direction: 'S' server to client, 'C' client to server
//   2       8       key id
//   10      8       sequence number, unsigned, big-endian
//   18      12      nonce, random
//   30      n       ciphertext of the n plaintext octets
//   30+n    16      GCM tag
//
// The associated data binds the object to everything a proxy could swap:
//   "lemonade-xenc/1" ‖ the 30 header octets ‖ u16 length ‖ account name
//   ‖ client nonce (16) ‖ server nonce (16) ‖ u16 length ‖ context
// where the nonces are the session's (XKEY) and the context names what the
// octets are, e.g. "FETCH 1700000000 42 BODY[1]<0>" (UIDVALIDITY, UID, the
// item as the response names it) or "APPEND INBOX".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/aead.hpp"

namespace lemonade::auth::xenc {

inline constexpr std::uint8_t version = 1;
inline constexpr std::size_t key_id_size = 8;
inline constexpr std::size_t session_nonce_size = 16;
inline constexpr std::size_t header_size = 30;
inline constexpr std::size_t overhead = header_size + aead::tag_size;  // 46

enum class direction : char { to_client = 'S', to_server = 'C' };

// One session's binding, fixed by its XKEY exchange.
struct binding {
  std::string account;       // the account's user name (alice, not alice+proxy)
  std::string client_nonce;  // 16 octets the client chose
  std::string server_nonce;  // 16 octets the server chose
};

// One session's side of XKEY (IMAP and submission alike): the key its
// objects are sealed under (session_key()), the binding, and the sequence
// numbers so far. The key is wiped when it goes.
struct session_keys {
  std::string key_id;  // key_id_size octets
  std::string key;
  xenc::binding binding;
  std::uint64_t sent = 0;      // the sequence number of the last object sent
  std::uint64_t received = 0;  // the highest the client's objects have had
  session_keys() = default;
  session_keys(session_keys&&) = default;
  session_keys& operator=(session_keys&& o) noexcept {
    aead::wipe(key);  // the old key, before its buffer is reused or freed
    key_id = std::move(o.key_id);
    key = std::move(o.key);
    binding = std::move(o.binding);
    sent = o.sent;
    received = o.received;
    return *this;
  }
  ~session_keys() { aead::wipe(key); }
};

struct header {
  direction dir = direction::to_client;
  std::string key_id;  // key_id_size octets
  std::uint64_t seq = 0;
  std::string nonce;  // aead::nonce_size octets
};

// The key a session's objects are sealed under: HKDF-SHA256 (RFC 5869)
// of the device key, salt client nonce ‖ server nonce, info
// "lemonade-xenc/1", 32 octets. A key of its own per session keeps the
// random 96-bit nonces far from GCM's bound on uses of one key (NIST SP
// 800-38D §8.3) however long a device key lives.
std::string session_key(std::string_view device_key, const binding& b);

std::string encode_header(const header& h);
// nullopt unless octets starts with a version-1 header.
std::optional<header> decode_header(std::string_view octets);

std::string associated_data(std::string_view header_octets, const binding& b, std::string_view context);

// An object made in pieces (a message body streamed from its blob): the
// header, then update() for each piece, then finish() for the tag; n
// plaintext octets make n + overhead object octets.
class writer {
 public:
  // A fresh random nonce for every object.
  writer(std::string_view key, direction dir, std::string_view key_id, std::uint64_t seq, const binding& b,
         std::string_view context);
  const std::string& header_octets() const { return header_; }
  void update(std::string_view plain, std::string& out) { enc_.update(plain, out); }
  void update_in_place(std::string& data) { enc_.update_in_place(data); }
  void finish(std::string& out) { enc_.finish(out); }

 private:
  std::string header_;
  aead::encryptor enc_;
};

// A whole object.
std::string seal(std::string_view key, direction dir, std::string_view key_id, std::uint64_t seq, const binding& b,
                 std::string_view context, std::string_view plain);

struct opened {
  header h;
  std::string plain;
};
// The object's plaintext when it is a version-1 object of the direction
// given, under key_id, whose tag verifies against the binding and context;
// nullopt otherwise (tampered, truncated, another key, another message,
// another session).
std::optional<opened> open(std::string_view key, std::string_view key_id, direction dir, const binding& b,
                           std::string_view context, std::string_view object);

// XKEY, for any protocol: a session bound to a device key (its id and
// secret, which is wiped here), the account, the client's nonce and a
// server nonce made here.
session_keys bind_session(std::string key_id, std::string& secret, std::string account, std::string client_nonce);
// An object the client sent in this session (direction C, its key and
// binding); its sequence number is for the caller to check.
std::optional<opened> open_client(const session_keys& x, std::string_view context, std::string_view object);

// Codes a person types (docs/xencrypted.md): one-time pairing codes and
// app passwords. 20 characters of Crockford's base32 (100 random bits), in
// groups of five, "7QK2M-X4D9A-..."; short enough to type on a phone, too
// many to guess within the throttle. Only their hash is stored.
std::string make_code();
enum class code_use { pairing, app_password };
// SHA-256 of the code as typed, for one use (the same code hashes
// differently for each), read leniently (case, dashes and spaces ignored;
// O read as 0, I and L as 1); nullopt if it cannot be a code.
std::optional<std::string> code_hash(code_use use, std::string_view typed);

}  // namespace lemonade::auth::xenc
