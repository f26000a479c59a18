#pragma once
// AES-256-GCM (NIST SP 800-38D) through OpenSSL's EVP interface, which uses
// AES-NI where the CPU has it: whole messages (seal/open) and a streaming
// encryptor for message bodies sent in pieces. Keys are 32 octets, nonces
// 12 (the 96-bit IV GCM is defined for, §8.2), tags 16.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace lemonade::auth::aead {

inline constexpr std::size_t key_size = 32;
inline constexpr std::size_t nonce_size = 12;
inline constexpr std::size_t tag_size = 16;

// Overwrites s with zeros in a way the compiler keeps (OPENSSL_cleanse):
// for keys, before their memory is given back.
void wipe(std::string& s) noexcept;

// n octets from OpenSSL's CSPRNG; throws std::runtime_error if it has none.
std::string random_octets(std::size_t n);

// ciphertext ‖ tag. Throws std::invalid_argument on a key or nonce of the
// wrong size.
std::string seal(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view plain);

// The plaintext, or nullopt when the tag does not verify (a changed octet
// anywhere, a truncated or extended ciphertext, the wrong key, nonce or
// associated data) or the input is shorter than a tag.
std::optional<std::string> open(std::string_view key, std::string_view nonce, std::string_view aad,
                                std::string_view sealed);

// Encrypts a plaintext that arrives in pieces: update() appends each
// piece's ciphertext to out, finish() appends the tag. The ciphertext is
// the same as seal()'s of the pieces joined.
class encryptor {
 public:
  encryptor(std::string_view key, std::string_view nonce, std::string_view aad);
  ~encryptor();
  encryptor(encryptor&&) noexcept;
  encryptor& operator=(encryptor&&) noexcept;
  void update(std::string_view plain, std::string& out);
  // The same, the ciphertext replacing the plaintext in data (no second
  // buffer to fill: a body streamed in pieces is encrypted where it lies).
  void update_in_place(std::string& data);
  void finish(std::string& out);

 private:
  struct state;
  std::unique_ptr<state> s_;
};

// The inverse, for ciphertexts too large to hold: update() appends
// plaintext that is NOT yet authentic; only when finish() returns true may
// the caller use what it got (staged, never acted on before then).
class decryptor {
 public:
  decryptor(std::string_view key, std::string_view nonce, std::string_view aad);
  ~decryptor();
  decryptor(decryptor&&) noexcept;
  decryptor& operator=(decryptor&&) noexcept;
  void update(std::string_view cipher, std::string& out);
  bool finish(std::string_view tag);

 private:
  struct state;
  std::unique_ptr<state> s_;
};

}  // namespace lemonade::auth::aead
