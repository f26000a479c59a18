#pragma once
// S/MIME for proxy deployments (draft-maes-lemonade-xencrypted-02 §3.2;
// docs/xencrypted.md): a body part enveloped on the fly for the user's own
// certificates, so a proxy relays what only the user's device can read;
// and a message a device appended enveloped for the server's certificate
// opened, so the store keeps plaintext (search, Sieve and CONVERT work in
// its own domain, -02 §4). The cryptography is OpenSSL's CMS (RFC 5652);
// this file only chooses and checks.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lemonade::auth::smime {

// A certificate a user may provision, read and checked.
struct certificate {
  std::string der;
  std::string fingerprint;  // SHA-256 of the DER, 32 octets
  std::string subject;      // RFC 2253, one line
  std::int64_t not_after = 0;  // Unix time
};

struct bad_certificate : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Reads one certificate (PEM, the first CERTIFICATE block, or DER) and
// checks that mail can be enveloped for it at `now` (Unix time): valid
// now; an RSA key of 2048 bits or more (key transport) or an EC key (key
// agreement); if it says how it may be used, key encipherment (RSA) or
// key agreement (EC), and email protection among its extended uses
// (RFC 8550 §4.4). Throws bad_certificate, with the reason.
certificate read_certificate(std::string_view pem_or_der, std::int64_t now);

// The certificate as PEM.
std::string to_pem(std::string_view der);

// RFC 8551 §2.7, §3.3: `entity` (a MIME entity, header and body, CRLF
// line ends) as CMS AuthEnvelopedData (RFC 5083) with AES-256-GCM, a
// recipient for each certificate (DER); the DER of the ContentInfo.
// Throws std::runtime_error if OpenSSL fails.
std::string envelope(std::string_view entity, const std::vector<std::string>& certificates);

// A key pair and a self-signed certificate for it (DER, the key as
// i2d_PrivateKey writes it):
// an EC P-256 key for key agreement, valid `days` from now, for
// emailProtection, subject CN=`name`. Throws std::runtime_error.
struct made_identity {
  std::string certificate;
  std::string private_key;
};
made_identity make_identity(const std::string& name, int days);

// The server's S/MIME identity for one user (docs/xencrypted.md): what a
// device of the user envelopes an APPEND for, so that it opens in that
// user's account only.
class identity {
 public:
  // Reads both (DER) and checks that the key is the certificate's. Throws
  // std::runtime_error.
  identity(std::string_view certificate_der, std::string_view private_key_der);
  ~identity();
  identity(const identity&) = delete;
  identity& operator=(const identity&) = delete;

  const std::string& certificate_der() const { return der_; }

  enum class outcome {
    not_for_us,  // not CMS enveloped data, or no recipient is this identity
    opened,
    failed,  // addressed to us but does not open (a bad tag, a bad key)
  };
  struct result {
    outcome what = outcome::not_for_us;
    std::string content;  // opened: the inner MIME entity
    std::string why;      // failed: OpenSSL's reason
  };
  // `der`: a ContentInfo of EnvelopedData (RFC 5652 §6; no integrity, as
  // S/MIME clients long sent) or AuthEnvelopedData (RFC 5083).
  result open(std::string_view der) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string der_;
};

}  // namespace lemonade::auth::smime
