// auth::smime (docs/xencrypted.md, S/MIME transcoding): what is enveloped
// for a certificate opens with its key only, byte for byte; what is damaged
// does not open; certificates that cannot receive mail are refused.
#include "auth/smime.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace lemonade::auth {
namespace {

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(auth_smime, envelope_opens_for_its_recipient_only) {
  auto alice = smime::make_identity("alice", 30);
  auto bob = smime::make_identity("bob", 30);
  // A certificate the server makes is one a user could provision.
  auto read = smime::read_certificate(smime::to_pem(alice.certificate), now());
  EXPECT_EQ(read.der, alice.certificate);
  EXPECT_EQ(read.subject, "CN=alice");
  EXPECT_EQ(read.fingerprint.size(), 32u);
  std::string entity = "Content-Type: application/octet-stream\r\n\r\n";
  entity += std::string("\0\x01\xff binary \r\n", 13);
  auto der = smime::envelope(entity, {alice.certificate});
  EXPECT_EQ(der.find("binary"), std::string::npos);
  smime::identity a(alice.certificate, alice.private_key), b(bob.certificate, bob.private_key);
  auto opened = a.open(der);
  EXPECT_EQ(opened.what, smime::identity::outcome::opened);
  EXPECT_EQ(opened.content, entity);
  EXPECT_EQ(b.open(der).what, smime::identity::outcome::not_for_us);
  EXPECT_EQ(a.open("not CMS at all").what, smime::identity::outcome::not_for_us);
  // AES-GCM: any change to the ciphertext fails the tag.
  auto damaged = der;
  damaged[damaged.size() - 30] ^= 1;
  EXPECT_EQ(a.open(damaged).what, smime::identity::outcome::failed);
  // Two recipients: each opens it.
  auto both = smime::envelope(entity, {alice.certificate, bob.certificate});
  EXPECT_EQ(b.open(both).content, entity);
  EXPECT_EQ(a.open(both).content, entity);
  // A key that is not the certificate's.
  EXPECT_THROW(smime::identity(alice.certificate, bob.private_key), std::runtime_error);
}

TEST(auth_smime, certificates_refused) {
  EXPECT_THROW(smime::read_certificate("garbage", now()), smime::bad_certificate);
  auto alice = smime::make_identity("alice", 1);
  // Expired by the time given.
  EXPECT_THROW(smime::read_certificate(alice.certificate, now() + 3 * 86400), smime::bad_certificate);
  // Not valid yet.
  EXPECT_THROW(smime::read_certificate(alice.certificate, now() - 3 * 86400), smime::bad_certificate);
  // DER whole, nothing after it.
  EXPECT_THROW(smime::read_certificate(alice.certificate + "x", now()), smime::bad_certificate);
}

}  // namespace
}  // namespace lemonade::auth
