#!/usr/bin/env python3
"""10,000 phones in IDLE on one server (issue 12): every connection logs
in, selects INBOX and idles; the server raises its own file-descriptor
limit (and would log event=fd_limit if it could not), keeps serving new
commands, and an APPEND still reaches idling connections. The account's
password hash is made cheap (auth.argon2_*), and after the first login the
verified-password cache answers, so that 10,000 logins test the server, not
argon2id. Python asyncio, one process."""

import argparse
import asyncio
import os
import resource
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402

CONNECTIONS = 10000
CHEAP_HASH = ["auth.argon2_opslimit=1", "auth.argon2_memlimit=64KB"]


async def idler(port, i, ready, errors, conns):
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port, limit=1 << 16)
        await r.readline()
        w.write(b"a LOGIN demo secret\r\nb SELECT INBOX\r\nc IDLE\r\n")
        while True:
            line = await r.readline()
            if not line:
                raise ConnectionError("closed during setup")
            if line.startswith((b"a NO", b"a BAD", b"b NO", b"b BAD")):
                raise ConnectionError(line.decode().strip())
            if line.startswith(b"+ "):
                break
        conns.append((r, w))
    except Exception as e:  # noqa: BLE001 - counted below
        errors.append("%d: %s" % (i, e))
    finally:
        ready.release()


async def wait_exists(r, timeout):
    while True:
        line = await asyncio.wait_for(r.readline(), timeout)
        if not line:
            raise ConnectionError("closed while idling")
        if line.endswith(b" EXISTS\r\n"):
            return


async def run(port):
    errors, conns = [], []
    sem = asyncio.Semaphore(200)  # connections being set up at once

    async def one(i):
        await sem.acquire()
        await idler(port, i, sem, errors, conns)

    await asyncio.gather(*(one(i) for i in range(CONNECTIONS)))
    if errors:
        raise AssertionError("%d connections failed, first: %s" % (len(errors), errors[0]))
    # A new connection is still served at once, and its APPEND reaches the
    # idlers (a sample: every one would take a while to read).
    r, w = await asyncio.open_connection("127.0.0.1", port)
    await r.readline()
    w.write(b"x LOGIN demo secret\r\nx2 APPEND INBOX {12+}\r\nSubject: z\r\n\r\n")
    while not (await r.readline()).startswith(b"x2 OK"):
        pass
    for rr, _ in conns[:: CONNECTIONS // 50]:
        await wait_exists(rr, 30)
    for _, ww in conns:
        ww.close()
    w.write(b"x3 LOGOUT\r\n")
    w.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < CONNECTIONS + 1000:
        raise AssertionError("this machine's hard RLIMIT_NOFILE (%d) is below %d" % (hard, CONNECTIONS + 1000))
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # The server starts with a low soft limit, so it must raise it itself.
    env_limit = min(1024, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (env_limit, hard))
    srv = LemonadeServer(args.lemonade, options=CHEAP_HASH + ["server.max_connections=12000", "log.level=warn"])
    srv.add_user("demo", "secret")
    srv.start()
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        asyncio.run(run(srv.imap_port))
        with open(srv.log_path, "rb") as f:
            if b"event=fd_limit" in f.read():
                raise AssertionError("the server could not raise its file-descriptor limit")
    finally:
        srv.close()  # stops it and removes its data directory
    print("PASS test_many_idle (%d idling connections)" % CONNECTIONS)


if __name__ == "__main__":
    main()
