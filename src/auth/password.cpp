// argon2id password hashes (libsodium) and the SCRAM-SHA-256 key derivation
// of RFC 5802 §3 / RFC 7677 §3 (OpenSSL). See password.hpp for contracts.

#include "auth/password.hpp"

#include <array>
#include <climits>
#include <stdexcept>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

namespace lemonade::auth {

namespace {

constexpr std::size_t sha256_size = 32;
constexpr std::size_t scram_salt_size = 16;

// libsodium must be initialised before randombytes and crypto_pwhash are
// used. init_crypto() is the documented way; this guard covers callers (and
// tests) that reach us first. sodium_init() is thread-safe and idempotent.
void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium initialisation failed");
}

// libsodium takes the encoded hash as a NUL-terminated char array of
// crypto_pwhash_STRBYTES. Copies hash into such an array, or returns false
// when it cannot be a valid argon2id string.
bool to_hash_array(std::string_view hash, std::array<char, crypto_pwhash_STRBYTES>& out) {
  if (hash.size() >= out.size()) return false;
  if (hash.find('\0') != std::string_view::npos) return false;
  if (!hash.starts_with(crypto_pwhash_argon2id_STRPREFIX)) return false;
  out.fill('\0');
  hash.copy(out.data(), hash.size());
  return true;
}

// A non-null pointer even for an empty view: some C APIs reject nullptr
// with length 0.
const char* data_or_empty(std::string_view s) noexcept {
  return s.empty() ? "" : s.data();
}

int checked_int(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(INT_MAX)) throw std::invalid_argument(what);
  return static_cast<int>(n);
}

}  // namespace

void init_crypto() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium initialisation failed");
}

std::string random_bytes(std::size_t n) {
  ensure_sodium();
  std::string out(n, '\0');
  if (n > 0) randombytes_buf(out.data(), n);
  return out;
}

std::string hash_password(std::string_view password, const hash_params& p) {
  ensure_sodium();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), data_or_empty(password), password.size(),
                            p.opslimit, p.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error(
        "argon2id hashing failed (parameters below minimum or out of memory)");
  return std::string(out.data());
}

bool verify_password(std::string_view hash, std::string_view password) {
  ensure_sodium();
  std::array<char, crypto_pwhash_STRBYTES> h;
  if (!to_hash_array(hash, h)) return false;
  // libsodium recomputes the hash with the parameters in h and compares in
  // constant time; -1 covers mismatch, malformed input and allocation failure.
  return crypto_pwhash_argon2id_str_verify(h.data(), data_or_empty(password),
                                           password.size()) == 0;
}

bool verify_password_or_dummy(const std::string* hash, std::string_view password, const hash_params& p) {
  static const std::string dummy = hash_password("lemonade-dummy", p);
  return verify_password(hash ? *hash : dummy, password) && hash != nullptr;
}

bool password_needs_rehash(std::string_view hash, const hash_params& p) {
  ensure_sodium();
  std::array<char, crypto_pwhash_STRBYTES> h;
  if (!to_hash_array(hash, h)) return true;
  // libsodium parses only the parameters here; a hash whose digest is not
  // the 32 octets we write (43 base64 characters) needs replacing too.
  auto digest = hash.substr(hash.rfind('$') + 1);
  if (digest.size() != 43) return true;
  return crypto_pwhash_argon2id_str_needs_rehash(h.data(), p.opslimit, p.memlimit) != 0;
}

std::string scram_salted_password(std::string_view password, std::string_view salt,
                                  unsigned iterations) {
  if (iterations == 0) throw std::invalid_argument("SCRAM iteration count must be positive");
  if (iterations > static_cast<unsigned>(INT_MAX))
    throw std::invalid_argument("SCRAM iteration count too large");
  // RFC 5802 §3: Hi(str, salt, i) is PBKDF2 (RFC 2898) with HMAC as the PRF
  // and dkLen the output size of the hash.
  std::string out(sha256_size, '\0');
  int ok = PKCS5_PBKDF2_HMAC(data_or_empty(password),
                             checked_int(password.size(), "password too long"),
                             reinterpret_cast<const unsigned char*>(data_or_empty(salt)),
                             checked_int(salt.size(), "salt too long"),
                             static_cast<int>(iterations), EVP_sha256(),
                             static_cast<int>(out.size()),
                             reinterpret_cast<unsigned char*>(out.data()));
  if (ok != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    throw std::runtime_error("PBKDF2-HMAC-SHA-256 failed");
  }
  return out;
}

scram_secrets derive_scram(std::string_view password, unsigned iterations, std::string salt) {
  if (salt.empty()) salt = random_bytes(scram_salt_size);
  // RFC 5802 §3: SaltedPassword := Hi(Normalize(password), salt, i). We do
  // not Normalize (SASLprep); see password.hpp.
  std::string salted = scram_salted_password(password, salt, iterations);
  scram_secrets s;
  s.salt = std::move(salt);
  s.iterations = iterations;
  // RFC 5802 §3: ClientKey := HMAC(SaltedPassword, "Client Key"),
  // StoredKey := H(ClientKey), ServerKey := HMAC(SaltedPassword, "Server Key").
  std::string client_key = hmac_sha256(salted, "Client Key");
  s.stored_key = sha256(client_key);
  s.server_key = hmac_sha256(salted, "Server Key");
  // SaltedPassword and ClientKey are password equivalents: wipe them.
  OPENSSL_cleanse(salted.data(), salted.size());
  OPENSSL_cleanse(client_key.data(), client_key.size());
  return s;
}

std::string sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(data_or_empty(data), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != sha256_size)
    throw std::runtime_error("SHA-256 failed");
  return std::string(reinterpret_cast<const char*>(md.data()), len);
}

sha256_stream::sha256_stream() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    throw std::runtime_error("SHA-256 failed");
  }
}

sha256_stream::~sha256_stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void sha256_stream::update(std::string_view data) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data_or_empty(data), data.size()) != 1)
    throw std::runtime_error("SHA-256 failed");
}

std::string sha256_stream::finish() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md.data(), &len) != 1 || len != sha256_size)
    throw std::runtime_error("SHA-256 failed");
  return std::string(reinterpret_cast<const char*>(md.data()), len);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), data_or_empty(key), checked_int(key.size(), "HMAC key too long"),
           reinterpret_cast<const unsigned char*>(data_or_empty(data)), data.size(),
           md.data(), &len) == nullptr ||
      len != sha256_size)
    throw std::runtime_error("HMAC-SHA-256 failed");
  return std::string(reinterpret_cast<const char*>(md.data()), len);
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace lemonade::auth
