// SCRAM-SHA-256 server: the RFC 7677 §3 exchange, then every way a client
// message can be wrong (RFC 5802 §5 and §7).

#include "auth/scram.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/password.hpp"
#include "core/strings.hpp"

namespace lemonade::auth {
namespace {

using namespace std::string_literals;
using status = scram_sha256_server::status;

// RFC 7677 §3 example values.
const std::string rfc_client_nonce = "rOprNGfwEbeRWgbNEkqO";
const std::string rfc_server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const std::string rfc_salt_b64 = "W22ZaJ0SNY7soEsUEjb6gQ==";

// An account table for lookup_fn, recording the names it was asked for.
struct accounts {
  std::map<std::string, scram_secrets, std::less<>> table;
  std::vector<std::string> asked;

  scram_sha256_server::lookup_fn fn() {
    return [this](std::string_view name) -> std::optional<scram_secrets> {
      asked.emplace_back(name);
      auto it = table.find(name);
      if (it == table.end()) return std::nullopt;
      return it->second;
    };
  }
};

// The client side of RFC 5802 §3, written from the RFC for these tests.
struct test_client {
  std::string password;
  std::string gs2_header = "n,,";
  std::string client_first_bare;

  std::string first(std::string_view n, std::string_view nonce) {
    client_first_bare = "n=" + std::string(n) + ",r=" + std::string(nonce);
    return gs2_header + client_first_bare;
  }

  // Splits a server-first-message into its r, s (decoded) and i values.
  struct challenge {
    std::string nonce, salt;
    unsigned iterations = 0;
  };
  static challenge parse(const std::string& server_first) {
    challenge c;
    std::size_t start = 0;
    while (start <= server_first.size()) {
      auto end = server_first.find(',', start);
      if (end == std::string::npos) end = server_first.size();
      auto field = server_first.substr(start, end - start);
      if (field.starts_with("r=")) c.nonce = field.substr(2);
      if (field.starts_with("s=")) c.salt = core::base64_decode(field.substr(2)).value();
      if (field.starts_with("i=")) c.iterations = std::stoul(field.substr(2));
      start = end + 1;
    }
    return c;
  }

  // Appends a correct proof to without_proof, whatever it contains, so a
  // test fails only on the check it targets.
  std::string final_with_proof(const std::string& server_first, const std::string& without_proof,
                               std::string* expected_verifier = nullptr) const {
    auto c = parse(server_first);
    auto salted = scram_salted_password(password, c.salt, c.iterations);
    auto client_key = hmac_sha256(salted, "Client Key");
    auto stored_key = sha256(client_key);
    auto auth_message = client_first_bare + "," + server_first + "," + without_proof;
    auto signature = hmac_sha256(stored_key, auth_message);
    std::string proof(client_key.size(), '\0');
    for (std::size_t i = 0; i < proof.size(); ++i)
      proof[i] = static_cast<char>(client_key[i] ^ signature[i]);
    if (expected_verifier)
      *expected_verifier =
          "v=" + core::base64_encode(hmac_sha256(hmac_sha256(salted, "Server Key"), auth_message));
    return without_proof + ",p=" + core::base64_encode(proof);
  }

  std::string final_message(const std::string& server_first,
                            std::string* expected_verifier = nullptr) const {
    auto without_proof =
        "c=" + core::base64_encode(gs2_header) + ",r=" + parse(server_first).nonce;
    return final_with_proof(server_first, without_proof, expected_verifier);
  }
};

class auth_scram : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { init_crypto(); }

  void SetUp() override {
    auto salt = core::base64_decode(rfc_salt_b64).value();
    users.table["user"] = derive_scram("pencil", 4096, salt);
  }

  scram_sha256_server make_server(std::string fake_key = "fake-salt-key") {
    return scram_sha256_server(users.fn(), std::move(fake_key), rfc_server_nonce);
  }

