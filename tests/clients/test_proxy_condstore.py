"""CONDSTORE and QRESYNC (RFC 7162) through `lemonade proxy` in front of Debian's
Dovecot reduced to IMAP4rev1 (`imap_capability = IMAP4rev1`), which has
neither CONDSTORE nor ENABLE. The proxy keeps MODSEQs itself
(src/proxy/modseq_cache.hpp) and answers, with the RFC's shapes:

- ENABLE CONDSTORE (RFC 5161) and SELECT (CONDSTORE): OK [HIGHESTMODSEQ];
- FETCH MODSEQ, and every FETCH with UID and MODSEQ once enabled,
  including a flag change another client made on Dovecot (§3.2.4);
- UID FETCH (CHANGEDSINCE) returns only what changed (§3.1.4.1);
- STORE (UNCHANGEDSINCE): [MODIFIED] for what changed since (§3.1.3,
  example 3); UNCHANGEDSINCE 0 always fails; .SILENT still tells MODSEQ;
- SEARCH MODSEQ with the highest MODSEQ found, as SEARCH and ESEARCH
  (§3.1.5, §3.1.6);
- STATUS (HIGHESTMODSEQ) of the selected and of another mailbox, the
  latter moving when mail arrives there (§3.1.7);
- expunges and new mail seen on Dovecot keep sequence numbers and UIDs
  in step; a second session through the proxy sees the same MODSEQ for
  the same change; a poll-based IDLE carries MODSEQ;
- after a restart of the proxy MODSEQs are kept and HIGHESTMODSEQ never
  goes down (§3.1: mod-sequences only grow);
- a session that never enables CONDSTORE gets no MODSEQ in its FETCHes;
- Node imapflow (imapflow_condstore.mjs) resyncs with CHANGEDSINCE after
  changes made on Dovecot, and gets MODSEQs pushed while it idles;
- QRESYNC (§3.2): BAD before ENABLE QRESYNC; SELECT (QRESYNC (...))
  after expunges, a flag change and new mail on Dovecot gives VANISHED
  (EARLIER) then FETCH with MODSEQ; known-uids limit both; [CLOSED] once;
  a MODSEQ from before the proxy's log gets the superset; live EXPUNGEs
  become VANISHED, EXPUNGE's OK carries HIGHESTMODSEQ; UID FETCH
  (CHANGEDSINCE n VANISHED), and BAD without UID;
- Node imapflow's QRESYNC resync (imapflow_qresync.mjs) through it;
- two CONDSTORE sessions changing flags in turn: the numbering settles
  (no new HIGHESTMODSEQ without a change, UNCHANGEDSINCE with a current
  MODSEQ passes), and a .SILENT STORE shows another session's keyword;
- SPECIAL-USE (RFC 6154): LIST marks Sent Items, Trash, Drafts, Spam and
  INBOX.Archive with \\Sent, \\Trash, \\Drafts, \\Junk and \\Archive, and no
  other mailbox (proxy.special_use's defaults);
- proxy.condstore=false: neither CONDSTORE, QRESYNC nor ENABLE."""

import argparse
import imaplib
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from dovecot_server import Dovecot  # noqa: E402
from test_proxy import Proxy  # noqa: E402
from test_proxy_mediated import Conn, append_direct  # noqa: E402
from test_python_imaplib import expect  # noqa: E402

USERS = {"alice": "alice pw", "bob": "bob pw", "carol": "carol pw", "dave": "dave pw", "frank": "frank pw"}


def direct(dc, user="alice"):
    c = imaplib.IMAP4("127.0.0.1", dc.imap_port)
    c.login(user, USERS[user])
    return c


def login(px, caps=b"IMAP4rev1 IDLE ESEARCH CONDSTORE QRESYNC ENABLE SPECIAL-USE COMPRESS=DEFLATE", user="alice"):
    c = Conn(px.port)
    c.line()
    c.send(b'a LOGIN %s "%s"\r\n' % (user.encode(), USERS[user].encode()))
    expect(c.line(), b"a OK [CAPABILITY " + caps + b"] Logged in\r\n", "CONDSTORE and ENABLE offered")
    return c


