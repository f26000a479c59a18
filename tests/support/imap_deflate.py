"""An IMAP client connection that can turn on RFC 4978 COMPRESS=DEFLATE:
raw DEFLATE (zlib wbits -15) both ways, each command followed by a
Z_SYNC_FLUSH. Counts the octets on the wire and before compression, so
tests and benchmarks can compare them. Optionally over TLS.

    c = DeflateConn(port)                 # reads the greeting
    c.command(b"LOGIN u p")               # -> (untagged lines, tagged line)
    c.command(b"COMPRESS DEFLATE")        # the OK is plain; after it, deflate
    c.start_compress()
"""

import socket
import ssl
import zlib


class DeflateConn:
    def __init__(self, port, tls_cafile=None, timeout=30):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls_cafile:
            ctx = ssl.create_default_context(cafile=tls_cafile)
            ctx.check_hostname = False
            raw = ctx.wrap_socket(raw, server_hostname="localhost")
        self.s = raw
        self.comp = None
        self.decomp = None
        self.buf = b""          # decompressed input not yet consumed
        self.wire_in = 0        # octets received on the wire
        self.wire_out = 0
        self.plain_in = 0       # octets received after decompression
        self.plain_out = 0
        self.n = 0
        self.greeting = self.readline()

    def start_compress(self, level=6):
        self.comp = zlib.compressobj(level, zlib.DEFLATED, -15)
        self.decomp = zlib.decompressobj(-15)

    # --- output -------------------------------------------------------
    def send(self, data, flush=True):
        self.plain_out += len(data)
        if self.comp:
            data = self.comp.compress(data)
            if flush:
                data += self.comp.flush(zlib.Z_SYNC_FLUSH)
        self.wire_out += len(data)
        self.s.sendall(data)

    def send_raw(self, data):
        """Octets as they are, compressed or not (corrupt streams)."""
        self.wire_out += len(data)
        self.s.sendall(data)

    def compressed(self, data):
        """What send() would put on the wire, without sending it."""
        return self.comp.compress(data) + self.comp.flush(zlib.Z_SYNC_FLUSH)

    # --- input --------------------------------------------------------
    def _fill(self):
        data = self.s.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.wire_in += len(data)
        if self.decomp:
            data = self.decomp.decompress(data)
        self.plain_in += len(data)
        self.buf += data

    def readline(self):
        while b"\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response_line(self):
        """One response line with the literals it announces inlined."""
        line = self.readline()
        while line.endswith(b"}\r\n"):
            start = line.rindex(b"{")
            size = int(line[start + 1:-3].rstrip(b"+"))
            line += self.read_exact(size) + self.readline()
        return line

    def command(self, text, literal=None):
        """Sends one tagged command (with one synchronizing literal if
        given: text must end in {n}); returns (untagged, tagged)."""
        self.n += 1
        tag = b"c%d" % self.n
        self.send(tag + b" " + text + b"\r\n")
        if literal is not None:
            cont = self.readline()
            if not cont.startswith(b"+"):
                return [], cont
            self.send(literal + b"\r\n")
        untagged = []
        while True:
            line = self.read_response_line()
            if line.startswith(tag + b" "):
                return untagged, line
            untagged.append(line)

    def ok(self, text, literal=None):
        untagged, tagged = self.command(text, literal)
        if not tagged.startswith(b"c%d OK" % self.n):
            raise AssertionError("%r: %r" % (text[:60], tagged))
        return untagged

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass
