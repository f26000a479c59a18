// AES-256-GCM and the encrypted objects of proxy deployments
// (docs/xencrypted.md).

#include "auth/xenc.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "core/strings.hpp"

namespace lemonade::auth {
namespace {

std::string unhex(std::string_view s) { return *core::hex_decode(s); }

// The GCM specification's (McGrew and Viega) test cases 13 and 14: the
// all-zero 256-bit key and 96-bit IV, no associated data.
TEST(auth_aead, known_answers) {
  std::string key(32, '\0'), nonce(12, '\0');
  EXPECT_EQ(core::hex_encode(aead::seal(key, nonce, "", "")), "530f8afbc74536b9a963b4f1c4cb738b");
  EXPECT_EQ(core::hex_encode(aead::seal(key, nonce, "", std::string(16, '\0'))),
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  EXPECT_EQ(aead::open(key, nonce, "", unhex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919")),
            std::string(16, '\0'));
}

TEST(auth_aead, any_change_fails_to_open) {
  auto key = aead::random_octets(32), nonce = aead::random_octets(12);
  auto sealed = aead::seal(key, nonce, "context", "the message");
  ASSERT_EQ(aead::open(key, nonce, "context", sealed), "the message");
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto bad = sealed;
    bad[i] ^= 1;
    EXPECT_FALSE(aead::open(key, nonce, "context", bad)) << i;
  }
  EXPECT_FALSE(aead::open(key, nonce, "Context", sealed));
  EXPECT_FALSE(aead::open(key, aead::random_octets(12), "context", sealed));
  EXPECT_FALSE(aead::open(aead::random_octets(32), nonce, "context", sealed));
  EXPECT_FALSE(aead::open(key, nonce, "context", sealed.substr(0, sealed.size() - 1)));
  EXPECT_FALSE(aead::open(key, nonce, "context", sealed + "x"));
  EXPECT_FALSE(aead::open(key, nonce, "context", sealed.substr(0, 5)));
  EXPECT_THROW(aead::seal("short", nonce, "", ""), std::invalid_argument);
}

TEST(auth_aead, pieces_make_the_same_ciphertext) {
  auto key = aead::random_octets(32), nonce = aead::random_octets(12);
  std::string plain;
  for (int i = 0; i < 10000; ++i) plain += static_cast<char>(i * 7);
  aead::encryptor e(key, nonce, "aad");
  std::string out;
  e.update(plain.substr(0, 1), out);
  e.update(plain.substr(1, 4095), out);
  auto rest = plain.substr(4096);
  e.update_in_place(rest);
  out += rest;
  e.finish(out);
  EXPECT_EQ(out, aead::seal(key, nonce, "aad", plain));

  aead::decryptor d(key, nonce, "aad");
  std::string back;
  d.update(std::string_view(out).substr(0, 3), back);
  d.update(std::string_view(out).substr(3, out.size() - 3 - aead::tag_size), back);
  EXPECT_TRUE(d.finish(std::string_view(out).substr(out.size() - aead::tag_size)));
  EXPECT_EQ(back, plain);

  aead::decryptor bad(key, nonce, "aad");
  std::string ignored;
  bad.update(std::string_view(out).substr(0, out.size() - aead::tag_size), ignored);
  auto tag = out.substr(out.size() - aead::tag_size);
  tag[0] ^= 0x80;
  EXPECT_FALSE(bad.finish(tag));
}

class auth_xenc : public ::testing::Test {
 protected:
  std::string key = aead::random_octets(32);
  std::string key_id = "\x01\x02\x03\x04\x05\x06\x07\x08";
  xenc::binding b{"alice", std::string(16, 'c'), std::string(16, 's')};
};

TEST_F(auth_xenc, layout_of_an_object) {
  auto obj = xenc::seal(key, xenc::direction::to_client, key_id, 258, b, "FETCH 7 42 BODY[]", "hello");
  ASSERT_EQ(obj.size(), 5 + xenc::overhead);
  EXPECT_EQ(obj[0], 1);
  EXPECT_EQ(obj[1], 'S');
  EXPECT_EQ(obj.substr(2, 8), key_id);
  EXPECT_EQ(core::hex_encode(obj.substr(10, 8)), "0000000000000102");
  auto h = xenc::decode_header(obj);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->seq, 258u);
  EXPECT_EQ(h->nonce, obj.substr(18, 12));
  // The body is plain AES-256-GCM: any implementation opens it with the
  // documented associated data.
  auto aad = xenc::associated_data(obj.substr(0, 30), b, "FETCH 7 42 BODY[]");
  EXPECT_EQ(aad.substr(0, 15), "lemonade-xenc/1");
  EXPECT_EQ(aad.size(), 15 + 30 + 2 + 5 + 16 + 16 + 2 + 17);
  EXPECT_EQ(aead::open(key, h->nonce, aad, obj.substr(30)), "hello");
  // Two objects of the same text never share a nonce.
  EXPECT_NE(xenc::seal(key, xenc::direction::to_client, key_id, 258, b, "c", "x"),
            xenc::seal(key, xenc::direction::to_client, key_id, 258, b, "c", "x"));
}

// RFC 5869 HKDF-SHA256; the value is Python cryptography's HKDF of the
// same inputs (an independent implementation).
TEST_F(auth_xenc, session_key_is_hkdf_sha256) {
  std::string device;
  for (int i = 0; i < 32; ++i) device += static_cast<char>(i);
  EXPECT_EQ(core::hex_encode(xenc::session_key(device, b)),
            "055debd909e9bdd33d689d0ce14d1b8c861a70d1fdd5320d0b2e41ca3074a352");
  auto other = b;
  other.server_nonce[0] ^= 1;
  EXPECT_NE(xenc::session_key(device, other), xenc::session_key(device, b));
}

TEST_F(auth_xenc, opens_only_what_it_was_bound_to) {
  auto obj = xenc::seal(key, xenc::direction::to_client, key_id, 1, b, "FETCH 7 42 BODY[]", "the body");
  auto ok = xenc::open(key, key_id, xenc::direction::to_client, b, "FETCH 7 42 BODY[]", obj);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->plain, "the body");
  EXPECT_EQ(ok->h.seq, 1u);
  using d = xenc::direction;
  // Another message, section or mailbox generation: a swapped ciphertext.
  EXPECT_FALSE(xenc::open(key, key_id, d::to_client, b, "FETCH 7 43 BODY[]", obj));
  EXPECT_FALSE(xenc::open(key, key_id, d::to_client, b, "FETCH 8 42 BODY[]", obj));
  EXPECT_FALSE(xenc::open(key, key_id, d::to_client, b, "FETCH 7 42 BODY[TEXT]", obj));
  // Another session, account, direction or key.
  auto other = b;
  other.client_nonce = std::string(16, 'C');
  EXPECT_FALSE(xenc::open(key, key_id, d::to_client, other, "FETCH 7 42 BODY[]", obj));
  other = b;
  other.account = "bob";
  EXPECT_FALSE(xenc::open(key, key_id, d::to_client, other, "FETCH 7 42 BODY[]", obj));
  EXPECT_FALSE(xenc::open(key, key_id, d::to_server, b, "FETCH 7 42 BODY[]", obj));
  EXPECT_FALSE(xenc::open(key, "\x01\x02\x03\x04\x05\x06\x07\x09", d::to_client, b, "FETCH 7 42 BODY[]", obj));
  EXPECT_FALSE(xenc::open(aead::random_octets(32), key_id, d::to_client, b, "FETCH 7 42 BODY[]", obj));
  // A changed sequence number (a replayed or re-ordered object relabelled)
  // and a truncated object.
  auto relabelled = obj;
  relabelled[17] = 2;
  EXPECT_FALSE(xenc::open(key, key_id, d::to_client, b, "FETCH 7 42 BODY[]", relabelled));
  EXPECT_FALSE(xenc::open(key, key_id, d::to_client, b, "FETCH 7 42 BODY[]", obj.substr(0, obj.size() - 1)));
  EXPECT_FALSE(xenc::open(key, key_id, d::to_client, b, "FETCH 7 42 BODY[]", obj.substr(0, 20)));
  auto v2 = obj;
  v2[0] = 2;
  EXPECT_FALSE(xenc::decode_header(v2));
}

// Pairing codes and app passwords: 20 Crockford base32 characters in
// groups of five, read back leniently (case, dashes, O for 0, I and L for
// 1), nothing else.
TEST(auth_codes, pairing_and_app_passwords) {
  using xenc::code_use;
  auto code = xenc::make_code();
  ASSERT_EQ(code.size(), 23u);
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i % 6 == 5) EXPECT_EQ(code[i], '-');
    else EXPECT_NE(std::string_view("0123456789ABCDEFGHJKMNPQRSTVWXYZ").find(code[i]), std::string_view::npos);
  }
  EXPECT_NE(xenc::make_code(), code);
  auto h = xenc::code_hash(code_use::pairing, code);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->size(), 32u);
  std::string typed;
  for (char c : code)
    if (c != '-') typed += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(xenc::code_hash(code_use::pairing, typed), h);
  EXPECT_EQ(xenc::code_hash(code_use::pairing, "0000011111 0000011111"),
            xenc::code_hash(code_use::pairing, "OOOOOILILI-oooooiLlIl"));
  EXPECT_FALSE(xenc::code_hash(code_use::pairing, "0000011111000001111"));    // 19
  EXPECT_FALSE(xenc::code_hash(code_use::pairing, "000001111100000111110"));  // 21
  EXPECT_FALSE(xenc::code_hash(code_use::pairing, "00000111110000011U11"));   // U is not one
  EXPECT_NE(xenc::code_hash(code_use::pairing, "00000111110000011111"),
            xenc::code_hash(code_use::pairing, "00000111110000011112"));
  // The same code is another hash as an app password.
  EXPECT_NE(xenc::code_hash(code_use::app_password, code), h);
}

}  // namespace
}  // namespace lemonade::auth