def highest(lines):
    for l in lines:
        m = re.match(rb"\* OK \[HIGHESTMODSEQ (\d+)\]", l)
        if m:
            return int(m.group(1))
    raise AssertionError("no HIGHESTMODSEQ in %r" % lines)


def fetches(lines):
    """{seq: (uid, modseq, flags)} of FETCH responses; modseq None when
    absent."""
    out = {}
    for l in lines:
        m = re.match(rb"\* (\d+) FETCH \((.*)\)\r\n$", l)
        if not m:
            continue
        body = m.group(2)
        uid = re.search(rb"UID (\d+)", body)
        ms = re.search(rb"MODSEQ \((\d+)\)", body)
        fl = re.search(rb"FLAGS \(([^)]*)\)", body)
        out[int(m.group(1))] = (int(uid.group(1)) if uid else None, int(ms.group(1)) if ms else None,
                                fl.group(1) if fl else None)
    return out


def qresync(px, dc):
    """RFC 7162 §3.2 through the proxy, for carol: five messages on
    Dovecot, a session that knew them at HIGHESTMODSEQ h0, changes made on
    Dovecot, then SELECT (QRESYNC ...) and the rest."""
    for i in range(5):
        append_direct(dc, "carol", b"Subject: c%d\r\n\r\nbody\r\n" % i)
    c = login(px, user="carol")
    c.send(b"q1 ENABLE QRESYNC\r\n")
    expect(c.until(b"q1"), [b"* ENABLED QRESYNC\r\n", b"q1 OK ENABLE completed\r\n"], "ENABLE QRESYNC")
    c.send(b"q2 SELECT INBOX\r\n")
    lines = c.until(b"q2")
    h0 = highest(lines)
    uv = int(next(re.match(rb"\* OK \[UIDVALIDITY (\d+)\]", l).group(1) for l in lines if b"UIDVALIDITY" in l))
    c.send(b"z LOGOUT\r\n")
    c.until(b"z")

    d = direct(dc, "carol")
    d.select("INBOX")
    d.uid("STORE", "2,4", "+FLAGS", "(\\Deleted)")
    d.expunge()
    d.uid("STORE", "3", "+FLAGS", "(\\Seen)")
    d.append("INBOX", None, None, b"Subject: c5\r\n\r\nnew\r\n")

    c = login(px, user="carol")
    c.send(b"r1 SELECT INBOX (QRESYNC (%d %d))\r\n" % (uv, h0))
    expect(c.line(), b"r1 BAD QRESYNC parameter without ENABLE QRESYNC\r\n", "RFC 7162 §3.2.5: ENABLE first")
    c.send(b"r2 ENABLE QRESYNC\r\n")
    c.until(b"r2")
    c.send(b"r3 SELECT INBOX (QRESYNC (%d %d))\r\n" % (uv, h0))
    lines = c.until(b"r3")
    van = [l for l in lines if l.startswith(b"* VANISHED")]
    expect(van, [b"* VANISHED (EARLIER) 2,4\r\n"], "the two expunged on Dovecot: %r" % lines)
    f = fetches(lines)
    expect(sorted(v[0] for v in f.values()), [3, 6], "FETCH for the flagged and the new message: %r" % lines)
    expect(all(v[1] > h0 for v in f.values()), True, "with MODSEQs above h0")
    expect(lines.index(van[0]) < min(lines.index(l) for l in lines if b" FETCH " in l), True,
           "VANISHED (EARLIER) before the FETCHes")
    h1 = highest(lines)
    # known-uids (RFC 7162 §3.2.5.1) limit both; [CLOSED] first (§3.2.11).
    c.send(b"r4 SELECT INBOX (QRESYNC (%d %d 1:3))\r\n" % (uv, h0))
    lines = c.until(b"r4")
    expect(lines[0], b"* OK [CLOSED] Previous mailbox closed\r\n", "[CLOSED] first")
    expect([l for l in lines if l.startswith(b"* VANISHED")], [b"* VANISHED (EARLIER) 2\r\n"], "known-uids 1:3")
    expect([v[0] for v in fetches(lines).values()], [3], "FETCH within known-uids only")
    # A MODSEQ from before the proxy's log of this mailbox: every UID up to
    # UIDNEXT that is not there (UID 7 too, which came and went on Dovecot
    # unseen by the proxy), and every message.
    d.append("INBOX", None, None, b"Subject: c6\r\n\r\nbrief\r\n")
    d.select("INBOX")
    d.uid("STORE", "7", "+FLAGS", "(\\Deleted)")
    d.expunge()
    c.send(b"r5 SELECT INBOX (QRESYNC (%d 1))\r\n" % uv)
    lines = c.until(b"r5")
    expect([l for l in lines if l.startswith(b"* VANISHED")], [b"* VANISHED (EARLIER) 2,4,7\r\n"],
           "a superset where the log does not reach: %r" % lines)
    expect(sorted(v[0] for v in fetches(lines).values()), [1, 3, 5, 6], "and every message")
    expect(sum(1 for l in lines if b"[CLOSED]" in l), 1, "one [CLOSED], the backend's own left out")
    # Live: VANISHED instead of EXPUNGE (RFC 7162 §3.2.7), and EXPUNGE's
    # tagged OK with the new HIGHESTMODSEQ.
    d.uid("STORE", "6", "+FLAGS", "(\\Deleted)")
    d.expunge()
    c.send(b"r6 NOOP\r\n")
    lines = c.until(b"r6")
    expect(b"* VANISHED 6\r\n" in lines and not any(b"EXPUNGE" in l for l in lines), True,
           "VANISHED, not EXPUNGE: %r" % lines)
    c.send(b"r7 UID STORE 1 +FLAGS.SILENT (\\Deleted)\r\nr8 EXPUNGE\r\n")
    c.until(b"r7")
    lines = c.until(b"r8")
    expect(lines[0], b"* VANISHED 1\r\n", "the session's own EXPUNGE")
    m = re.match(rb"r8 OK \[HIGHESTMODSEQ (\d+)\] ", lines[-1])
    expect(bool(m) and int(m.group(1)) > h1, True, "EXPUNGE's tagged OK: %r" % lines[-1])
    # RFC 7162 §3.2.6.
    c.send(b"r9 UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)\r\n" % h0)
    lines = c.until(b"r9")
    expect(lines[0], b"* VANISHED (EARLIER) 1:2,4,6\r\n", "VANISHED (EARLIER) first, from the log: %r" % lines)
    expect([v[0] for v in fetches(lines).values()], [3], "then what changed")
    c.send(b"r10 FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)\r\n" % h0)
    expect(c.line(), b"r10 BAD VANISHED needs UID FETCH, CHANGEDSINCE and ENABLE QRESYNC\r\n",
           "VANISHED only with UID FETCH")

    # RFC 7162 §3.2: "the client doesn't lose any changes in case of
    # connectivity loss". Another session through the proxy expunges UID 3
    # (the proxy numbers it); this session, not yet told (no EXPUNGE during
    # a STORE), is shown a higher MODSEQ, then loses its connection. Its
    # resync from that MODSEQ must still report UID 3.
    other = login(px, user="carol")
    other.send(b"o1 SELECT INBOX\r\no2 UID STORE 3 +FLAGS.SILENT (\\Deleted)\r\no3 EXPUNGE\r\n")
    other.until(b"o1")
    other.until(b"o2")
    expect(b"* 1 EXPUNGE\r\n" in other.until(b"o3"), True, "the other session expunged UID 3")
    c.send(b"r11 STORE 2 +FLAGS (\\Flagged)\r\n")
    lines = c.until(b"r11")
    m = re.match(rb"\* 2 FETCH \(UID 5 MODSEQ \((\d+)\) FLAGS \(\\Flagged\)\)\r\n", lines[-2])
    expect(bool(m) and not any(b"VANISHED" in l for l in lines), True, "a MODSEQ shown, the expunge not yet: %r" % lines)
    seen = int(m.group(1))
    c.s.close()  # the connection is lost
    c = login(px, user="carol")
    c.send(b"r12 ENABLE QRESYNC\r\nr13 SELECT INBOX (QRESYNC (%d %d))\r\n" % (uv, seen))
    c.until(b"r12")
    lines = c.until(b"r13")
    expect([l for l in lines if l.startswith(b"* VANISHED")], [b"* VANISHED (EARLIER) 3\r\n"],
           "the expunge the lost session never passed on: %r" % lines)
    # RFC 7162 §3.1.3: under .SILENT, a FETCH with MODSEQ for every message
    # an UNCHANGEDSINCE store covered, also one whose flags did not change.
    c.send(b"r14 UID STORE 5 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\\Flagged)\r\n" % (2 ** 62))
    lines = c.until(b"r14")
    expect((bool(re.match(rb"\* 1 FETCH \(UID 5 MODSEQ \(\d+\)( FLAGS \(\\Flagged\))?\)\r\n", lines[0])), len(lines)),
           (True, 2), ".SILENT UNCHANGEDSINCE, nothing changed: the FETCH MODSEQ still: %r" % lines)
    for conn in (c, other):
        conn.send(b"z LOGOUT\r\n")
        conn.until(b"z")
    d.logout()


