#pragma once
// Password storage and the crypto primitives the SASL mechanisms share.
//
// Two kinds of stored secret exist for each account:
//  - an argon2id string (libsodium's PHC-style "$argon2id$v=19$m=..,t=..,p=..$salt$hash")
//    checked by PLAIN and LOGIN, where the server sees the password;
//  - SCRAM-SHA-256 secrets (RFC 5802 §3, RFC 7677 §3): salt, iteration count,
//    StoredKey and ServerKey, from which the password cannot be recovered
//    without a dictionary attack. They are derived once, when the password
//    is set, because SCRAM needs values that an argon2id hash cannot give.
//
// Passwords are used as the octets given. RFC 5802 §2.2 asks for SASLprep
// (RFC 4013) normalisation before hashing; we do not implement it, so the
// caller must hand in the same octets on every path (PLAIN, SCRAM, setting
// the password). ASCII passwords are unaffected.
//
// Thread safety: every function here may be called from any thread once
// init_crypto() has returned.

#include <cstddef>
#include <string>
#include <string_view>

namespace lemonade::auth {

// Cost of one argon2id hash. The defaults are the minimum the OWASP Password
// Storage Cheat Sheet recommends for argon2id (19 MiB, 2 passes).
// libsodium's own floor is opslimit 1 and memlimit 8 KiB; values below it
// make hash_password throw.
struct hash_params {
  unsigned long long opslimit = 2;
  std::size_t memlimit = 19 * 1024 * 1024;
};

// Initialises libsodium. Call once at startup, before any thread uses this
// layer. Safe to call again. Throws std::runtime_error if libsodium cannot
// initialise (no usable random source).
void init_crypto();

// n octets from the system CSPRNG (libsodium randombytes_buf).
std::string random_bytes(std::size_t n);

// Hashes password with argon2id (libsodium crypto_pwhash_str_alg with
// crypto_pwhash_ALG_ARGON2ID13) and a fresh random salt. Returns the
// NUL-free encoded string, at most 127 characters, which carries its own
// parameters. Throws std::runtime_error when libsodium refuses (parameters
// below its minimum, or memlimit cannot be allocated).
std::string hash_password(std::string_view password, const hash_params& p);

// True only when hash is a well-formed argon2id string and password matches
// it. The comparison of the computed and stored hash is constant-time.
// Returns false (never throws) for any malformed hash: empty, another
// algorithm, embedded NUL, too long, bad parameters, or when the memory the
// hash asks for cannot be allocated.
bool verify_password(std::string_view hash, std::string_view password);

// verify_password against `hash`, or, for a user that does not exist
// (nullptr), against a dummy hash made once with p: both cost one argon2id
// verification, so the time a login takes does not tell which names exist.
// Shared by every protocol's password check (IMAP LOGIN/AUTHENTICATE,
// submission AUTH).
bool verify_password_or_dummy(const std::string* hash, std::string_view password, const hash_params& p);

// True when hash was made with parameters other than p (or is not an
// argon2id string at all): the caller should rehash after a successful
// verify_password.
bool password_needs_rehash(std::string_view hash, const hash_params& p);

// SCRAM-SHA-256 secrets for one account, all raw octets (not base64).
struct scram_secrets {
  std::string salt;
  unsigned iterations = 4096;
  std::string stored_key;  // 32 octets
  std::string server_key;  // 32 octets
};

// RFC 5802 §3 with the SHA-256 of RFC 7677 §3:
//   SaltedPassword = Hi(password, salt, i)     (PBKDF2-HMAC-SHA-256, 32 octets)
//   ClientKey      = HMAC(SaltedPassword, "Client Key")
//   StoredKey      = H(ClientKey)
//   ServerKey      = HMAC(SaltedPassword, "Server Key")
// A random 16-octet salt is drawn when salt is empty. Throws
// std::invalid_argument when iterations is 0, std::runtime_error when
// OpenSSL fails. RFC 7677 §4: iterations SHOULD be at least 4096; this is
// the caller's policy, not checked here.
scram_secrets derive_scram(std::string_view password, unsigned iterations,
                           std::string salt = {});

// RFC 5802 §3 Hi(password, salt, i) for SHA-256: PBKDF2-HMAC-SHA-256 with a
// 32-octet output, i.e. SaltedPassword. derive_scram uses it; a SCRAM client
// needs it to compute its proof. The result is password-equivalent for this
// salt: wipe it after use. Throws as derive_scram does.
std::string scram_salted_password(std::string_view password, std::string_view salt,
                                  unsigned iterations);

// SHA-256 of data: 32 raw octets. Throws std::runtime_error when OpenSSL fails.
std::string sha256(std::string_view data);

// SHA-256 of data that comes in pieces. Throws std::runtime_error when
// OpenSSL fails.
class sha256_stream {
 public:
  sha256_stream();
  ~sha256_stream();
  sha256_stream(sha256_stream&& o) noexcept : ctx_(o.ctx_) { o.ctx_ = nullptr; }
  sha256_stream& operator=(sha256_stream&&) = delete;
  void update(std::string_view data);
  // 32 raw octets; no update() after it.
  std::string finish();

 private:
  void* ctx_;  // EVP_MD_CTX
};

// HMAC-SHA-256 (RFC 2104) of data under key: 32 raw octets. Throws
// std::runtime_error when OpenSSL fails.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Compares a and b in time that depends only on their lengths. Lengths are
// not treated as secret: different lengths compare unequal at once.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace lemonade::auth
