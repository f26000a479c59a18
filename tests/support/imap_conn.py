"""A plain IMAP connection for tests that drive the server line by line:
command() sends one tagged command and returns its untagged lines, and
fails unless the tagged reply is OK. rcvbuf sets the socket's receive
buffer before it connects (a client that reads slowly)."""

import socket


class Conn:
    def __init__(self, port, rcvbuf=None, timeout=60):
        self.s = socket.socket()
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(("127.0.0.1", port))
        self.f = self.s.makefile("rb")
        self.f.readline()  # the greeting
        self.n = 0

    def command(self, text):
        self.n += 1
        tag = b"t%d" % self.n
        self.s.sendall(tag + b" " + text + b"\r\n")
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise AssertionError("connection closed during %r" % text[:60])
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise AssertionError("%r: %r" % (text[:60], line))
                return lines
            lines.append(line)
