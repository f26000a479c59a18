#!/usr/bin/env python3
"""CONVERT (RFC 5259, issue 15): what a phone on a slow link receives, and
waits for, to show a photo attachment and an HTML newsletter, against
Lemonade and Dovecot (Debian dovecot-imapd) on loopback.

Dovecot has no CONVERT, so its rows are what a phone must do there: fetch
the part whole (FETCH BINARY[n], RFC 3516, the decoded octets). Lemonade's
rows are the same FETCH, then the conversion:

  photo, whole         UID FETCH 1 BINARY.PEEK[2]: a 12-megapixel colour
                       JPEG of about 4 MB (libvips noise, Q85), base64 in the message
  photo, 320 px        UID CONVERT 1 ("image/jpeg" ("pix-x" "320" "pix-y"
                       "320")) BINARY[2]: each repetition asks a size not
                       asked before (320, 321, ...), so none comes from the
                       conversion cache; "server ms" is the time Lemonade
                       logs for the conversion (event=convert ms=)
  photo, 320 px cached the first size again on another connection: the
                       account's cache (RFC 5259 §8.5)
  newsletter, whole    UID FETCH 2 BINARY.PEEK[1]: about 60 KB of HTML
                       (layout tables, inline styles, 24 articles with
                       links and images)
  newsletter, text     UID CONVERT 2 ("text/plain" ("charset" "utf-8"))
                       BINARY[1] (format=flowed text)

Octets are those the client receives for the command (its responses,
literal included); times are from sending the command to its tagged
response, medians of BENCH_REPS (5). Aims (issue 15): the thumbnail under
2 % of the original's octets and under 100 ms of server time.

Usage: convert.py --lemonade BIN [--reps N]"""

import argparse
import base64
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import PASSWORD, Dovecot, Lemonade  # noqa: E402