def two_sessions(px, dc):
    """Two CONDSTORE sessions of frank change flags in turn: each shows
    MODSEQs above changes the other made, so the proxy numbers some again
    (RFC 7162 §3.2). Once nothing changes, nothing is numbered again:
    HIGHESTMODSEQ stays, and UNCHANGEDSINCE with a current MODSEQ passes.
    A .SILENT STORE's FETCH carries the resulting FLAGS, another session's
    keyword among them."""
    d = direct(dc, "frank")
    for i in range(3):
        d.append("INBOX", None, None, b"Subject: f%d\r\n\r\nbody\r\n" % i)
    d.logout()
    a, b = login(px, user="frank"), login(px, user="frank")
    for c in (a, b):
        c.send(b"t1 ENABLE CONDSTORE\r\nt2 SELECT INBOX\r\n")
        c.until(b"t2")
    for i in range(4):
        sign = b"+" if i % 2 == 0 else b"-"
        a.send(b"a%d UID STORE 1 %sFLAGS (\\Flagged)\r\n" % (i, sign))
        expect(a.until(b"a%d" % i)[-1].startswith(b"a%d OK" % i), True, "A's STORE")
        b.send(b"b%d UID STORE 2 %sFLAGS (\\Flagged)\r\n" % (i, sign))
        expect(b.until(b"b%d" % i)[-1].startswith(b"b%d OK" % i), True, "B's STORE")

    def settle():
        for c in (a, b):
            c.send(b"n NOOP\r\nf FETCH 1:* (FLAGS MODSEQ)\r\n")
            c.until(b"n")
            c.until(b"f")
        a.send(b"s STATUS INBOX (HIGHESTMODSEQ)\r\n")
        return int(re.match(rb"\* STATUS INBOX \(HIGHESTMODSEQ (\d+)\)", a.until(b"s")[0]).group(1))

    h = settle()
    expect([settle() for _ in range(3)], [h, h, h], "no change, no new MODSEQ (numbering settles)")
    a.send(b"m UID FETCH 3 (MODSEQ)\r\n")
    m3 = fetches(a.until(b"m"))[3][1]
    a.send(b"u UID STORE 3 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)\r\n" % m3)
    lines = a.until(b"u")
    expect((lines[-1].startswith(b"u OK"), b"MODIFIED" in lines[-1]), (True, False),
           "UNCHANGEDSINCE with the current MODSEQ passes: %r" % lines)
    # B has not heard of A's keyword yet; its .SILENT STORE shows it.
    a.send(b"k UID STORE 2 +FLAGS ($Label1)\r\n")
    a.until(b"k")
    b.send(b"q STORE 2 +FLAGS.SILENT (\\Answered)\r\n")
    lines = b.until(b"q")
    got = fetches(lines).get(2)
    expect(got is not None and b"$Label1" in got[2] and b"\\Answered" in got[2], True,
           ".SILENT under CONDSTORE carries the resulting FLAGS: %r" % lines)
    for c in (a, b):
        c.send(b"z LOGOUT\r\n")
        c.until(b"z")


