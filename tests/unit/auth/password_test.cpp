// argon2id hashing, SCRAM key derivation and the hash primitives under them.

#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/strings.hpp"

namespace lemonade::auth {
namespace {

using namespace std::string_literals;

// Small argon2id costs (libsodium's minimum memory) keep the tests fast.
const hash_params fast{.opslimit = 1, .memlimit = 8192 * 1024};

class auth_password : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { init_crypto(); }
};

TEST_F(auth_password, hash_then_verify_round_trip) {
  struct row {
    std::string password;
  };
  const std::vector<row> rows = {
      {"pencil"},
      {""},                              // empty passwords still hash
      {"p\xc3\xa4ssw\xc3\xb6rd"},        // UTF-8
      {"with\0nul"s},                    // the length, not a NUL, ends it
      {std::string(300, 'x')},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(core::hex_encode(r.password));
    auto hash = hash_password(r.password, fast);
    EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=8192,t=1,p=1$")) << hash;
    EXPECT_LT(hash.size(), 128u);
    EXPECT_TRUE(verify_password(hash, r.password));
    EXPECT_FALSE(verify_password(hash, r.password + "x"));
    EXPECT_FALSE(password_needs_rehash(hash, fast));
  }
}

TEST_F(auth_password, unknown_user_costs_a_dummy_verify_and_fails) {
  auto h = hash_password("secret", fast);
  EXPECT_TRUE(verify_password_or_dummy(&h, "secret", fast));
  EXPECT_FALSE(verify_password_or_dummy(&h, "wrong", fast));
  // No user: the dummy's own password does not log anyone in.
  EXPECT_FALSE(verify_password_or_dummy(nullptr, "lemonade-dummy", fast));
  EXPECT_FALSE(verify_password_or_dummy(nullptr, "secret", fast));
}

TEST_F(auth_password, wrong_password_is_rejected) {
  auto hash = hash_password("correct horse", fast);
  const std::vector<std::string> wrong = {"", "correct hors", "Correct horse",
                                          "correct horse ", "correct\0horse"s};
  for (const auto& w : wrong) {
    SCOPED_TRACE(core::hex_encode(w));
    EXPECT_FALSE(verify_password(hash, w));
  }
}

TEST_F(auth_password, each_hash_has_its_own_salt) {
  auto a = hash_password("same", fast);
  auto b = hash_password("same", fast);
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password(a, "same"));
  EXPECT_TRUE(verify_password(b, "same"));
}

TEST_F(auth_password, malformed_hashes_are_rejected) {
  auto good = hash_password("pw", fast);
  // Flip a character inside the digest: the last base64 character of a
  // 32-octet digest carries padding bits, and flipping only those would
  // leave the digest unchanged (a flaky test).
  std::string flipped = good;
  auto& c = flipped[flipped.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  const std::vector<std::string> bad = {
      "",
      "garbage",
      "$argon2id$",
      "$argon2id$v=19$m=8192,t=1,p=1$",
      good.substr(0, good.size() - 5),            // truncated digest
      good + "\0junk"s,                           // embedded NUL
      good + std::string(200, 'A'),               // longer than STRBYTES
      "$2y$10$abcdefghijklmnopqrstuuJ2Zx0Dw8vC0nmS2o0rRb7xSBQO7L6O",  // bcrypt
      "$argon2id$v=19$m=0,t=0,p=0$c2FsdHNhbHQ$aGFzaGhhc2g",           // bad params
      // argon2i is not accepted even when well-formed: we only store argon2id.
      "$argon2i$v=19$m=8192,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$"
      "J0kEEHm1mnZ/CpsyYkRBOi5Zn1mG9uP8UXzWHJbB1Ts",
  };
  for (const auto& h : bad) {
    SCOPED_TRACE(core::hex_encode(h));
    EXPECT_FALSE(verify_password(h, "pw"));
    EXPECT_TRUE(password_needs_rehash(h, fast));
  }
  // Well-formed, right parameters, digest of something else.
  EXPECT_FALSE(verify_password(flipped, "pw"));
  EXPECT_FALSE(password_needs_rehash(flipped, fast));
}

TEST_F(auth_password, parameters_below_libsodium_minimum_throw) {
  EXPECT_THROW(hash_password("pw", {.opslimit = 0, .memlimit = 8192 * 1024}),
               std::runtime_error);
  EXPECT_THROW(hash_password("pw", {.opslimit = 1, .memlimit = 1024}), std::runtime_error);
}

TEST_F(auth_password, other_parameters_need_rehash) {
  auto hash = hash_password("pw", fast);
  EXPECT_TRUE(password_needs_rehash(hash, {.opslimit = 2, .memlimit = 8192 * 1024}));
  EXPECT_TRUE(password_needs_rehash(hash, {.opslimit = 1, .memlimit = 16384 * 1024}));
}

TEST_F(auth_password, random_bytes_has_requested_size) {
  EXPECT_EQ(random_bytes(0), "");
  EXPECT_EQ(random_bytes(1).size(), 1u);
  auto a = random_bytes(32);
  auto b = random_bytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);  // 2^-256 chance of a false failure
}

