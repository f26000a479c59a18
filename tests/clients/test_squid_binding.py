"""A phone behind a firewall that lets only HTTPS out (issue 17): Squid
(Debian's) as the only way out, with the stock rules that refuse CONNECT to
any port but the HTTPS one. IMAP and submission ports are refused; the
client reaches IMAP through Squid by the WebSocket binding (wss:// over
CONNECT), with IDLE, a 5 MB APPEND, and a resume after the connection
through Squid is lost; and by the long-poll binding, with the same."""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from lemonade_server import LemonadeServer  # noqa: E402
from squid_server import SquidServer  # noqa: E402
from test_python_imaplib import expect  # noqa: E402
from test_websocket import Ws, idle_push  # noqa: E402
from test_websocket_resume import Resumable, append_other  # noqa: E402
from test_http_poll import big_append_and_idle  # noqa: E402


def tunnels(sq, n):
    """The tunnels Squid logged, once there are n (or after 15 s)."""
    for _ in range(150):
        seen = sq.access_log().count("TCP_TUNNEL/200")
        if seen >= n:
            break
        time.sleep(0.1)
    return seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"alice": "alice pw"}) as srv, SquidServer(srv.https_port) as sq:
        for port in (srv.imap_port, srv.imaps_port, srv.submission_port, srv.submissions_port):
            expect(sq.connect_status("127.0.0.1", port).split(" ")[1], "403", "CONNECT to port %d" % port)
        expect(sq.connect_status("127.0.0.1", srv.https_port).split(" ")[1], "200", "CONNECT to the HTTPS port")

        c = Ws(srv, "/imap", ["imap"], proxy_port=sq.port)
        expect(c.line().startswith("* OK [CAPABILITY IMAP4rev1 "), True, "the greeting through Squid")
        c.send(b"a1 LOGIN alice \"alice pw\"\r\n")
        expect(c.until_tagged("a1")[-1].split(" ")[:2], ["a1", "OK"], "LOGIN through Squid")
        msg = b"Subject: big\r\n\r\n" + b"".join(b"%07d through the proxy, some filler words\r\n" % i
                                                 for i in range(120000))
        expect(len(msg) > 5 * 1000 * 1000, True, "over 5 MB")
        c.send(b"a2 APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n", pieces=50)
        expect(c.until_tagged("a2")[-1].startswith("a2 OK [APPENDUID "), True, "the 5 MB APPEND")
        c.send(b"a3 SELECT INBOX\r\n")
        c.until_tagged("a3")
        c.send(b"a4 FETCH 1 RFC822.SIZE\r\n")
        expect(c.until_tagged("a4")[0], "* 1 FETCH (RFC822.SIZE %d)" % len(msg), "stored whole")
        idle_push(c, srv, "a5", 2)  # the push through Squid
        c.ws.close()

        # Lost and resumed, both times through Squid.
        r = Resumable(srv, proxy_port=sq.port)
        r.line()
        r.send(b"a1 LOGIN alice \"alice pw\"\r\n")
        r.until_tagged("a1")
        r.send(b"a2 SELECT INBOX\r\na3 IDLE\r\n")
        r.until_tagged("a2")
        expect(r.line(), "+ idling", "IDLE")
        r.kill()
        append_other(srv, b"Subject: while away\r\n\r\nhi\r\n")
        r.resume()
        expect(r.line(), "* 3 EXISTS", "the push, after the resume through Squid")
        r.send(b"DONE\r\na4 LOGOUT\r\n")
        r.until_tagged("a4")
        r.ws.sock.close()
        # Squid logs a tunnel when it closes: the probe above and three
        # WebSockets (one, the resumable one before and after its loss).
        expect(tunnels(sq, 4), 4, "every WebSocket went through Squid")

        # The long-poll binding through Squid: a 5 MB APPEND in POSTs, the
        # FETCH of it back, IDLE's push by a held GET, LOGOUT.
        big_append_and_idle(srv, proxy_port=sq.port)
        expect(tunnels(sq, 6), 6, "its two connections (GETs, POSTs) went through Squid")
    print("ok")


if __name__ == "__main__":
    main()
