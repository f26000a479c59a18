#include "auth/smime.hpp"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>

namespace lemonade::auth::smime {

namespace {

template <auto F>
struct deleter {
  template <class T>
  void operator()(T* p) const {
    F(p);
  }
};
using bio_ptr = std::unique_ptr<BIO, deleter<BIO_free_all>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using cms_ptr = std::unique_ptr<CMS_ContentInfo, deleter<CMS_ContentInfo_free>>;

// OpenSSL's reason for the last failure, its queue emptied: the first
// error queued, where it began.
std::string openssl_error() {
  std::string out;
  while (auto e = ERR_get_error()) {
    if (!out.empty()) continue;
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out = buf;
  }
  return out.empty() ? "unknown error" : out;
}

bio_ptr reader(std::string_view data) {
  bio_ptr b(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!b) throw std::runtime_error("out of memory");
  return b;
}

bio_ptr writer() {
  bio_ptr b(BIO_new(BIO_s_mem()));
  if (!b) throw std::runtime_error("out of memory");
  return b;
}

std::string contents(BIO* b) {
  char* data = nullptr;
  auto n = BIO_get_mem_data(b, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

x509_ptr parse_der(std::string_view der) {
  auto* p = reinterpret_cast<const unsigned char*>(der.data());
  x509_ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  // The whole input is the one certificate.
  if (x && p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) x.reset();
  ERR_clear_error();
  return x;
}

x509_ptr parse(std::string_view pem_or_der) {
  if (pem_or_der.find("-----BEGIN") == std::string_view::npos) return parse_der(pem_or_der);
  auto in = reader(pem_or_der);
  x509_ptr x(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return x;
}

std::int64_t unix_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string der_of(X509* x) {
  unsigned char* out = nullptr;
  int n = i2d_X509(x, &out);
  if (n <= 0) throw std::runtime_error("cannot encode a certificate: " + openssl_error());
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return der;
}

}  // namespace

certificate read_certificate(std::string_view pem_or_der, std::int64_t now) {
  auto x = parse(pem_or_der);
  if (!x) throw bad_certificate("not an X.509 certificate (PEM or DER)");
  certificate c;
  c.der = der_of(x.get());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(x.get(), EVP_sha256(), md, &n) != 1) throw std::runtime_error("SHA-256: " + openssl_error());
  c.fingerprint.assign(reinterpret_cast<char*>(md), n);
  {
    auto out = writer();
    X509_NAME_print_ex(out.get(), X509_get_subject_name(x.get()), 0, XN_FLAG_RFC2253);
    c.subject = contents(out.get());
  }
  c.not_after = unix_time(X509_get0_notAfter(x.get()));
  if (unix_time(X509_get0_notBefore(x.get())) > now) throw bad_certificate("the certificate is not valid yet");
  if (c.not_after <= now) throw bad_certificate("the certificate has expired");
  auto* key = X509_get0_pubkey(x.get());
  if (!key) throw bad_certificate("the certificate's public key cannot be read");
  // X509_get_extension_flags also computes the cached usage bits.
  auto flags = X509_get_extension_flags(x.get());
  auto usage = X509_get_key_usage(x.get());  // all bits when absent
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) < 2048) throw bad_certificate("RSA keys of fewer than 2048 bits are not accepted");
      if (!(usage & KU_KEY_ENCIPHERMENT)) throw bad_certificate("the certificate's key usage excludes keyEncipherment");
      break;
    case EVP_PKEY_EC: {
      // RFC 8551 §2.3 names the NIST curves; others OpenSSL may not
      // agree keys on.
      char curve[64] = {};
      std::size_t len = 0;
      if (EVP_PKEY_get_group_name(key, curve, sizeof curve, &len) != 1 ||
          (std::string_view(curve) != "prime256v1" && std::string_view(curve) != "secp384r1" &&
           std::string_view(curve) != "secp521r1")) {
        ERR_clear_error();
        throw bad_certificate("EC keys must be on P-256, P-384 or P-521");
      }
      if (!(usage & KU_KEY_AGREEMENT)) throw bad_certificate("the certificate's key usage excludes keyAgreement");
      break;
    }
    default: throw bad_certificate("only RSA and EC keys can receive enveloped mail here");
  }
  // RFC 8550 §4.4.4: with an extended key usage extension, email
  // protection (or any) must be among its purposes.
  if ((flags & EXFLAG_XKUSAGE) && !(X509_get_extended_key_usage(x.get()) & (XKU_SMIME | XKU_ANYEKU)))
    throw bad_certificate("the certificate's extended key usage excludes emailProtection");
  return c;
}

std::string to_pem(std::string_view der) {
  auto x = parse_der(der);
  if (!x) throw std::runtime_error("not a DER certificate");
  auto out = writer();
  if (PEM_write_bio_X509(out.get(), x.get()) != 1) throw std::runtime_error("PEM: " + openssl_error());
  return contents(out.get());
}

