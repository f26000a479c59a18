#!/usr/bin/env python3
"""The command line and signals as an operator meets them: exit codes and
one-line reasons, SIGHUP reloading the certificate, SIGTERM ending idle
sessions with BYE and exiting 0."""

import argparse
import atexit
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from lemonade_server import LemonadeServer, free_port  # noqa: E402


def expect(value, wanted, what):
    if value != wanted:
        raise AssertionError("%s: expected %r, got %r" % (what, wanted, value))


def run(binary, *args, stdin=b""):
    """Exit code, stdout, and the reason: the last line on stderr (log
    lines of a starting server come before it)."""
    p = subprocess.run([binary, *args], input=stdin, capture_output=True, timeout=60)
    lines = p.stderr.decode().splitlines(keepends=True)
    return p.returncode, p.stdout.decode(), lines[-1] if lines else ""


def cli(binary):
    d = tempfile.mkdtemp(prefix="lemonade-cli-")
    atexit.register(shutil.rmtree, d, True)
    expect(run(binary, "user", "add", "dora", "--data-dir", d, stdin=b"pw1\n")[0], 0, "user add")
    expect(run(binary, "user", "add", "dora", "--data-dir", d, stdin=b"pw1\n")[:3:2],
           (2, "lemonade: user dora already exists\n"), "duplicate user")
    expect(run(binary, "user", "list", "--data-dir", d)[1], "dora\n", "user list")
    expect(run(binary, "user", "passwd", "dora", "--data-dir", d, stdin=b"pw2\n")[0], 0, "passwd")
    expect(run(binary, "serve", "--data-dir", d, "-o", "imap.listen=bogus")[:3:2],
           (2, 'lemonade: imap.listen: bad address "bogus" (expected host:port)\n'), "bad address")
    expect(run(binary, "serve", "--data-dir", d, "-o", "no.such=1")[:3:2],
           (2, "lemonade: -o no.such: unknown setting\n"), "unknown key")
    conf = os.path.join(d, "lemonade.toml")
    text = open(conf).read().replace('max_literal_size = "50MB"', 'max_literal_size = "lots"')
    open(conf, "w").write(text)
    code, _, err = run(binary, "serve", "--data-dir", d)
    expect((code, "limits.max_literal_size: expected a size" in err), (2, True), "bad config")
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    os.remove(os.path.join(d, "lemonade.toml"))
    code, _, err = run(binary, "serve", "--data-dir", d, "-o", "imap.listen=127.0.0.1:%d" % port,
                       "-o", "imaps.listen=", "-o", "submission.listen=", "-o", "submissions.listen=", "-o", "lmtp.listen=")
    expect((code, err), (1, "lemonade: cannot listen on 127.0.0.1:%d: Address already in use\n" % port), "busy port")
    busy.close()
    # The outbound queue (empty here: local mail is delivered at once).
    expect(run(binary, "queue", "list", "--data-dir", d)[:2], (0, "0 messages, 0 octets queued\n"), "queue list")
    for verb in ("show", "retry", "delete"):
        expect(run(binary, "queue", verb, "7", "--data-dir", d)[:3:2], (1, "lemonade: no queued message 7\n"),
               "queue %s of a missing id" % verb)
    expect(run(binary, "queue", "flush", "--data-dir", d)[0], 0, "queue flush")
    expect(run(binary, "user", "del", "dora", "--data-dir", d)[0], 0, "user del")
    expect(run(binary, "user", "list", "--data-dir", d)[1], "", "no users left")


def peer_cert(srv):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.imaps_port))) as s:
        return s.getpeercert(binary_form=True)


def signals(binary):
    with LemonadeServer(binary, users={"dora": "pw"}) as srv:
        # SIGHUP: a new certificate is served to new connections.
        before = peer_cert(srv)
        other = tempfile.mkdtemp(prefix="lemonade-cert-")
        atexit.register(shutil.rmtree, other, True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-subj", "/CN=reloaded", "-days", "1", "-keyout", os.path.join(other, "key.pem"),
                        "-out", os.path.join(other, "cert.pem")], check=True, capture_output=True)
        os.replace(os.path.join(other, "cert.pem"), os.path.join(srv.data_dir, "tls", "cert.pem"))
        os.replace(os.path.join(other, "key.pem"), os.path.join(srv.data_dir, "tls", "key.pem"))
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while peer_cert(srv) == before:
            if time.time() > deadline:
                raise AssertionError("SIGHUP did not reload the certificate")
            time.sleep(0.1)

        # SIGTERM: an idle logged-in session hears BYE; exit status 0.
        s = socket.create_connection(("127.0.0.1", srv.imap_port), timeout=20)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"a LOGIN dora pw\r\n")
        expect(f.readline().startswith(b"a OK"), True, "login")
        srv.proc.send_signal(signal.SIGTERM)
        expect(f.readline(), b"* BYE Server shutting down\r\n", "BYE on SIGTERM")
        expect(f.readline(), b"", "closed after BYE")
        expect(srv.proc.wait(timeout=20), 0, "exit status")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    cli(args.lemonade)
    signals(args.lemonade)
    print("PASS test_cli_signals")


if __name__ == "__main__":
    main()
