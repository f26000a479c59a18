#!/usr/bin/env python3
"""RFC 5259 CONVERT with Python's imaplib (a client we did not write, taught
the two commands) on the image conversions a phone asks for; the images
are made and read back with libvips' own tools (vips, vipsheader), so
formats and dimensions are checked, never bytes.

- A 4000x3000 photo (JPEG, a few MB) attached base64 as a phone sends it:
  UID CONVERT (image/jpeg (pix-x 320 pix-y 320)) BINARY[2] comes back a
  JPEG of 320x240 (RFC 5259 §7 example e001: "a rescaled image in JPEG
  format"), in a literal8 (RFC 3516: it holds NUL octets), less than 2% of
  the original's octets; BINARY.SIZE and BODYPARTSTRUCTURE of the same
  conversion agree with it (§8.2, §8.3); the server's log gives the time
  it took (event=convert ms=).
- A second device (another connection) asking the same thumbnail gets the
  same octets from the account's cache (§8.5): no second event=convert.
- image/png and image/webp targets; pix-y alone keeps the aspect ratio; an
  image is never enlarged.
- A PNG whose header claims 10000x5000 pixels (a decompression bomb) gets
  ERROR BADPARAMETERS from its header, at once, and the session goes on.
- CONVERT does not set \\Seen (§6).
- The conversions run in a worker process, a child of the server (§13:
  "SHOULD isolate the conversion function or library from the privileged
  mailstore, perhaps by running it within a distinct process"); a worker
  that cannot live within imap.convert_memory fails its conversion with
  ERROR TEMPFAIL, is logged, and the server goes on.

Usage: test_convert.py --lemonade BIN"""

import argparse
import base64
import imaplib
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402

# imaplib knows neither command; both are plain tagged commands.
imaplib.Commands.setdefault("CONVERT", ("SELECTED",))
imaplib.Commands.setdefault("CONVERSIONS", ("AUTH", "SELECTED"))

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def vips(*args):
    subprocess.run(["vips", *args], check=True)


def header(path):
    out = subprocess.run(["vipsheader", path], check=True, capture_output=True, text=True).stdout
    m = re.search(r"(\d+)x(\d+) .* (\w+load)", out)
    return (int(m.group(1)), int(m.group(2)), m.group(3)) if m else None


def photo(tmp):
    """A 4000x3000 JPEG of noise (noise does not compress: a few MB)."""
    noise = os.path.join(tmp, "noise.v")
    vips("gaussnoise", noise, "4000", "3000", "--sigma", "25", "--mean", "128")
    jpg = os.path.join(tmp, "photo.jpg")
    vips("copy", noise, jpg + "[Q=85]")
    return open(jpg, "rb").read()


def with_attachment(data, ctype):
    b64 = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return (b"From: phone@example.org\r\nTo: demo@example.org\r\nSubject: photo\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=xx\r\n\r\n--xx\r\nContent-Type: text/plain\r\n\r\n"
            b"See the picture.\r\n--xx\r\nContent-Type: " + ctype + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b64 + b"--xx--\r\n")


def is_worker_of(pid, parent):
    try:
        with open("/proc/%s/stat" % pid) as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return ppid == parent and b"convert-worker" in f.read()
    except OSError:
        return False


def png_bomb():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", 10000, 5000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def converted(imap, tag_typ, data):
    """The (item label, octets) of a CONVERTED response's literal."""
    for d in data or []:
        if isinstance(d, tuple):
            return d[0], d[1]
    return None, None