std::string envelope(std::string_view entity, const std::vector<std::string>& certificates) {
  if (certificates.empty()) throw std::runtime_error("no certificate to envelope for");
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> certs(
      sk_X509_new_null(), [](STACK_OF(X509)* s) { sk_X509_pop_free(s, X509_free); });
  for (auto& der : certificates) {
    auto x = parse_der(der);
    if (!x || !sk_X509_push(certs.get(), x.get())) throw std::runtime_error("cannot read a stored certificate");
    x.release();
  }
  auto in = reader(entity);
  // CMS_BINARY: the entity goes as it is (CRLF already; binary parts
  // stay binary), no MIME canonicalisation of ours on top (RFC 8551 §3.1.1).
  // An AEAD cipher makes OpenSSL write AuthEnvelopedData (RFC 5083).
  cms_ptr cms(CMS_encrypt(certs.get(), in.get(), EVP_aes_256_gcm(), CMS_BINARY));
  if (!cms) throw std::runtime_error("CMS encryption: " + openssl_error());
  auto out = writer();
  if (i2d_CMS_bio(out.get(), cms.get()) != 1) throw std::runtime_error("CMS encoding: " + openssl_error());
  return contents(out.get());
}

struct identity::impl {
  x509_ptr cert;
  pkey_ptr key;
};

made_identity make_identity(const std::string& name, int days) {
  pkey_ptr key(EVP_EC_gen("P-256"));
  x509_ptr x(X509_new());
  if (!key || !x) throw std::runtime_error("S/MIME key: " + openssl_error());
  std::unique_ptr<X509_NAME, deleter<X509_NAME_free>> subject(X509_NAME_new());
  auto* serial = X509_get_serialNumber(x.get());
  std::unique_ptr<BIGNUM, deleter<BN_free>> bn(BN_new());
  bool ok = subject && bn && X509_set_version(x.get(), 2) == 1 && BN_rand(bn.get(), 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(bn.get(), serial) && X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) &&
            X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400L * days) &&
            X509_NAME_add_entry_by_txt(subject.get(), "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(name.data()),
                                       static_cast<int>(name.size()), -1, 0) == 1 &&
            X509_set_subject_name(x.get(), subject.get()) == 1 && X509_set_issuer_name(x.get(), subject.get()) == 1 &&
            X509_set_pubkey(x.get(), key.get()) == 1;
  // Key agreement (RFC 8550 §4.4.2), for email protection only.
  for (auto [nid, value] : {std::pair{NID_key_usage, "critical,keyAgreement"},
                            std::pair{NID_ext_key_usage, "emailProtection"},
                            std::pair{NID_basic_constraints, "critical,CA:FALSE"}}) {
    if (!ok) break;
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x.get(), x.get(), nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION_free>> ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value));
    ok = ext && X509_add_ext(x.get(), ext.get(), -1) == 1;
  }
  ok = ok && X509_sign(x.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) throw std::runtime_error("S/MIME certificate: " + openssl_error());
  made_identity out;
  out.certificate = der_of(x.get());
  unsigned char* der = nullptr;
  int n = i2d_PrivateKey(key.get(), &der);
  if (n <= 0) throw std::runtime_error("S/MIME key: " + openssl_error());
  out.private_key.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_clear_free(der, static_cast<std::size_t>(n));
  return out;
}

identity::identity(std::string_view certificate_der, std::string_view private_key_der) : impl_(new impl) {
  impl_->cert = parse_der(certificate_der);
  if (!impl_->cert) throw std::runtime_error("the server's S/MIME certificate does not parse");
  auto* p = reinterpret_cast<const unsigned char*>(private_key_der.data());
  impl_->key.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(private_key_der.size())));
  if (!impl_->key) throw std::runtime_error("the server's S/MIME key does not parse: " + openssl_error());
  if (X509_check_private_key(impl_->cert.get(), impl_->key.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("the server's S/MIME key is not its certificate's");
  }
  der_ = std::string(certificate_der);
}

identity::~identity() = default;

identity::result identity::open(std::string_view der) const {
  result r;
  auto in = reader(der);
  cms_ptr cms(d2i_CMS_bio(in.get(), nullptr));
  if (!cms) {
    ERR_clear_error();
    return r;
  }
  auto type = OBJ_obj2nid(CMS_get0_type(cms.get()));
  if (type != NID_pkcs7_enveloped && type != NID_id_smime_ct_authEnvelopedData) return r;
  // Ours only if a recipient names our certificate: key transport
  // (RSA) or key agreement (EC) alike.
  bool ours = false;
  auto* infos = CMS_get0_RecipientInfos(cms.get());
  for (int i = 0; infos && i < sk_CMS_RecipientInfo_num(infos) && !ours; ++i) {
    auto* ri = sk_CMS_RecipientInfo_value(infos, i);
    switch (CMS_RecipientInfo_type(ri)) {
      case CMS_RECIPINFO_TRANS: ours = CMS_RecipientInfo_ktri_cert_cmp(ri, impl_->cert.get()) == 0; break;
      case CMS_RECIPINFO_AGREE: {
        auto* reks = CMS_RecipientInfo_kari_get0_reks(ri);
        for (int j = 0; reks && j < sk_CMS_RecipientEncryptedKey_num(reks) && !ours; ++j)
          ours = CMS_RecipientEncryptedKey_cert_cmp(sk_CMS_RecipientEncryptedKey_value(reks, j),
                                                    impl_->cert.get()) == 0;
        break;
      }
      default: break;
    }
  }
  ERR_clear_error();
  if (!ours) return r;
  auto out = writer();
  if (CMS_decrypt(cms.get(), impl_->key.get(), impl_->cert.get(), nullptr, out.get(), CMS_BINARY) != 1) {
    r.what = outcome::failed;
    r.why = openssl_error();
    return r;
  }
  r.what = outcome::opened;
  r.content = contents(out.get());
  return r;
}

}  // namespace lemonade::auth::smime
