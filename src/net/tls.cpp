#include "net/tls.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace lemonade::net {
namespace ssl = boost::asio::ssl;

namespace {

std::string openssl_error() {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return buf;
}

template <class T, void (*F)(T*)>
struct deleter {
  void operator()(T* p) const { F(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;

void write_pem(const std::filesystem::path& path, mode_t mode, bool (*fn)(FILE*, void*), void* obj) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot write " + path.string());
  FILE* f = fdopen(fd, "w");
  bool ok = fn(f, obj);
  ok = (fflush(f) == 0) && ok && (fsync(fileno(f)) == 0);
  fclose(f);
  if (!ok) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

std::shared_ptr<ssl::context> make_server_tls(const std::filesystem::path& cert,
                                              const std::filesystem::path& key) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* h = ctx->native_handle();
  SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION);
  // Idle connections give their TLS buffers back (DESIGN.md §3).
  SSL_CTX_set_mode(h, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(h, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(h, cert.c_str()) != 1)
    throw std::runtime_error("tls: cannot load certificate " + cert.string() + ": " + openssl_error());
  if (SSL_CTX_use_PrivateKey_file(h, key.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error("tls: cannot load key " + key.string() + ": " + openssl_error());
  if (SSL_CTX_check_private_key(h) != 1)
    throw std::runtime_error("tls: key " + key.string() + " does not match the certificate");
  return ctx;
}

std::shared_ptr<ssl::context> make_client_tls(bool verify, const std::filesystem::path& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* h = ctx->native_handle();
  SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION);
  SSL_CTX_set_mode(h, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(h, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (verify) {
    int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(h) : SSL_CTX_load_verify_locations(h, ca_file.c_str(), nullptr);
    if (ok != 1) throw std::runtime_error("tls: cannot load CA certificates " + ca_file.string() + ": " + openssl_error());
    SSL_CTX_set_verify(h, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(h, SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

bool ensure_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key,
                        const std::string& hostname) {
  if (std::filesystem::exists(cert) && std::filesystem::exists(key)) return false;
  std::filesystem::create_directories(cert.parent_path());
  std::filesystem::create_directories(key.parent_path());

  pkey_ptr pkey(EVP_EC_gen("P-256"));
  if (!pkey) throw std::runtime_error("tls: key generation failed: " + openssl_error());
  x509_ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(x.get(), pkey.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Lemonade"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  std::string san = "DNS:" + hostname + ",DNS:localhost,IP:127.0.0.1,IP:::1";
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x.get(), x.get(), nullptr, nullptr, 0);
  if (auto* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str())) {
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(x.get(), pkey.get(), EVP_sha256()) == 0)
    throw std::runtime_error("tls: signing failed: " + openssl_error());

  write_pem(key, 0600,
            [](FILE* f, void* k) {
              return PEM_write_PrivateKey(f, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr,
                                          nullptr) == 1;
            },
            pkey.get());
  write_pem(cert, 0644,
            [](FILE* f, void* c) { return PEM_write_X509(f, static_cast<X509*>(c)) == 1; }, x.get());
  return true;
}

}  // namespace lemonade::net
