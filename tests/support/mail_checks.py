"""Helpers the mail-flow tests share: reading an account's INBOX over IMAP
(waiting for mail still on its way) and making a throwaway certificate."""

import imaplib
import os
import subprocess
import time


def inbox(port, user, password, want=0, timeout=15):
    """Every message in user's INBOX (BODY.PEEK[], oldest first), read over
    plain IMAP on 127.0.0.1:port; with want, polls until that many are
    there or timeout seconds have passed."""
    deadline = time.time() + timeout
    while True:
        m = imaplib.IMAP4("127.0.0.1", port)
        m.login(user, password)
        typ, data = m.select("INBOX", readonly=True)
        out = []
        for i in range(1, int(data[0]) + 1):
            typ, d = m.fetch(str(i), "(BODY.PEEK[])")
            out.append(d[0][1])
        m.logout()
        if len(out) >= want or time.time() > deadline:
            return out
        time.sleep(0.2)


def self_signed(directory, cn, san=None):
    """A P-256 certificate and key for cn (subjectAltName san, e.g.
    "DNS:x,IP:127.0.0.1"), valid two days; returns (cert path, key path)."""
    cert, key = os.path.join(directory, cn + ".crt"), os.path.join(directory, cn + ".key")
    args = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=" + cn, "-days", "2", "-keyout", key, "-out", cert]
    if san:
        args[-4:-4] = ["-addext", "subjectAltName=" + san]
    subprocess.run(args, check=True, capture_output=True)
    return cert, key