def special_use(px, dc):
    """RFC 6154 through the proxy: Dovecot here offers no SPECIAL-USE, the
    proxy marks the names proxy.special_use lists (its defaults), also
    under INBOX and its delimiter, and no other."""
    d = direct(dc, "bob")
    for name in ("Sent Items", "Trash", "Drafts", "Spam", "Work", "INBOX.Archive", "Sentinel"):
        d.create('"%s"' % name)
    d.logout()
    c = login(px, user="bob")
    c.send(b'l1 LIST "" "*"\r\n')
    lines = c.until(b"l1")
    attrs = {}
    for l in lines[:-1]:
        m = re.match(rb'\* LIST \(([^)]*)\) "(.)" "?([^"\r]*)"?\r\n', l)
        expect(bool(m), True, "a LIST response: %r" % l)
        attrs[m.group(3).decode()] = set(m.group(1).split())
    want = {"Sent Items": b"\\Sent", "Trash": b"\\Trash", "Drafts": b"\\Drafts", "Spam": b"\\Junk",
            "INBOX.Archive": b"\\Archive"}
    for name, a in want.items():
        expect(a in attrs.get(name, set()), True, "%s marked %s: %r" % (name, a, lines))
    for name in ("Work", "Sentinel", "INBOX"):
        expect([a for a in attrs.get(name, set()) if a in want.values()], [], "%s not marked" % name)
    c.send(b"z LOGOUT\r\n")
    c.until(b"z")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    dc = Dovecot(USERS)
    dc.extra_conf = "imap_capability = IMAP4rev1\nmailbox_list_index = no\n"
    with dc:
        for i in range(3):
            append_direct(dc, "alice", b"Subject: m%d\r\n\r\nbody %d\r\n" % (i, i))
        d = direct(dc)
        d.create("Archive")
        d.select("INBOX")
        backend = "imap://127.0.0.1:%d" % dc.imap_port
        px = Proxy(args.lemonade, backend, options=("proxy.poll_interval=1",))
        try:
            c = login(px)
            # RFC 5161 §3.1 example shape: * ENABLED lists what was enabled.
            c.send(b"e1 ENABLE CONDSTORE X-UNKNOWN\r\n")
            expect(c.until(b"e1"), [b"* ENABLED CONDSTORE\r\n", b"e1 OK ENABLE completed\r\n"], "ENABLE CONDSTORE")
            c.send(b"s1 SELECT INBOX (CONDSTORE)\r\n")
            sel = c.until(b"s1")
            h0 = highest(sel)
            expect(b"* 3 EXISTS\r\n" in sel and sel[-1].startswith(b"s1 OK [READ-WRITE]"), True, "SELECT: %r" % sel)
            # RFC 7162 §3.1.2.1: HIGHESTMODSEQ is not 0; our floor is the clock.
            expect(h0 > 1_600_000_000_000_000 and h0 < 2 ** 53, True, "HIGHESTMODSEQ %d" % h0)

            c.send(b"f1 FETCH 1:* (FLAGS MODSEQ)\r\n")
            f = fetches(c.until(b"f1"))
            expect(sorted(f), [1, 2, 3], "three messages")
            expect([f[i][0] for i in (1, 2, 3)], [1, 2, 3], "each FETCH with its UID")
            mods = [f[i][1] for i in (1, 2, 3)]
            expect(all(m is not None and m <= h0 for m in mods) and len(set(mods)) == 3, True,
                   "each with its own MODSEQ, none above HIGHESTMODSEQ: %r" % mods)

            # Another client flags message 2 on Dovecot: the NOOP tells it
            # with UID and a new MODSEQ.
            d.store("2", "+FLAGS", "\\Flagged")
            c.send(b"n1 NOOP\r\n")
            lines = c.until(b"n1")
            m = re.match(rb"\* 2 FETCH \(UID 2 MODSEQ \((\d+)\) FLAGS \(\\Flagged\)\)\r\n", lines[0])
            expect(bool(m), True, "the flag change with UID and MODSEQ: %r" % lines)
            h1 = int(m.group(1))
            expect(h1 > h0, True, "a new MODSEQ")

            # RFC 7162 §3.1.4.1: only what changed since.
            c.send(b"f2 UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)\r\n" % h0)
            lines = c.until(b"f2")
            expect((fetches(lines), lines[-1].startswith(b"f2 OK")), ({2: (2, h1, b"\\Flagged")}, True),
                   "CHANGEDSINCE: %r" % lines)
            c.send(b"f3 FETCH 1:3 (UID) (CHANGEDSINCE %d)\r\n" % h1)
            expect(c.until(b"f3"), [b"f3 OK FETCH completed\r\n"], "nothing changed since the last one")

            # RFC 7162 §3.1.3: message 2 changed after h0, message 1 did not.
            c.send(b"u1 STORE 1,2 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)\r\n" % h0)
            lines = c.until(b"u1")
            f = fetches(lines)
            expect((list(f), f[1][0], f[1][2]), ([1], 1, b"\\Seen"), "only message 1 stored: %r" % lines)
            h2 = f[1][1]
            expect((h2 > h1, lines[-1]), (True, b"u1 OK [MODIFIED 2] Conditional STORE failed\r\n"),
                   "[MODIFIED 2]")
            d.select("INBOX")
            typ, data = d.fetch("1:2", "(FLAGS)")
            expect([b"\\Seen" in x for x in data], [True, False], "Dovecot stored it on message 1 only: %r" % data)
            c.send(b"u2 UID STORE 3 (UNCHANGEDSINCE 0) +FLAGS (\\Deleted)\r\n")
            expect(c.until(b"u2"), [b"u2 OK [MODIFIED 3] Conditional STORE failed\r\n"],
                   "UNCHANGEDSINCE 0 always fails")
            c.send(b"u3 STORE 3 +FLAGS.SILENT (\\Answered)\r\n")
            lines = c.until(b"u3")
            # With CONDSTORE on, the FETCH is sent (RFC 7162 §3.1.3) and
            # carries the resulting FLAGS (another session's change may be
            # in them).
            m = re.match(rb"\* 3 FETCH \(UID 3 MODSEQ \((\d+)\) FLAGS \(\\Answered\)\)\r\n", lines[0])
            expect((bool(m), len(lines)), (True, 2), ".SILENT under CONDSTORE: %r" % lines)
            h3 = int(m.group(1))
            expect(h3 > h2, True, "a new MODSEQ for message 3")
            c.send(b"u4 STORE 3 +FLAGS.SILENT (\\Answered)\r\n")
            lines = c.until(b"u4")
            expect(([l for l in lines if b"MODSEQ (%d)" % h3 not in l][0].startswith(b"u4 OK"), len(lines) <= 2),
                   (True, True), ".SILENT and nothing changed: no new MODSEQ: %r" % lines)

            # RFC 7162 §3.1.5, §3.1.6.
            c.send(b"q1 SEARCH MODSEQ %d\r\n" % h2)
            expect(c.until(b"q1")[0], b"* SEARCH 1 3 (MODSEQ %d)\r\n" % h3, "SEARCH MODSEQ")
            c.send(b"q2 UID SEARCH RETURN (COUNT MAX) OR MODSEQ \"/flags/\\\\seen\" all %d SUBJECT m1\r\n" % h3)
            expect(c.until(b"q2")[0], b'* ESEARCH (TAG "q2") UID MAX 3 COUNT 2 MODSEQ %d\r\n' % h3,
                   "ESEARCH with MODSEQ")
            c.send(b"q3 SEARCH MODSEQ %d\r\n" % (h3 + 1))
            lines = c.until(b"q3")
            expect((lines[0], len(lines)), (b"* SEARCH\r\n", 2), "nothing found: no MODSEQ (%r)" % lines)

            # RFC 7162 §3.1.7.
            c.send(b"t1 STATUS INBOX (MESSAGES HIGHESTMODSEQ)\r\n")
            expect(c.until(b"t1")[0], b"* STATUS INBOX (MESSAGES 3 HIGHESTMODSEQ %d)\r\n" % h3, "STATUS INBOX")
            c.send(b"t2 STATUS Archive (HIGHESTMODSEQ)\r\n")
            m = re.match(rb"\* STATUS Archive \(HIGHESTMODSEQ (\d+)\)\r\n", c.until(b"t2")[0])
            expect(bool(m), True, "STATUS of another mailbox")
            a0 = int(m.group(1))
            c.send(b"t3 STATUS Archive (HIGHESTMODSEQ UIDNEXT)\r\n")
            expect(c.until(b"t3")[0], b"* STATUS Archive (UIDNEXT 1 HIGHESTMODSEQ %d)\r\n" % a0, "unchanged")
            d.append("Archive", None, None, b"Subject: archived\r\n\r\nold\r\n")
            c.send(b"t4 STATUS Archive (HIGHESTMODSEQ)\r\n")
            m = re.match(rb"\* STATUS Archive \(HIGHESTMODSEQ (\d+)\)\r\n", c.until(b"t4")[0])
            expect(int(m.group(1)) > a0, True, "new mail there moves its HIGHESTMODSEQ")

            # An expunge and new mail on Dovecot.
            d.select("INBOX")
            d.store("1", "+FLAGS", "\\Deleted")
            d.expunge()
            c.send(b"n2 NOOP\r\n")
            lines = c.until(b"n2")
            expect(b"* 1 EXPUNGE\r\n" in lines, True, "the expunge: %r" % lines)
            c.send(b"f4 FETCH 1:* (MODSEQ)\r\n")
            f = fetches(c.until(b"f4"))
            expect({k: v[0] for k, v in f.items()}, {1: 2, 2: 3}, "sequence numbers moved down")
            append_direct(dc, "alice", b"Subject: new\r\n\r\nnew\r\n")
            c.send(b"n3 NOOP\r\n")
            lines = c.until(b"n3")
            expect(b"* 3 EXISTS\r\n" in lines, True, "the new message: %r" % lines)
            c.send(b"f5 UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)\r\n" % h3)
            f = fetches(c.until(b"f5"))
            expect(list(f.values())[0][0] if len(f) == 1 else f, 4, "only the new message changed since h3")
            h4 = list(f.values())[0][1]
            expect(h4 > h3, True, "the new message's MODSEQ is above")

            # A second session: the same change gets one MODSEQ in both.
            c2 = login(px)
            c2.send(b"s2 SELECT INBOX\r\n")
            h5 = highest(c2.until(b"s2"))
            expect(h5 >= h4, True, "the second session's HIGHESTMODSEQ")
            c2.send(b"f6 FETCH 1:* (FLAGS)\r\n")
            expect([v[1] for v in fetches(c2.until(b"f6")).values()], [None, None, None],
                   "no MODSEQ for a session that never enabled CONDSTORE")
            d.select("INBOX")
            d.uid("STORE", "4", "+FLAGS", "($Forwarded)")
            c.send(b"n4 NOOP\r\n")
            mine = fetches(c.until(b"n4"))
            c2.send(b"n5 FETCH 3 (MODSEQ)\r\n")
            theirs = fetches(c2.until(b"n5"))
            expect((mine[3][0], mine[3][1]), (theirs[3][0], theirs[3][1]), "one MODSEQ for one change")
            c2.send(b"z LOGOUT\r\n")
            c2.until(b"z")

            # The proxy's own IDLE (by polling) carries MODSEQ too.
            c.send(b"i1 IDLE\r\n")
            expect(c.line().startswith(b"+ "), True, "idling")
            d.uid("STORE", "2", "-FLAGS", "(\\Flagged)")
            m = None
            deadline = time.time() + 10
            while not m and time.time() < deadline:
                m = re.match(rb"\* 1 FETCH \(UID 2 MODSEQ \((\d+)\) FLAGS \(\)\)\r\n", c.line())
            expect(bool(m), True, "a flag change pushed during IDLE with its MODSEQ")
            h6 = int(m.group(1))
            c.send(b"DONE\r\n")
            c.until(b"i1")
            c.send(b"z LOGOUT\r\n")
            c.until(b"z")

            # Node imapflow over TLS: a CONDSTORE delta sync and a MODSEQ
            # pushed during IDLE (imapflow_condstore.mjs).
            for i in range(4):
                append_direct(dc, "bob", b"Subject: b%d\r\n\r\nbody\r\n" % i)
            project = os.path.join(HERE, "imapflow")
            if not os.path.isdir(os.path.join(project, "node_modules", "imapflow")):
                raise SystemExit("imapflow is not installed: run (cd tests/clients/imapflow && npm ci)")
            out = subprocess.run(["node", "imapflow_condstore.mjs", str(px.tls_port),
                                  os.path.join(px.dir, "tls", "cert.pem"), "bob", USERS["bob"], str(dc.imap_port)],
                                 cwd=project, capture_output=True, timeout=120)
            expect((out.returncode, out.stdout), (0, b"PASS imapflow condstore\n"),
                   "imapflow_condstore.mjs through the proxy: %s" % out.stderr.decode()[-1500:])

            qresync(px, dc)
            two_sessions(px, dc)
            special_use(px, dc)
            # imapflow's own QRESYNC resync (the one run against the
            # Lemonade store in test_node_imapflow.py), through the proxy.
            out = subprocess.run(["node", "imapflow_qresync.mjs", str(px.tls_port),
                                  os.path.join(px.dir, "tls", "cert.pem"), "dave", USERS["dave"]],
                                 cwd=project, capture_output=True, timeout=180)
            expect((out.returncode, out.stdout.startswith(b"PASS imapflow qresync")), (0, True),
                   "imapflow_qresync.mjs through the proxy: %s" % out.stderr.decode()[-3000:])
        finally:
            px.stop()

        # A restart keeps the MODSEQs; HIGHESTMODSEQ does not go down.
        px = Proxy(args.lemonade, backend, data_dir=px.dir)
        try:
            c = login(px)
            c.send(b"s3 SELECT INBOX (CONDSTORE)\r\n")
            h7 = highest(c.until(b"s3"))
            expect(h7 >= h6, True, "HIGHESTMODSEQ after a restart (%d, was %d)" % (h7, h6))
            c.send(b"f7 UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)\r\n" % h6)
            expect(c.until(b"f7"), [b"f7 OK FETCH completed\r\n"], "nothing changed since, after a restart")
            c.send(b"z LOGOUT\r\n")
            c.until(b"z")
        finally:
            px.stop()

        px = Proxy(args.lemonade, backend, options=("proxy.condstore=false",))
        try:
            c = login(px, caps=b"IMAP4rev1 IDLE ESEARCH SPECIAL-USE COMPRESS=DEFLATE")
            c.send(b"s4 SELECT INBOX\r\n")
            lines = c.until(b"s4")
            expect(any(b"HIGHESTMODSEQ" in l for l in lines), False, "no HIGHESTMODSEQ without CONDSTORE")
        finally:
            px.stop()
        d.logout()
    print("proxy condstore: OK")


if __name__ == "__main__":
    main()
