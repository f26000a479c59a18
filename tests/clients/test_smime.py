"""S/MIME transcoding and pairing codes (issue 16; draft-maes-lemonade-
xencrypted-02 §3.2; docs/xencrypted.md), checked with the OpenSSL command
line as the S/MIME agent on the other end.

- A user provisions S/MIME certificates over HTTPS (POST /smime) or with
  `lemonade key cert`; bad ones (expired, wrong key usage, not a
  certificate, a short RSA key) are refused with the reason.
- CONVERT to "application/pkcs7-mime" returns each part enveloped for
  every certificate (CMS AuthEnvelopedData, AES-256-GCM); `openssl cms
  -decrypt` with either user key gives back the part's MIME entity byte for
  byte. A proxy identity may ask for it without clear-content (it cannot
  read it), and still not for any other conversion.
- The server makes each user a certificate of its own (GET /smime/server,
  logged in). An APPEND enveloped for it (EnvelopedData or
  AuthEnvelopedData, made by `openssl cms -encrypt`) is stored opened in
  that user's account only: SEARCH finds its words, while the same
  ciphertext APPENDed by another user stays as it came; one enveloped for
  someone else is stored as it came; one that is addressed to the account
  but does not open (a bad tag, or CBC noise that is no MIME entity) is NO,
  nothing stored.
- A one-time pairing code (POST /keys/pairing, `lemonade key pair`) is
  redeemed once, before it expires, for a device key that works for XKEY;
  wrong codes are throttled like failed logins."""

import argparse
import base64
import datetime
import os
import subprocess
import sys
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
sys.path.insert(0, HERE)
import lemonade_client as lc  # noqa: E402
from lemonade_server import LemonadeServer  # noqa: E402
from test_key_api import Api  # noqa: E402
from test_python_imaplib import expect  # noqa: E402

SMIME = "application/pkcs7-mime"


