"""A small authoritative DNS server for tests (RFC 1035 over UDP, on
loopback): answers MX, A and AAAA questions from a table, NXDOMAIN for
names it does not know, and SERVFAIL for names listed as broken, so the
MX routing of the queue (RFC 5321 §5.1, RFC 7505) can be tested without
the Internet.

    zone = {"mx.test": {"MX": [(10, "mx1.mx.test")]}, "mx1.mx.test": {"A": ["127.0.0.1"]}}
    with DnsServer(zone, servfail={"broken.test"}) as dns:
        dns.port, dns.queries
"""

import ipaddress
import socket
import struct
import threading

TYPES = {1: "A", 15: "MX", 28: "AAAA"}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def decode_name(msg, pos):
    labels = []
    while True:
        n = msg[pos]
        if n == 0:
            return ".".join(labels), pos + 1
        labels.append(msg[pos + 1:pos + 1 + n].decode())
        pos += 1 + n


class DnsServer:
    def __init__(self, zone, servfail=()):
        self.zone = {k.lower(): v for k, v in zone.items()}
        self.servfail = {s.lower() for s in servfail}
        self.queries = []  # (name, type)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def answer(self, query):
        ident, flags, qd = struct.unpack(">HHH", query[:6])
        name, pos = decode_name(query, 12)
        qtype, qclass = struct.unpack(">HH", query[pos:pos + 4])
        question = query[12:pos + 4]
        self.queries.append((name.lower(), TYPES.get(qtype, str(qtype))))
        rd = flags & 0x0100
        records = []
        if name.lower() in self.servfail:
            rcode = 2
        elif name.lower() not in self.zone:
            rcode = 3
        else:
            rcode = 0
            for value in self.zone[name.lower()].get(TYPES.get(qtype, ""), []):
                if qtype == 15:
                    pref, host = value
                    rdata = struct.pack(">H", pref) + encode_name(host)
                elif qtype == 1:
                    rdata = ipaddress.IPv4Address(value).packed
                else:
                    rdata = ipaddress.IPv6Address(value).packed
                # The owner is the question's name (a pointer to offset 12).
                records.append(struct.pack(">HHHIH", 0xC00C, qtype, 1, 60, len(rdata)) + rdata)
        header = struct.pack(">HHHHHH", ident, 0x8400 | rd | rcode, 1, len(records), 0, 0)
        return header + question + b"".join(records)

    def serve(self):
        while True:
            try:
                query, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                self.sock.sendto(self.answer(query), peer)
            except Exception:  # a malformed query: no answer, as a server would drop it
                pass

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
