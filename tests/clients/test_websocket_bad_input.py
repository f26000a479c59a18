"""Bad WebSocket input on the binding (issue 17): frames RFC 6455 forbids
end the connection with close code 1002 (protocol error), the session
behind it ends, and the server goes on serving. A ping inside a fragmented
message is allowed (§5.4) and the command it splits still runs.

RFC 6455 §5.1: "The server MUST close the connection upon receiving a
frame that is not masked ... a server MAY send a Close frame with a status
code of 1002 (protocol error)". §5.2: RSV1-3 "MUST be 0 unless an
extension is negotiated"; "If an unknown opcode is received, the receiving
endpoint MUST _Fail the WebSocket Connection_". §5.5: "All control frames
MUST have a payload length of 125 bytes or less and MUST NOT be
fragmented". §5.4: a continuation frame continues a fragmented message, so
one with nothing to continue is an error."""

import argparse
import os
import struct
import sys

import websocket

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from lemonade_server import LemonadeServer  # noqa: E402
from test_python_imaplib import expect  # noqa: E402
from test_websocket import Ws, sessions_ended  # noqa: E402

A = websocket.ABNF


def frame(opcode, data, fin=1, mask=1, rsv1=0):
    """A client frame as RFC 6455 §5.2 lays it out, rules or not (websocket-
    client's own refuses to build the bad ones)."""
    head = bytes([fin << 7 | rsv1 << 6 | opcode])
    n = len(data)
    length = bytes([n]) if n < 126 else bytes([126]) + struct.pack("!H", n) if n < 65536 else \
        bytes([127]) + struct.pack("!Q", n)
    if not mask:
        return head + length + data
    key = os.urandom(4)
    return head + bytes([length[0] | 0x80]) + length[1:] + key + bytes(b ^ key[i % 4] for i, b in enumerate(data))


def closed_with(c):
    """The close code the server sends (None when it just drops the TCP
    connection)."""
    try:
        while True:
            op, f = c.ws.recv_data_frame()
            if op == A.OPCODE_CLOSE:
                return struct.unpack("!H", f.data[:2])[0] if len(f.data) >= 2 else None
    except (websocket.WebSocketException, OSError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    cases = [
        ("an unmasked frame (§5.1)", frame(A.OPCODE_BINARY, b"a1 NOOP\r\n", mask=0)),
        ("a reserved opcode (§5.2)", frame(0x3, b"x")),
        ("RSV1 without an extension (§5.2)", frame(A.OPCODE_BINARY, b"x", rsv1=1)),
        ("a ping of 126 octets (§5.5)", frame(A.OPCODE_PING, b"p" * 126)),
        ("a fragmented ping (§5.5)", frame(A.OPCODE_PING, b"p", fin=0)),
        ("a continuation with nothing to continue (§5.4)", frame(A.OPCODE_CONT, b"x")),
    ]
    with LemonadeServer(args.lemonade, users={"alice": "alice pw"}) as srv:
        for what, raw in cases:
            c = Ws(srv, "/imap", ["imap"])
            c.line()
            c.ws.sock.sendall(raw)
            expect(closed_with(c) in (1002, None), True, what + ": 1002 or the connection closed")
            c.ws.shutdown()
        # A ping between the fragments of a message is allowed (§5.4), and
        # the command split across them runs.
        c = Ws(srv, "/imap", ["imap"])
        c.line()
        c.ws.sock.sendall(frame(A.OPCODE_BINARY, b"a1 NO", fin=0) + frame(A.OPCODE_PING, b"hi") +
                          frame(A.OPCODE_CONT, b"OP\r\n"))
        op, f = c.ws.recv_data_frame(control_frame=True)
        expect((op, f.data), (A.OPCODE_PONG, b"hi"), "the pong, with the ping's payload (§5.5.3)")
        expect(c.line(), "a1 OK NOOP completed", "the command split around a ping")
        c.ws.close()
        # Every session behind those connections ended; the server serves on.
        expect(sessions_ended(srv), (len(cases) + 1, set()), "every session ended")
        c = Ws(srv, "/imap", ["imap"])
        expect(c.line().startswith("* OK "), True, "still serving")
        c.ws.close()
    print("ok")


if __name__ == "__main__":
    main()