// Known-answer tests for the primitives SCRAM is built on.
TEST(auth_crypto, sha256_known_answers) {
  struct row {
    std::string input;
    std::string hex;
  };
  const std::vector<row> rows = {
      // FIPS 180-2 appendix B examples.
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
  };
  for (const auto& r : rows) EXPECT_EQ(core::hex_encode(sha256(r.input)), r.hex) << r.input;
}

TEST(auth_crypto, hmac_sha256_known_answers) {
  struct row {
    std::string key;
    std::string data;
    std::string hex;
  };
  const std::vector<row> rows = {
      // RFC 4231 §4.2 (test case 1) and §4.3 (test case 2).
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
  };
  for (const auto& r : rows)
    EXPECT_EQ(core::hex_encode(hmac_sha256(r.key, r.data)), r.hex) << r.data;
}

TEST(auth_crypto, pbkdf2_hmac_sha256_known_answer) {
  // RFC 7914 §11: PBKDF2-HMAC-SHA256 (P="passwd", S="salt", c=1), first 32
  // of the 64 octets given there.
  EXPECT_EQ(core::hex_encode(scram_salted_password("passwd", "salt", 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
}

TEST(auth_crypto, constant_time_equal_table) {
  struct row {
    std::string a, b;
    bool equal;
  };
  const std::vector<row> rows = {
      {"", "", true},       {"a", "a", true},          {"a", "b", false},
      {"ab", "a", false},   {"abc\0d"s, "abc\0d"s, true}, {"abc\0d"s, "abc\0e"s, false},
  };
  for (const auto& r : rows) EXPECT_EQ(constant_time_equal(r.a, r.b), r.equal);
}

TEST_F(auth_password, derive_scram_rfc7677_keys) {
  // RFC 7677 §3 uses password "pencil", this salt and i=4096. Its exchange
  // (scram_test.cpp) checks the keys end to end; here, their shape and
  // their relation to Hi().
  auto salt = core::base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==").value();
  auto s = derive_scram("pencil", 4096, salt);
  EXPECT_EQ(s.salt, salt);
  EXPECT_EQ(s.iterations, 4096u);
  auto salted = scram_salted_password("pencil", salt, 4096);
  EXPECT_EQ(s.stored_key, sha256(hmac_sha256(salted, "Client Key")));
  EXPECT_EQ(s.server_key, hmac_sha256(salted, "Server Key"));
  EXPECT_EQ(s.stored_key.size(), 32u);
  EXPECT_EQ(s.server_key.size(), 32u);
  // Deterministic for a given salt.
  EXPECT_EQ(derive_scram("pencil", 4096, salt).stored_key, s.stored_key);
  EXPECT_NE(derive_scram("pencil", 4097, salt).stored_key, s.stored_key);
}

TEST_F(auth_password, derive_scram_draws_a_random_salt) {
  auto a = derive_scram("pw", 4096);
  auto b = derive_scram("pw", 4096);
  EXPECT_EQ(a.salt.size(), 16u);
  EXPECT_NE(a.salt, b.salt);
  EXPECT_NE(a.stored_key, b.stored_key);
}

TEST_F(auth_password, derive_scram_rejects_zero_iterations) {
  EXPECT_THROW(derive_scram("pw", 0, "salt"), std::invalid_argument);
}

}  // namespace
}  // namespace lemonade::auth