class Client:
    """A bare IMAP client that counts the octets it receives."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
        self.n = 0
        self.line()  # greeting

    def _more(self):
        d = self.sock.recv(1 << 20)
        if not d:
            raise RuntimeError("connection closed")
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self._more()
        i = self.buf.index(b"\r\n") + 2
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def command(self, text, literal=None):
        """(tagged line, octets received, seconds, literals received)."""
        self.n += 1
        tag = b"c%d" % self.n
        data = tag + b" " + text
        if literal is not None:
            data += b" {%d+}\r\n" % len(literal) + literal
        started = time.perf_counter()
        self.sock.sendall(data + b"\r\n")
        got, literals = 0, []
        while True:
            l = self.line()
            got += len(l)
            m = re.search(rb"~?\{(\d+)\}\r\n$", l)
            if m:
                n = int(m.group(1))
                while len(self.buf) < n:
                    self._more()
                literals.append(self.buf[:n])
                self.buf = self.buf[n:]
                got += n
                continue
            if l.startswith(tag + b" "):
                return l, got, time.perf_counter() - started, literals


def photo(tmp):
    # Three bands of noise (a colour picture; noise does not compress,
    # so a few MB as a phone's photo is).
    bands = []
    for i, sigma in enumerate((20, 16, 16)):
        bands.append(os.path.join(tmp, "noise%d.v" % i))
        subprocess.run(["vips", "gaussnoise", bands[-1], "4000", "3000", "--sigma", str(sigma), "--mean", "128"],
                       check=True)
    colour = os.path.join(tmp, "colour.v")
    subprocess.run(["vips", "bandjoin", " ".join(bands), colour], check=True)
    # 8-bit sRGB (float bands would be read as linear light, 0 to 1).
    rgb8, srgb = os.path.join(tmp, "rgb8.v"), os.path.join(tmp, "srgb.v")
    subprocess.run(["vips", "cast", colour, rgb8, "uchar"], check=True)
    subprocess.run(["vips", "copy", rgb8, srgb, "--interpretation", "srgb"], check=True)
    jpg = os.path.join(tmp, "photo.jpg")
    subprocess.run(["vips", "copy", srgb, jpg + "[Q=85]"], check=True)
    return open(jpg, "rb").read()


def newsletter():
    css = "font-family:Helvetica,Arial,sans-serif;font-size:14px;line-height:20px;color:#333333;padding:0 24px"
    articles = []
    for i in range(24):
        articles.append(
            f'<tr><td style="{css}"><table width="100%" cellpadding="0" cellspacing="0" border="0"><tr>'
            f'<td width="120" valign="top"><a href="https://news.example.com/a/{i}?utm_source=mail&amp;utm_medium=email">'
            f'<img src="https://cdn.example.com/img/{i}.jpg" width="120" height="80" alt="Picture {i}" style="display:block;border:0"></a></td>'
            f'<td valign="top" style="{css}"><h2 style="margin:0;font-size:18px;color:#111111">Story number {i}: what happened this week</h2>'
            f'<p style="margin:8px 0">Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut '
            f'labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip.</p>'
            f'<p style="margin:8px 0"><a href="https://news.example.com/a/{i}?utm_source=mail&amp;utm_medium=email" '
            f'style="color:#0066cc;text-decoration:none">Read more</a></p></td></tr></table></td></tr>')
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0}td{vertical-align:top}'
        '@media only screen and (max-width:600px){.wrap{width:100%!important}}</style></head><body>'
        '<table class="wrap" width="600" align="center" cellpadding="0" cellspacing="0" border="0">'
        '<tr><td style="padding:24px"><img src="https://cdn.example.com/logo.png" alt="Example News" width="200"></td></tr>'
        + "".join(articles) +
        f'<tr><td style="{css};font-size:11px;color:#999999">You receive this because you subscribed. '
        '<a href="https://news.example.com/unsubscribe?u=123">Unsubscribe</a></td></tr></table></body></html>').encode()


def message_with(part_headers, body):
    return (b"From: sender@example.org\r\nTo: user00@example.org\r\nSubject: bench\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
            b"--b\r\n" + part_headers + b"\r\n" + body + b"\r\n--b--\r\n")


def run(server, mail, reps, convert):
    c = Client(server.port)
    for cmd, lit in [(b"LOGIN user00 " + PASSWORD.encode(), None)] + [(b"APPEND INBOX", m) for m in mail]:
        tagged = c.command(cmd, lit)[0]
        if b" OK " not in tagged:
            raise RuntimeError("%s: %s" % (server.name, tagged))
    c.command(b"SELECT INBOX")
    rows = {}

    def measure(name, cmd, count=reps, client=None):
        octets, times, lits = [], [], []
        for i in range(count):
            tagged, got, secs, literals = (client or c).command(cmd(i) if callable(cmd) else cmd)
            if not tagged.split(b" ", 2)[1] == b"OK":
                raise RuntimeError("%s: %s" % (server.name, tagged))
            octets.append(got)
            times.append(secs)
            lits = literals
        rows[name] = (statistics.median(octets), statistics.median(times) * 1000, lits)

    measure("photo, whole", b"UID FETCH 1 BINARY.PEEK[2]")
    measure("newsletter, whole", b"UID FETCH 2 BINARY.PEEK[1]")
    if convert:
        measure("photo, 320 px", lambda i: b'UID CONVERT 1 ("image/jpeg" ("pix-x" "%d" "pix-y" "%d")) BINARY[2]'
                % (320 + i, 320 + i))
        other = Client(server.port)
        other.command(b"LOGIN user00 " + PASSWORD.encode())
        other.command(b"SELECT INBOX")
        measure("photo, 320 px cached", b'UID CONVERT 1 ("image/jpeg" ("pix-x" "320" "pix-y" "320")) BINARY[2]',
                client=other)
        measure("newsletter, text", b'UID CONVERT 2 ("text/plain" ("charset" "utf-8")) BINARY[1]')
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", default=os.path.join(os.path.dirname(__file__), "..", "..", "build-bench", "lemonade"))
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "5")))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="lemonade-convert-")
    os.chmod(work, 0o755)  # Dovecot's processes (user dovecot) read its passwd file there
    try:
        jpeg = photo(work)
        html = newsletter()
        b64 = base64.encodebytes(jpeg).replace(b"\n", b"\r\n").rstrip(b"\r\n")
        mail = [message_with(b"Content-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n", b64),
                (b"From: news@example.com\r\nTo: user00@example.org\r\nSubject: newsletter\r\nMIME-Version: 1.0\r\n"
                 b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html + b"\r\n")]
        print("photo: %d octets of JPEG (4000x3000); newsletter: %d octets of HTML" % (len(jpeg), len(html)))
        # Conversion times come from Lemonade's log (event=convert).
        os.environ["BENCH_LEMONADE_OPTIONS"] = (os.environ.get("BENCH_LEMONADE_OPTIONS", "") + " log.level=info").strip()
        results = {}
        lem = Lemonade(args.lemonade, work, 1)
        dov = Dovecot(work, lem.hashes())
        for server, convert in ((lem, True), (dov, False)):
            server.start()
            try:
                results[server.name] = run(server, mail, args.reps, convert)
            finally:
                server.stop()
        log = open(os.path.join(lem.dir, "bench.log"), errors="replace").read()
        server_ms = [int(x) for x in re.findall(r"event=convert user=user00 from=image/jpeg to=image/jpeg in=\d+ out=\d+ ms=(\d+)", log)]
        text_ms = [int(x) for x in re.findall(r"event=convert user=user00 from=text/html to=text/plain in=\d+ out=\d+ ms=(\d+)", log)]
        whole = results["lemonade"]["photo, whole"][0]
        print("%-22s %-9s %14s %10s %s" % ("", "server", "octets", "ms", ""))
        for name in ("photo, whole", "photo, 320 px", "photo, 320 px cached", "newsletter, whole", "newsletter, text"):
            for s in ("dovecot", "lemonade"):
                if name not in results[s]:
                    continue
                octets, ms, lits = results[s][name]
                note = ""
                if name.startswith("photo, 320"):
                    note = "%.2f %% of the whole photo's octets" % (100.0 * octets / whole)
                    if name == "photo, 320 px" and server_ms:
                        note += "; server ms (log) median %d, all %s" % (statistics.median(server_ms), server_ms)
                    if lits:
                        path = os.path.join(work, "thumb.jpg")
                        open(path, "wb").write(lits[-1])
                        dims = subprocess.run(["vipsheader", path], capture_output=True, text=True).stdout.strip()
                        note += "; " + dims.split(": ", 1)[-1]
                if name == "newsletter, text":
                    note = "%.1f %% of the HTML's octets" % (100.0 * octets / results["lemonade"]["newsletter, whole"][0])
                    if text_ms:
                        note += "; server ms (log) median %d" % statistics.median(text_ms)
                print("%-22s %-9s %14d %10.1f %s" % (name, s, octets, ms, note))
        dov_whole = results["dovecot"]["photo, whole"][0]
        thumb = results["lemonade"]["photo, 320 px"][0]
        print("ratio: the thumbnail from lemonade is %.2f %% of the photo dovecot sends (aim < 2 %%)" % (100.0 * thumb / dov_whole))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
