#!/usr/bin/env python3
"""Crash test (DESIGN.md §5): concurrent APPENDs, kill -9 at a random
moment, restart; every acknowledged message is there byte-exact under its
UID, UIDs never go back, UIDVALIDITY is unchanged. Three cycles."""

import argparse
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


def stored_messages(data_dir):
    """Reads what the store holds, straight from disk (read-only). To be
    replaced by FETCH BODY.PEEK[] once message access lands."""
    accounts = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_dir, "accounts.db"), uri=True)
    (uid_of_user,) = accounts.execute("SELECT id FROM users WHERE name = ?", (USER,)).fetchone()
    root = os.path.join(data_dir, "mail", str(uid_of_user))
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(root, "mail.db"), uri=True)
    out = {}
    for name, uidvalidity, uidnext in db.execute("SELECT name, uidvalidity, uidnext FROM mailboxes"):
        out[name] = {"uidvalidity": uidvalidity, "uidnext": uidnext, "messages": {}}
    for name, uid, blob in db.execute(
            "SELECT m.name, s.uid, s.blob FROM messages s JOIN mailboxes m ON m.id = s.mailbox_id"):
        with open(os.path.join(root, "blobs", blob[:2], blob), "rb") as f:
            out[name]["messages"][uid] = f.read()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    rng = random.Random(int(os.environ.get("LEMONADE_CRASH_SEED", time.time())))
    acked = []
    server = LemonadeServer(args.lemonade, users={USER: PASSWORD})
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

            store = stored_messages(server.data_dir)
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
            print("cycle %d: %d acknowledged appends verified" % (cycle, len(acked)))
            server.start()  # same data directory
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
        server.stop()
    print("PASS test_crash_append (%d acknowledged messages)" % len(acked))


if __name__ == "__main__":
    main()