  accounts users;
};

// The messages travel base64-encoded in AUTHENTICATE (RFC 4422 §5); run
// them through core's codec both ways, as the session will.
scram_sha256_server::step_result step_wire(scram_sha256_server& s, const std::string& client) {
  auto decoded = core::base64_decode(core::base64_encode(client));
  EXPECT_TRUE(decoded.has_value());
  auto r = s.step(*decoded);
  if (r.st != status::failure) {
    EXPECT_EQ(core::base64_decode(core::base64_encode(r.message)), r.message);
  }
  return r;
}

TEST_F(auth_scram, rfc7677_example_exchange) {
  // RFC 7677 §3, verbatim.
  auto server = make_server();
  auto first = step_wire(server, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(first.st, status::next);
  EXPECT_EQ(first.message,
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  EXPECT_EQ(server.username(), "");  // not yet authenticated

  auto final = step_wire(server,
                         "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                         "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  EXPECT_EQ(final.st, status::success);
  EXPECT_EQ(final.message, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  EXPECT_EQ(server.username(), "user");
  EXPECT_EQ(users.asked, std::vector<std::string>{"user"});

  // RFC 5802 §5: the exchange is over; anything more fails.
  EXPECT_EQ(server.step("c=biws").st, status::failure);
  EXPECT_EQ(server.username(), "user");
}

TEST_F(auth_scram, test_client_reproduces_rfc7677_proof) {
  // Guards the test client itself against the RFC numbers.
  test_client client{.password = "pencil"};
  client.first("user", rfc_client_nonce);
  std::string verifier;
  auto final = client.final_message(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      &verifier);
  EXPECT_EQ(final,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  EXPECT_EQ(verifier, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST_F(auth_scram, wrong_password_fails_at_the_final_step) {
  auto server = make_server();
  test_client client{.password = "pencil!"};
  auto first = server.step(client.first("user", rfc_client_nonce));
  ASSERT_EQ(first.st, status::next);
  auto final = server.step(client.final_message(first.message));
  EXPECT_EQ(final.st, status::failure);
  EXPECT_EQ(server.username(), "");
  EXPECT_EQ(server.attempted_username(), "user");
}

TEST_F(auth_scram, unknown_user_gets_a_stable_fake_salt_then_fails) {
  auto probe = [&](const std::string& name, const std::string& key) {
    auto server = make_server(key);
    test_client client{.password = "pencil"};
    auto first = server.step(client.first(name, rfc_client_nonce));
    EXPECT_EQ(first.st, status::next);
    auto final = server.step(client.final_message(first.message));
    EXPECT_EQ(final.st, status::failure);
    EXPECT_EQ(server.username(), "");
    return test_client::parse(first.message);
  };
  auto a1 = probe("nobody", "key-1");
  auto a2 = probe("nobody", "key-1");
  auto b = probe("somebody", "key-1");
  auto a_other_key = probe("nobody", "key-2");
  auto a_upper = probe("NoBody", "key-1");
  EXPECT_EQ(a1.nonce, rfc_client_nonce + rfc_server_nonce);
  EXPECT_EQ(a1.salt.size(), 16u);  // as long as derive_scram's salts
  EXPECT_EQ(a1.iterations, 4096u);
  EXPECT_EQ(a1.salt, a2.salt);      // same answer on every probe, like a real account
  EXPECT_NE(a1.salt, b.salt);
  EXPECT_NE(a1.salt, a_other_key.salt);
  // Lookup is case-insensitive, so a real account answers "NoBody" with the
  // salt of "nobody"; an unknown one must too, or the difference tells.
  EXPECT_EQ(a1.salt, a_upper.salt);
}

TEST_F(auth_scram, full_exchange_variants) {
  users.table["a,b=c"] = derive_scram("secret", 4096);
  users.table["J\xc3\xbcrgen"] = derive_scram("pw", 4096);
  struct row {
    std::string gs2_header, n, password, expected_username;
  };
  const std::vector<row> rows = {
      {"n,,", "user", "pencil", "user"},
      // RFC 5802 §6: "y" = the client supports channel binding but thinks
      // we do not; fine since we do not advertise -PLUS.
      {"y,,", "user", "pencil", "user"},
      // RFC 5802 §5.1: ',' and '=' in names travel as "=2C" and "=3D".
      {"n,,", "a=2Cb=3Dc", "secret", "a,b=c"},
      {"n,,", "a=2cb=3dc", "secret", "a,b=c"},  // RFC 5234 §2.3: case-insensitive
      // An authzid equal to the username is "act as myself".
      {"n,a=user,", "user", "pencil", "user"},
      {"n,a=a=2Cb=3Dc,", "a=2Cb=3Dc", "secret", "a,b=c"},
      {"n,,", "J\xc3\xbcrgen", "pw", "J\xc3\xbcrgen"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.gs2_header + r.n);
    auto server = make_server();
    test_client client{.password = r.password, .gs2_header = r.gs2_header};
    auto first = server.step(client.first(r.n, rfc_client_nonce));
    ASSERT_EQ(first.st, status::next) << first.message;
    std::string verifier;
    auto final = server.step(client.final_message(first.message, &verifier));
    ASSERT_EQ(final.st, status::success) << final.message;
    EXPECT_EQ(final.message, verifier);
    EXPECT_EQ(server.username(), r.expected_username);
  }
}

TEST_F(auth_scram, malformed_client_first_messages_fail) {
  struct row {
    std::string message;
    status expected;
  };
  const std::vector<row> rows = {
      {"n,,n=user,r=abc", status::next},
      {"n,,n=user,r=abc,x=extension", status::next},  // RFC 5802 §5.1: ignored
      {"n,,n=user,r=abc,x=a=b,y=c", status::next},
      {"", status::failure},
      {"n,,", status::failure},
      {"n,,n=user", status::failure},                        // no nonce
      {"n,,r=abc,n=user", status::failure},                  // wrong order
      {"p=tls-unique,,n=user,r=abc", status::failure},       // channel binding
      {"p,,n=user,r=abc", status::failure},
      {"x,,n=user,r=abc", status::failure},                  // unknown flag
      {"N,,n=user,r=abc", status::failure},                  // attributes are case-sensitive
      {"n,,m=ext,n=user,r=abc", status::failure},            // RFC 5802 §5.1 "m"
      {"n,,n=,r=abc", status::failure},                      // empty username
      {"n,,n=us=41er,r=abc", status::failure},               // bad escape
      {"n,,n=user=,r=abc", status::failure},                 // truncated escape
      {"n,,n=user=2,r=abc", status::failure},
      {"n,,n=\xff,r=abc", status::failure},                  // not UTF-8
      {"n,,n=us\0er,r=abc"s, status::failure},               // NUL
      {"n,,n=user,r=", status::failure},                     // empty nonce
      {"n,,n=user,r=a b", status::failure},                  // space is not printable
      {"n,,n=user,r=a\x7f", status::failure},
      {"n,,n=user,r=abc,", status::failure},                 // empty extension
      {"n,,n=user,r=abc,x=", status::failure},
      {"n,,n=user,r=abc,1=x", status::failure},              // name is not ALPHA
      {"n,,n=user,r=abc,xx=y", status::failure},
      {"n,a=,n=user,r=abc", status::failure},                // empty authzid
      {"n,b=user,n=user,r=abc", status::failure},            // not an authzid
      {"n,a=other,n=user,r=abc", status::failure},           // RFC 5802 §5.1 "a"
      {"n,a=nobody,n=user,r=abc", status::failure},
      {"n,,,n=user,r=abc", status::failure},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(core::hex_encode(r.message));
    auto server = make_server();
    auto result = server.step(r.message);
    EXPECT_EQ(result.st, r.expected) << result.message;
    if (r.expected == status::failure) {
      EXPECT_FALSE(result.message.empty());  // a reason for the logs
      EXPECT_EQ(server.step("c=biws,r=abc,p=AAAA").st, status::failure);  // and it is over
    }
  }
  EXPECT_EQ(users.asked.size(), 3u);  // only the accepted rows looked up
}

TEST_F(auth_scram, malformed_client_final_messages_fail) {
  const std::string nonce = rfc_client_nonce + rfc_server_nonce;
  struct row {
    std::string without_proof;  // a correct proof is computed over it
    std::string suffix;         // appended after the proof
    status expected;
  };
  const std::vector<row> rows = {
      {"c=biws,r=" + nonce, "", status::success},
      {"c=biws,r=" + nonce + ",x=ext", "", status::success},  // extensions ignored
      {"c=biws,r=" + nonce + "x", "", status::failure},       // nonce changed
      {"c=biws,r=" + rfc_client_nonce, "", status::failure},  // server part dropped
      {"c=eSws,r=" + nonce, "", status::failure},             // "y,," but we saw "n,,"
      {"c=cD10bHMtdW5pcXVlLCw=,r=" + nonce, "", status::failure},  // "p=tls-unique,,"
      {"c=biws=,r=" + nonce, "", status::failure},            // not base64
      {"c=,r=" + nonce, "", status::failure},
      {"r=" + nonce + ",c=biws", "", status::failure},        // wrong order
      {"c=biws", "", status::failure},                        // no nonce
      {"c=biws,r=" + nonce + ",1=x", "", status::failure},    // bad extension
      {"c=biws,r=" + nonce, ",x=after-proof", status::failure},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.without_proof + r.suffix);
    auto server = make_server();
    test_client client{.password = "pencil"};
    auto first = server.step(client.first("user", rfc_client_nonce));
    ASSERT_EQ(first.st, status::next);
    auto result = server.step(client.final_with_proof(first.message, r.without_proof) + r.suffix);
    EXPECT_EQ(result.st, r.expected) << result.message;
  }
}

TEST_F(auth_scram, malformed_proofs_fail) {
  const std::string prefix = "c=biws,r=" + rfc_client_nonce + rfc_server_nonce;
  const std::vector<std::string> finals = {
      prefix,                                     // no proof at all
      prefix + ",p=",                             // empty
      prefix + ",p=AAAA",                         // 3 octets, not 32
      prefix + ",p=!!!!",                         // not base64
      prefix + ",p=" + core::base64_encode(std::string(33, 'x')),
      prefix + ",p=" + core::base64_encode(std::string(32, 'x')),  // right size, wrong value
      "",
  };
  for (const auto& f : finals) {
    SCOPED_TRACE(f);
    auto server = make_server();
    ASSERT_EQ(server.step("n,,n=user,r=" + rfc_client_nonce).st, status::next);
    EXPECT_EQ(server.step(f).st, status::failure);
    EXPECT_EQ(server.username(), "");
  }
}

TEST_F(auth_scram, unusable_stored_secrets_fail_only_at_the_end) {
  auto bad = users.table["user"];
  bad.stored_key.resize(16);
  users.table["broken"] = bad;
  auto server = make_server();
  test_client client{.password = "pencil"};
  auto first = server.step(client.first("broken", rfc_client_nonce));
  ASSERT_EQ(first.st, status::next);
  EXPECT_EQ(test_client::parse(first.message).iterations, scram_sha256_server::fake_iterations);
  auto final = server.step(client.final_message(first.message));
  EXPECT_EQ(final.st, status::failure);
  EXPECT_NE(final.message.find("malformed"), std::string::npos) << final.message;
}

TEST_F(auth_scram, a_throwing_lookup_ends_the_exchange) {
  scram_sha256_server server(
      [](std::string_view) -> std::optional<scram_secrets> { throw std::runtime_error("db"); },
      "key", rfc_server_nonce);
  EXPECT_THROW(server.step("n,,n=user,r=abc"), std::runtime_error);
  EXPECT_EQ(server.step("c=biws,r=abc" + rfc_server_nonce + ",p=AAAA").st, status::failure);
}

TEST_F(auth_scram, default_server_nonce_is_random_and_printable) {
  scram_sha256_server a(users.fn(), "key");
  scram_sha256_server b(users.fn(), "key");
  auto na = test_client::parse(a.step("n,,n=user,r=abc").message).nonce;
  auto nb = test_client::parse(b.step("n,,n=user,r=abc").message).nonce;
  ASSERT_TRUE(na.starts_with("abc"));
  EXPECT_EQ(na.size(), 3u + 32u);  // base64 of 24 octets
  EXPECT_NE(na, nb);
  EXPECT_EQ(na.find(','), std::string::npos);
}

TEST_F(auth_scram, constructor_checks_its_arguments) {
  EXPECT_THROW(scram_sha256_server(users.fn(), ""), std::invalid_argument);
  EXPECT_THROW(scram_sha256_server(users.fn(), "key", "a,b"), std::invalid_argument);
  EXPECT_THROW(scram_sha256_server(users.fn(), "key", "a b"), std::invalid_argument);
  EXPECT_THROW(scram_sha256_server(nullptr, "key"), std::invalid_argument);
}

}  // namespace
}  // namespace lemonade::auth