def make_cert(work, name, kind="rsa", bits=2048, usage="enc", days=30, eku=True):
    """A self-signed certificate and key, as PEM files; returns their paths."""
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, bits)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = (now - datetime.timedelta(days=2), now + datetime.timedelta(days=days))
    if days < 0:
        start, end = now - datetime.timedelta(days=10), now + datetime.timedelta(days=days)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end))
    b = b.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                      key_encipherment=usage == "enc" and kind == "rsa",
                                      data_encipherment=False, key_agreement=usage == "enc" and kind == "ec",
                                      key_cert_sign=False, crl_sign=False, encipher_only=False,
                                      decipher_only=False), critical=True)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    cert = b.sign(key, hashes.SHA256())
    cert_path, key_path = os.path.join(work, name + ".crt"), os.path.join(work, name + ".key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def fingerprint(cert_path):
    with open(cert_path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read()).fingerprint(hashes.SHA256()).hex()


def cms_decrypt(der, cert, key):
    out = subprocess.run(["openssl", "cms", "-decrypt", "-inform", "DER", "-binary", "-recip", cert, "-inkey", key],
                         input=der, capture_output=True)
    return out.stdout if out.returncode == 0 else None


def cms_encrypt(entity, cert, cipher):
    """`openssl cms -encrypt`: an S/MIME message (MIME header and base64
    body) with CRLF line ends."""
    out = subprocess.run(["openssl", "cms", "-encrypt", "-" + cipher, "-binary", cert], input=entity,
                         capture_output=True, check=True).stdout
    return out.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


MESSAGE = (b"From: carol@example.org\r\nTo: alice@example.org\r\nSubject: report\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           b"sesame-plain-marker caf\xc3\xa9\r\n"
           b"--b1\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\n"
           b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment\r\n\r\n"
           b"AAECAwQFBgc=\r\n--b1--\r\n")


def convert(conn, items, to=SMIME):
    untagged, (status, text) = conn.command('UID CONVERT 1 ("%s") (%s)' % (to, items))
    got = {}
    for r in untagged:
        if len(r) > 2 and r[2] == "CONVERTED":
            attrs = r[4]
            for i in range(0, len(attrs), 2):
                got[attrs[i]] = attrs[i + 1]
    return status, text, got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="lemonade-smime-")
    user_rsa, user_rsa_key = make_cert(work, "alice-rsa")
    user_ec, user_ec_key = make_cert(work, "alice-ec", kind="ec")
    expired, _ = make_cert(work, "old", days=-1)
    signing_only, _ = make_cert(work, "signer", usage="sign")
    short, _ = make_cert(work, "short", bits=1024)
    no_email, _ = make_cert(work, "web", eku=False)
    with LemonadeServer(args.lemonade, users={"alice": "alice pw", "bob": "bob pw"},
                        options=["auth.failure_delay=10ms", "auth.max_failures=4", "auth.smime_max_certificates=2"],
                        proxies=[("alice", "phone", "relay pw")]) as srv:
        api = Api(srv)

        # The certificate the server made for alice: hers to fetch.
        expect(api.call("GET", "/smime/server")[0], 401, "not without logging in")
        st, pem, r = api.call("GET", "/smime/server", "alice", "alice pw")
        expect((st, r.getheader("Content-Type"), pem.startswith(b"-----BEGIN CERTIFICATE-----")),
               (200, "application/pem-certificate-chain", True), "alice's server certificate")
        expect(api.call("GET", "/smime/server", "alice", "alice pw")[1], pem, "the same one the next time")
        expect(api.call("GET", "/smime/server", "bob", "bob pw")[1] != pem, True, "bob's is another")
        server_cert = os.path.join(work, "alice-server.crt")
        with open(server_cert, "wb") as f:
            f.write(pem)

        # Certificates: checked, listed, no duplicates, at most the limit.
        def upload(path, who=("alice", "alice pw")):
            with open(path, "rb") as f:
                return api.call("POST", "/smime", who[0], who[1], raw=f.read())

        st, body, _ = upload(user_rsa)
        expect((st, body["fingerprint"], body["subject"]), (201, fingerprint(user_rsa), "CN=alice-rsa"),
               "an RSA certificate provisioned")
        expect(upload(user_rsa)[0], 409, "the same one again")
        for bad, why in [(expired, "the certificate has expired"),
                         (signing_only, "the certificate's key usage excludes keyEncipherment"),
                         (short, "RSA keys of fewer than 2048 bits are not accepted"),
                         (no_email, None)]:
            st, body, _ = upload(bad)
            if why is None:
                # No extended key usage at all: any purpose (RFC 8550 §4.4.4).
                expect(st, 201, "a certificate without extended key usage")
                expect(api.call("DELETE", "/smime/" + body["fingerprint"], "alice", "alice pw")[0], 204, "removed")
            else:
                expect((st, body), (400, {"error": why}), "refused: " + why)
        expect(api.call("POST", "/smime", "alice", "alice pw", raw=b"not a certificate")[:2],
               (400, {"error": "not an X.509 certificate (PEM or DER)"}), "garbage")
        expect(upload(user_rsa, ("alice+phone", "relay pw"))[0], 403, "a proxy identity cannot provision")
        # The second by the CLI.
        code, out = srv.key("cert", "add", "alice", user_ec)
        expect((code, out.split()[0]), (0, fingerprint(user_ec)), "`lemonade key cert add`")
        code, out = srv.key("cert", "add", "alice", no_email, "-o", "auth.smime_max_certificates=2")
        expect((code, "at most 2 S/MIME certificates per user" in out), (1, True), "the limit: " + out)
        st, listed, _ = api.call("GET", "/smime", "alice", "alice pw")
        expect(sorted(c["fingerprint"] for c in listed["certificates"]),
               sorted([fingerprint(user_rsa), fingerprint(user_ec)]), "both listed")
        expect(api.call("GET", "/smime", "bob", "bob pw")[:2], (200, {"certificates": []}), "bob has none")

        # CONVERT to application/pkcs7-mime.
        conn = lc.Connection("127.0.0.1", srv.imap_port)
        conn.login("alice", "alice pw")
        _, (status, _) = conn.command("APPEND INBOX", [MESSAGE])
        expect(status, "OK", "APPEND")
        conn.command("SELECT INBOX")
        untagged, _ = conn.command('CONVERSIONS "*" "%s"' % SMIME)
        rows = [r[2] for r in untagged if len(r) > 3 and r[1] == "CONVERSION" and r[3] == SMIME]
        expect(("text/plain" in rows and "multipart/mixed" in rows), True, "CONVERSIONS lists it: %s" % rows)
        status, text, got = convert(conn, "BINARY[1] BINARY[2] BINARY[] BODYPARTSTRUCTURE[1] BINARY.SIZE[1]")
        expect(status, "OK", "CONVERT: " + text)
        part1 = (b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                 b"sesame-plain-marker caf\xc3\xa9")
        part2 = (b"Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
                 b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment\r\n\r\nAAECAwQFBgc=")
        expect(b"sesame" in bytes(got["BINARY[1]"]), False, "no plaintext in the converted part")
        expect(cms_decrypt(bytes(got["BINARY[1]"]), user_rsa, user_rsa_key), part1, "part 1 opens with the RSA key")
        expect(cms_decrypt(bytes(got["BINARY[1]"]), user_ec, user_ec_key), part1, "and with the EC key")
        expect(cms_decrypt(bytes(got["BINARY[2]"]), user_rsa, user_rsa_key), part2, "part 2, as stored")
        expect(cms_decrypt(bytes(got["BINARY[]"]), user_ec, user_ec_key),
               b"Content-Type: message/rfc822\r\n\r\n" + MESSAGE, "the whole message as message/rfc822")
        structure = got["BODYPARTSTRUCTURE[1]"]
        expect(structure[:6], ["APPLICATION", "PKCS7-MIME", ["SMIME-TYPE", "authEnveloped-data", "NAME", "smime.p7m"],
                               None, None, "BINARY"], "BODYPARTSTRUCTURE: %s" % structure)
        # Fetched in pieces over two commands: pieces of one envelope.
        _, _, first = convert(conn, "BINARY[1]<0.100>")
        _, _, rest = convert(conn, "BINARY[1]<100.100000>")
        expect(cms_decrypt(bytes(first["BINARY[1]<0>"]) + bytes(rest["BINARY[1]<100>"]), user_rsa, user_rsa_key),
               part1, "a part fetched in two pieces")
        expect(int(got["BINARY.SIZE[1]"]), len(got["BINARY[1]"]), "BINARY.SIZE is the size sent")
        _, _, got = convert(conn, "AVAILABLECONVERSIONS[1]", to=SMIME)
        expect(got["AVAILABLECONVERSIONS[1]"], [[SMIME]], "AVAILABLECONVERSIONS with the target")
        untagged, (status, _) = conn.command('UID CONVERT 1 ("%s" ("charset" "utf-8")) (BINARY[1])' % SMIME)
        expect((status, "BADPARAMETERS" in str(untagged)), ("NO", True), "parameters do not apply")
        conn.close()

        bob = lc.Connection("127.0.0.1", srv.imap_port)
        bob.login("bob", "bob pw")
        bob.command("APPEND INBOX", [MESSAGE])
        bob.command("SELECT INBOX")
        _, (status, text) = bob.command('UID CONVERT 1 ("%s") (BINARY[1])' % SMIME)
        expect((status, text.startswith("No S/MIME certificate")), ("NO", True), "bob has no certificate: " + text)
        bob.close()

        # A proxy identity: the enveloped conversion only.
        proxy = lc.Connection("127.0.0.1", srv.imap_port)
        proxy.login("alice+phone", "relay pw")
        proxy.command("SELECT INBOX")
        status, text, got = convert(proxy, "BINARY[1] BINARY.SIZE[2] BODYPARTSTRUCTURE[2]")
        expect(status, "OK", "the proxy may ask for the enveloped part: " + text)
        expect(cms_decrypt(bytes(got["BINARY[1]"]), user_rsa, user_rsa_key), part1, "which only alice opens")
        for what in ('("text/plain") (BINARY[1])', '("%s" ("x" "y")) (BINARY[1])' % SMIME,
                     '("%s") (AVAILABLECONVERSIONS[1])' % SMIME):
            _, (status, text) = proxy.command("UID CONVERT 1 " + what)
            expect((status, text.startswith("[NOPERM]")), ("NO", True), "but not %s: %s" % (what, text))
        status, text, got = convert(proxy, "BINARY[9]")
        expect([x if x is None else str(x) for x in got["BINARY[9]"]],
               ["ERROR", "No such body part", "BADPARAMETERS", None, SMIME], "a part that is not there")
        proxy.close()

        # APPEND enveloped for alice's server certificate: stored opened.
        conn = lc.Connection("127.0.0.1", srv.imap_port)
        conn.login("alice", "alice pw")
        outer = b"From: dave@example.org\r\nTo: alice@example.org\r\nSubject: sealed\r\n"
        inner = b"Content-Type: text/plain; charset=us-ascii\r\n\r\nopen-gcm-marker\r\n"
        for cipher, word in [("aes-256-gcm", b"open-gcm-marker"), ("aes-256-cbc", b"open-cbc-marker")]:
            entity = inner.replace(b"open-gcm-marker", word)
            msg = outer + cms_encrypt(entity, server_cert, cipher)
            _, (status, text) = conn.command("APPEND INBOX", [msg])
            expect(status, "OK", "APPEND enveloped with %s: %s" % (cipher, text))
        conn.command("SELECT INBOX")
        untagged, _ = conn.command("UID FETCH 2:3 (BODY.PEEK[])")
        bodies = [bytes(r[3][r[3].index("BODY[]") + 1]) for r in untagged if len(r) > 3 and r[2] == "FETCH"]
        expect(bodies[0], b"From: dave@example.org\r\nTo: alice@example.org\r\nSubject: sealed\r\nMIME-Version: 1.0\r\n"
               + inner, "stored opened, the envelope's Content-* fields gone")
        # The same ciphertext in bob's account (a proxy that captured it on
        # its way, say): it stays sealed there.
        captured = outer + cms_encrypt(inner, server_cert, "aes-256-gcm")
        bob = lc.Connection("127.0.0.1", srv.imap_port)
        bob.login("bob", "bob pw")
        _, (status, text) = bob.command("APPEND INBOX", [captured])
        untagged, _ = bob.command("EXAMINE INBOX")
        untagged, _ = bob.command("FETCH 2 (BODY.PEEK[])")
        expect((status, bytes(untagged[0][3][1]) == captured), ("OK", True), "not opened in bob's account: " + text)
        bob.close()
        untagged, _ = conn.command('UID SEARCH BODY "open-cbc-marker"')
        expect([r for r in untagged if r[1] == "SEARCH"], [["*", "SEARCH", "3"]], "SEARCH reads it")
        # For someone else: stored as it came.
        msg = outer + cms_encrypt(inner, user_rsa, "aes-256-gcm")
        _, (status, _) = conn.command("APPEND INBOX", [msg])
        untagged, _ = conn.command("UID FETCH 4 (BODY.PEEK[])")
        atts = untagged[0][3]
        expect((status, bytes(atts[atts.index("BODY[]") + 1]) == msg), ("OK", True),
               "enveloped for alice: kept as it is")
        # Addressed to alice's certificate, damaged: refused, nothing
        # stored. GCM's tag fails; CBC (no integrity) opens to noise, or
        # fails its padding.
        # (DER without streaming: the ciphertext of the 63-octet entity is
        # the last 64 octets of EnvelopedData, CBC-padded; GCM's is followed
        # by its 16-octet tag.)
        for cipher, at in (("aes-256-gcm", -40), ("aes-256-cbc", -64)):
            der = bytearray(subprocess.run(["openssl", "cms", "-encrypt", "-" + cipher, "-binary", "-outform", "DER",
                                            server_cert], input=inner, capture_output=True, check=True).stdout)
            der[at] ^= 1  # inside the ciphertext: CBC's first block, which holds the entity's header
            bad = (outer + b"MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; name=smime.p7m\r\n"
                   b"Content-Transfer-Encoding: base64\r\n\r\n"
                   + base64.encodebytes(bytes(der)).replace(b"\n", b"\r\n"))
            _, (status, text) = conn.command("APPEND INBOX", [bad])
            expect((status, text.startswith("[CANNOT] The S/MIME message is enveloped for this account but does not open")),
                   ("NO", True), "a damaged one (%s): %s" % (cipher, text))
        untagged, _ = conn.command("STATUS INBOX (MESSAGES)")
        expect(untagged[0][3], ["MESSAGES", "4"], "nothing stored")
        conn.close()

        # Pairing codes.
        st, made, _ = api.call("POST", "/keys/pairing", "alice", "alice pw", {"device": "tablet"})
        expect((st, sorted(made), made["device"]), (201, ["code", "device", "expires"], "tablet"), "a code made")
        code = made["code"]
        expect((len(code), code.count("-")), (23, 3), "20 characters in groups of five: " + code)
        expect(api.call("POST", "/keys/pairing", "alice+phone", "relay pw", {"device": "x"})[0], 403,
               "not by a proxy identity")
        expect(api.call("POST", "/pairing", body={"code": "00000-00000-00000-00000"})[0], 404, "a wrong code")
        st, key, _ = api.call("POST", "/pairing", body={"code": code.replace("-", "").lower()})
        expect((st, key["user"], key["device"], len(base64.b64decode(key["secret"]))), (201, "alice", "tablet", 32),
               "redeemed (typed in lower case, no dashes)")
        expect(api.call("POST", "/pairing", body={"code": code})[0], 404, "only once")
        log = srv.log()
        expect(any(c in log for c in (code, code.replace("-", "").lower(), key["secret"])), False,
               "neither code nor key in the log")
        conn = lc.Connection("127.0.0.1", srv.imap_port)
        conn.login("alice+phone", "relay pw")
        x = lc.Xenc(conn, "alice", key["id"], base64.b64decode(key["secret"]))
        x.start()
        x.select("INBOX")
        expect(x.fetch("1", "(BODY.PEEK[])")[1]["BODY[]"], MESSAGE, "the paired key works for XKEY")
        conn.close()
        # From the CLI, with a lifetime of one second: too late after two.
        rc, out = srv.key("pair", "alice", "watch", "-o", "auth.pairing_code_lifetime=1")
        words = out.split()
        expect((rc, words[0], words[2], words[3]), (0, "code", "device", "watch"), "`lemonade key pair`: " + out)
        time.sleep(2.2)
        expect(api.call("POST", "/pairing", body={"code": words[1]})[0], 404, "expired")
        rc, out = srv.key("pair", "alice", "watch")
        expect(api.call("POST", "/pairing", body={"code": out.split()[1]})[0], 201, "in time")
        # At most auth.max_pairing_codes unredeemed at once.
        limit = ["-o", "auth.max_pairing_codes=2"]
        got = [srv.key("pair", "alice", "d%d" % i, *limit) for i in range(3)]
        expect([g[0] for g in got], [0, 0, 1], "the third code refused: %s" % got[2][1])
        expect("at most 2 unredeemed pairing codes per user" in got[2][1], True, "with its reason")
        # Guessing is throttled like logins.
        codes = [api.call("POST", "/pairing", body={"code": "A" * 20})[0] for _ in range(6)]
        expect(codes[-1], 429, "locked out after repeated wrong codes: %s" % codes)

        # Removing a certificate: CONVERT envelopes for the other only.
        code, out = srv.key("cert", "remove", "alice", fingerprint(user_ec))
        expect(code, 0, "`lemonade key cert remove`: " + out)
        code, out = srv.key("cert", "list", "alice")
        expect([line.split()[0] for line in out.splitlines()], [fingerprint(user_rsa)], "one left")
    print("ok")


if __name__ == "__main__":
    main()
