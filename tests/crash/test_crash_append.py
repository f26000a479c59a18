#!/usr/bin/env python3
"""Crash test (DESIGN.md §5): concurrent APPENDs, kill -9 at a random
moment, restart; every acknowledged message is there byte-exact under its
UID (read back with UID FETCH BODY.PEEK[]), UIDs never go back,
UIDVALIDITY is unchanged. Three cycles. And no message outlives the crash
unreferenced (issue 12: "a crash must not leak it forever"): blob files
written for APPENDs the kill cut short, and their temporary files, are
swept once the account opens (store.blob_sweep_age=0 here); messages kept
in the database (store.inline_message_size) went with the transaction the
kill cut short."""

import argparse
import glob
import os
import random
import socket
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402

USER, PASSWORD = "crash", "test-pass"
FOLDERS = ["INBOX", "Archive"]
THREADS = 8
# Messages up to this size live in the database, larger ones in files
# (the sizes drawn below, 1 KB to 300 KB, give both).
INLINE_LIMIT = 64 * 1024


def read_line(f):
    line = f.readline()
    if not line:
        raise EOFError
    return line


def appender(port, folder, seed, acked, stop):
    rng = random.Random(seed)
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        f = s.makefile("rb")
        read_line(f)
        s.sendall(('a LOGIN %s "%s"\r\n' % (USER, PASSWORD)).encode())
        if not read_line(f).startswith(b"a OK"):
            return
        n = 0
        while not stop.is_set():
            n += 1
            size = rng.randint(1024, 300 * 1024)
            body = ("Subject: crash %d/%d\r\n\r\n" % (seed, n)).encode()
            body += bytes(rng.randrange(32, 127) for _ in range(64)) * (size // 64) + b"\r\n"
            s.sendall(b"c%d APPEND %s {%d+}\r\n" % (n, folder.encode(), len(body)) + body + b"\r\n")
            line = read_line(f)
            if line.startswith(b"c%d OK [APPENDUID " % n):
                uidvalidity, uid = line.split(b"[APPENDUID ")[1].split(b"]")[0].split()
                acked.append((folder, int(uidvalidity), int(uid), body))
    except (OSError, EOFError):
        pass  # the server was killed


def fetch_all(port):
    """What the server holds after the restart, read the way a client reads
    it: STATUS, then UID FETCH 1:* (BODY.PEEK[]) in each folder."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    f = s.makefile("rb")
    read_line(f)
    s.sendall(('a LOGIN %s "%s"\r\n' % (USER, PASSWORD)).encode())
    read_line(f)
    out = {}
    for n, folder in enumerate(FOLDERS):
        s.sendall(b"s%d STATUS %s (UIDVALIDITY UIDNEXT)\r\n" % (n, folder.encode()))
        status = read_line(f)
        read_line(f)
        words = status.split(b"(")[1].rstrip(b")\r\n").split()
        info = dict(zip(words[::2], words[1::2]))
        box = {"uidvalidity": int(info[b"UIDVALIDITY"]), "uidnext": int(info[b"UIDNEXT"]), "messages": {}}
        s.sendall(b"e%d EXAMINE %s\r\n" % (n, folder.encode()))
        while not read_line(f).startswith(b"e%d " % n):
            pass
        s.sendall(b"f%d UID FETCH 1:* (BODY.PEEK[])\r\n" % n)
        while True:
            line = read_line(f)
            if line.startswith(b"f%d " % n):
                if b" OK " not in line:
                    raise AssertionError("FETCH failed: %r" % line)
                break
            # * n FETCH (UID u BODY[] {size}
            uid = int(line.split(b"(UID ")[1].split()[0])
            size = int(line.rsplit(b"{", 1)[1].split(b"}")[0])
            box["messages"][uid] = f.read(size)
            read_line(f)  # ")"
        out[folder] = box
    s.close()
    return out


def blob_files(data_dir):
    files = glob.glob(os.path.join(data_dir, "mail", "*", "blobs", "*", "*"))
    files += glob.glob(os.path.join(data_dir, "mail", "*", "blobs", "*", ".tmp.*"))
    return files


def inline_rows(data_dir):
    """Messages kept in the accounts' databases (store.inline_message_size)."""
    n = 0
    for db in glob.glob(os.path.join(data_dir, "mail", "*", "mail.db")):
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
        try:
            n += con.execute("SELECT count(*) FROM message_data").fetchone()[0]
        finally:
            con.close()
    return n


def check_no_leak(data_dir, store):
    """Every message here has its own content, so once the sweep has run
    there is exactly one blob file per stored message over the inline
    limit, one database row per message up to it, and no temporary."""
    sizes = [len(body) for box in store.values() for body in box["messages"].values()]
    want_files = sum(1 for n in sizes if n > INLINE_LIMIT)
    want_rows = len(sizes) - want_files
    deadline = time.time() + 20
    while True:
        files = blob_files(data_dir)
        tmp = [f for f in files if os.path.basename(f).startswith(".tmp.")]
        rows = inline_rows(data_dir)
        if len(files) == want_files and not tmp and rows == want_rows:
            return len(files), rows
        if time.time() > deadline:
            raise AssertionError("%d blob files (%d temporary) for %d messages over %d octets, %d rows for %d "
                                 "up to it: the sweep left some"
                                 % (len(files), len(tmp), want_files, INLINE_LIMIT, rows, want_rows))
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    rng = random.Random(int(os.environ.get("LEMONADE_CRASH_SEED", time.time())))
    acked = []
    server = LemonadeServer(args.lemonade, users={USER: PASSWORD}, options=["store.blob_sweep_age=0",
                                                                                 "store.inline_message_size=%d" % INLINE_LIMIT])
    server.start()
    validity = {}
    highest = {}
    try:
        for cycle in range(3):
            stop = threading.Event()
            threads = [threading.Thread(target=appender,
                                        args=(server.imap_port, FOLDERS[i % 2], cycle * 100 + i, acked, stop))
                       for i in range(THREADS)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(1.0, 3.0))
            server.kill9()
            stop.set()
            for t in threads:
                t.join(timeout=30)

            before = len(blob_files(server.data_dir))
            server.start()  # same data directory
            store = fetch_all(server.imap_port)
            for folder, uidvalidity, uid, body in acked:
                box = store[folder]
                if box["uidvalidity"] != uidvalidity:
                    raise AssertionError("%s: UIDVALIDITY changed" % folder)
                if box["messages"].get(uid) != body:
                    raise AssertionError("cycle %d: acknowledged %s UID %d lost or changed" % (cycle, folder, uid))
            for folder in FOLDERS:
                box = store[folder]
                validity.setdefault(folder, box["uidvalidity"])
                if box["uidvalidity"] != validity[folder]:
                    raise AssertionError("%s: UIDVALIDITY changed across restarts" % folder)
                top = max(box["messages"], default=0)
                if box["uidnext"] <= top:
                    raise AssertionError("%s: UIDNEXT %d not above UID %d" % (folder, box["uidnext"], top))
                if box["uidnext"] < highest.get(folder, 0):
                    raise AssertionError("%s: UIDNEXT went back" % folder)
                highest[folder] = box["uidnext"]
            files, rows = check_no_leak(server.data_dir, store)
            print("cycle %d: %d acknowledged appends verified; %d blob files after the sweep (%d after the kill), "
                  "%d messages in the database" % (cycle, len(acked), files, before, rows))
        # After the last restart a new APPEND gets a UID above all before.
        s = socket.create_connection(("127.0.0.1", server.imap_port), timeout=30)
        f = s.makefile("rb")
        read_line(f)
        s.sendall(('a LOGIN %s "%s"\r\n' % (USER, PASSWORD)).encode())
        read_line(f)
        s.sendall(b"b APPEND INBOX {12+}\r\nSubject: z\r\n\r\n")
        line = read_line(f)
        uid = int(line.split(b"[APPENDUID ")[1].split(b"]")[0].split()[1])
        if uid < highest["INBOX"]:
            raise AssertionError("UID %d reused (UIDNEXT was %d)" % (uid, highest["INBOX"]))
        s.close()
        if not acked:
            raise AssertionError("no APPEND was acknowledged: the test proved nothing")
    except BaseException:
        print(server.log()[-4000:])
        raise
    finally:
        server.close()  # stops it and removes its data directory
    print("PASS test_crash_append (%d acknowledged messages)" % len(acked))


if __name__ == "__main__":
    main()