def uid_convert(imap, uid, params, items):
    typ, _ = imap.uid("CONVERT", str(uid), params, items)
    return typ, imap.untagged_responses.pop("CONVERTED", [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LemonadeServer(args.lemonade, users={"demo": "secret"}) as srv:
        original = photo(tmp)
        print("photo: %d octets" % len(original))
        pic = os.path.join(tmp, "pic.png")
        vips("black", pic, "300", "200", "--bands", "3")
        pic_bytes = open(pic, "rb").read()
        imap = imaplib.IMAP4("127.0.0.1", srv.imap_port)
        imap.login("demo", "secret")
        typ, caps = imap.capability()
        check(b"CONVERT" in caps[0].split() and b"BINARY" in caps[0].split(), "CONVERT and BINARY advertised")
        for m in (with_attachment(original, b"image/jpeg"), with_attachment(open(pic, "rb").read(), b"image/png"),
                  with_attachment(png_bomb(), b"image/png")):
            typ, _ = imap.append("INBOX", None, None, m)
            check(typ == "OK", "APPEND")
        imap.select("INBOX")

        # The thumbnail a phone's message list asks for.
        typ, data = uid_convert(imap, 1, '("image/jpeg" ("pix-x" "320" "pix-y" "320"))',
                                "(BODYPARTSTRUCTURE[2] BINARY.SIZE[2] BINARY[2])")
        check(typ == "OK", "UID CONVERT of the photo: OK")
        label, thumb = converted(imap, typ, data)
        text = b" ".join(d[0] if isinstance(d, tuple) else d for d in data)
        check(label is not None and label.endswith(b"BINARY[2] ~{%d}" % len(thumb or b"")),
              "BINARY[2] in a literal8 (%r)" % (label[-40:] if label else None))
        check(text.startswith(b"1 (TAG ") and b"UID 1 " in text, "UID first in the CONVERTED response (%r)" % text[:40])
        m = re.search(rb"BODYPARTSTRUCTURE\[2\] \(\"IMAGE\" \"JPEG\" NIL NIL NIL \"BINARY\" (\d+)\) BINARY.SIZE\[2\] (\d+)", text)
        check(m is not None and int(m.group(1)) == len(thumb) == int(m.group(2)),
              "BODYPARTSTRUCTURE and BINARY.SIZE agree with the data (%r)" % ((m.groups() if m else text[:120]),))
        out = os.path.join(tmp, "thumb.jpg")
        open(out, "wb").write(thumb or b"")
        check(header(out) == (320, 240, "jpegload"), "a 320x240 JPEG (%r)" % (header(out),))
        ratio = len(thumb) / len(original)
        check(ratio < 0.02, "thumbnail %d octets, %.2f%% of the original's %d" % (len(thumb), 100 * ratio, len(original)))
        ms = [int(x) for x in re.findall(r"event=convert user=demo from=image/jpeg to=image/jpeg in=\d+ out=\d+ ms=(\d+)",
                                         srv.log())]
        check(len(ms) == 1, "one conversion logged (%r)" % ms)
        print("server time of the thumbnail: %s ms" % ms)

        # A second device: the cached thumbnail, the same octets.
        other = imaplib.IMAP4("127.0.0.1", srv.imap_port)
        other.login("demo", "secret")
        other.select("INBOX")
        typ, data = uid_convert(other, 1, '("IMAGE/JPEG" ("PIX-Y" "320" "PIX-X" "320"))', "BINARY[2]")
        check(converted(other, typ, data)[1] == thumb, "second device: the same thumbnail")
        check(srv.log().count("event=convert user=demo from=image/jpeg") == 1, "from the cache: no second conversion")
        other.logout()

        # Other targets; aspect ratio; never enlarged.
        for target, loader in (("image/png", "pngload"), ("image/webp", "webpload")):
            typ, data = uid_convert(imap, 1, '("%s" ("pix-y" "75"))' % target, "BINARY[2]")
            path = os.path.join(tmp, "t")
            open(path, "wb").write(converted(imap, typ, data)[1] or b"")
            check(header(path) == (100, 75, loader), "%s, pix-y 75: 100x75 (%r)" % (target, header(path)))
        typ, data = uid_convert(imap, 2, '("image/jpeg" ("pix-x" "1000"))', "BINARY[2]")
        path = os.path.join(tmp, "big")
        open(path, "wb").write(converted(imap, typ, data)[1] or b"")
        check(header(path) == (300, 200, "jpegload"), "never enlarged: 300x200 (%r)" % (header(path),))

        # The bomb: refused from its header, quickly; the session goes on.
        start = time.monotonic()
        typ, data = uid_convert(imap, 3, '("image/jpeg" ("pix-x" "100"))', "BINARY[2]")
        took = time.monotonic() - start
        text = b" ".join(d[0] if isinstance(d, tuple) else d for d in data)
        check(typ == "NO" and b"(ERROR \"The image has 10000x5000 pixels" in text and b"BADPARAMETERS" in text,
              "PNG bomb: ERROR BADPARAMETERS (%r)" % text[:160])
        check(took < 1.0, "PNG bomb refused in %.3f s" % took)
        typ, data = imap.fetch("1:3", "(FLAGS)")
        check(typ == "OK" and all(b"\\Seen" not in d for d in data), "CONVERT set no \\Seen (%r)" % data)
        # RFC 5259 §13: the conversions ran in a worker process of their
        # own, a child of the server.
        workers = [p for p in os.listdir("/proc") if p.isdigit() and is_worker_of(p, srv.proc.pid)]
        check(len(workers) == 1, "one convert-worker process, a child of the server (%r)" % workers)
        imap.logout()

    # A worker that cannot live within its memory (imap.convert_memory):
    # ERROR TEMPFAIL, a log line, and the server goes on.
    with LemonadeServer(args.lemonade, users={"demo": "secret"}, options=["imap.convert_memory=30MB"]) as srv:
        imap = imaplib.IMAP4("127.0.0.1", srv.imap_port)
        imap.login("demo", "secret")
        imap.append("INBOX", None, None, with_attachment(pic_bytes, b"image/png"))
        imap.select("INBOX")
        typ, data = uid_convert(imap, 1, '("image/jpeg" ("pix-x" "100"))', "BINARY[2]")
        text = b" ".join(d[0] if isinstance(d, tuple) else d for d in data)
        check(typ == "NO" and b"TEMPFAIL" in text, "worker out of memory: ERROR TEMPFAIL (%r)" % text[:160])
        check(imap.noop()[0] == "OK", "the session goes on")
        check("event=convert_worker_lost" in srv.log(), "the lost worker is logged")
        imap.logout()
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
