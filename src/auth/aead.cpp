#include "auth/aead.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <stdexcept>

namespace lemonade::auth::aead {
namespace {

using ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

[[noreturn]] void fail(const char* what) { throw std::runtime_error(std::string("AES-256-GCM: ") + what); }

// A context keyed for one message, its associated data already fed.
ctx_ptr start(std::string_view key, std::string_view nonce, std::string_view aad, bool encrypt) {
  if (key.size() != key_size) throw std::invalid_argument("AES-256-GCM key must be 32 octets");
  if (nonce.size() != nonce_size) throw std::invalid_argument("AES-256-GCM nonce must be 12 octets");
  ctx_ptr c(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!c) fail("no cipher context");
  // 12 octets is GCM's default IV length: no EVP_CTRL_GCM_SET_IVLEN.
  int ok = encrypt ? EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(nonce))
                   : EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(nonce));
  if (ok != 1) fail("init");
  // Associated data in pieces EVP's int lengths can hold.
  while (!aad.empty()) {
    auto n = std::min<std::size_t>(aad.size(), INT_MAX / 2);
    int unused = 0;
    ok = encrypt ? EVP_EncryptUpdate(c.get(), nullptr, &unused, bytes(aad), static_cast<int>(n))
                 : EVP_DecryptUpdate(c.get(), nullptr, &unused, bytes(aad), static_cast<int>(n));
    if (ok != 1) fail("associated data");
    aad.remove_prefix(n);
  }
  return c;
}

// GCM is a stream mode: as many octets out as in.
void crypt(EVP_CIPHER_CTX* c, std::string_view in, std::string& out, bool encrypt) {
  while (!in.empty()) {
    auto n = std::min<std::size_t>(in.size(), INT_MAX / 2);
    auto at = out.size();
    out.resize(at + n);
    int len = 0;
    auto* dst = reinterpret_cast<unsigned char*>(out.data() + at);
    int ok = encrypt ? EVP_EncryptUpdate(c, dst, &len, bytes(in), static_cast<int>(n))
                     : EVP_DecryptUpdate(c, dst, &len, bytes(in), static_cast<int>(n));
    if (ok != 1 || static_cast<std::size_t>(len) != n) fail("update");
    in.remove_prefix(n);
  }
}

void append_tag(EVP_CIPHER_CTX* c, std::string& out) {
  unsigned char rest[16];
  int len = 0;
  if (EVP_EncryptFinal_ex(c, rest, &len) != 1 || len != 0) fail("final");
  auto at = out.size();
  out.resize(at + tag_size);
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size), out.data() + at) != 1) fail("tag");
}

bool check_tag(EVP_CIPHER_CTX* c, std::string_view tag) {
  if (tag.size() != tag_size) return false;
  std::string t(tag);
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size), t.data()) != 1) fail("tag");
  unsigned char rest[16];
  int len = 0;
  // Fails (returns 0) when the tag does not match: the plaintext is not
  // authentic.
  return EVP_DecryptFinal_ex(c, rest, &len) == 1;
}

}  // namespace

void wipe(std::string& s) noexcept {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

std::string random_octets(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("no random octets from OpenSSL");
  return out;
}

std::string seal(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view plain) {
  auto c = start(key, nonce, aad, true);
  std::string out;
  out.reserve(plain.size() + tag_size);
  crypt(c.get(), plain, out, true);
  append_tag(c.get(), out);
  return out;
}

std::optional<std::string> open(std::string_view key, std::string_view nonce, std::string_view aad,
                                std::string_view sealed) {
  if (sealed.size() < tag_size) return std::nullopt;
  auto c = start(key, nonce, aad, false);
  std::string out;
  crypt(c.get(), sealed.substr(0, sealed.size() - tag_size), out, false);
  if (!check_tag(c.get(), sealed.substr(sealed.size() - tag_size))) return std::nullopt;
  return out;
}

struct encryptor::state {
  ctx_ptr c;
};

encryptor::encryptor(std::string_view key, std::string_view nonce, std::string_view aad)
    : s_(new state{start(key, nonce, aad, true)}) {}
encryptor::~encryptor() = default;
encryptor::encryptor(encryptor&&) noexcept = default;
encryptor& encryptor::operator=(encryptor&&) noexcept = default;
void encryptor::update(std::string_view plain, std::string& out) { crypt(s_->c.get(), plain, out, true); }
void encryptor::update_in_place(std::string& data) {
  // GCM (a counter mode) may write over its input: EVP allows out == in.
  auto* p = reinterpret_cast<unsigned char*>(data.data());
  for (std::size_t at = 0; at < data.size();) {
    auto n = std::min<std::size_t>(data.size() - at, INT_MAX / 2);
    int len = 0;
    if (EVP_EncryptUpdate(s_->c.get(), p + at, &len, p + at, static_cast<int>(n)) != 1 ||
        static_cast<std::size_t>(len) != n)
      fail("update");
    at += n;
  }
}
void encryptor::finish(std::string& out) { append_tag(s_->c.get(), out); }

struct decryptor::state {
  ctx_ptr c;
};

decryptor::decryptor(std::string_view key, std::string_view nonce, std::string_view aad)
    : s_(new state{start(key, nonce, aad, false)}) {}
decryptor::~decryptor() = default;
decryptor::decryptor(decryptor&&) noexcept = default;
decryptor& decryptor::operator=(decryptor&&) noexcept = default;
void decryptor::update(std::string_view cipher, std::string& out) { crypt(s_->c.get(), cipher, out, false); }
bool decryptor::finish(std::string_view tag) { return check_tag(s_->c.get(), tag); }

}  // namespace lemonade::auth::aead
