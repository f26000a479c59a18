"""A middlebox of our own between a client and a server on loopback, as
mobile networks have them: it relays TCP both ways and resets a connection
(RST to both ends, as a NAT that forgot the flow answers) when it has been
idle for `idle` seconds, or, with `lifetime=(lo, hi)`, at a random moment
in that range whatever the traffic. It counts what it relays and why
connections ended.

    with Middlebox(("127.0.0.1", srv.https_port), idle=0.75) as mb:
        connect to ("127.0.0.1", mb.port); mb.resets_idle, mb.frames
"""

import random
import select
import socket
import struct
import threading
import time

from lemonade_server import free_port


def reset(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


class Middlebox:
    def __init__(self, target, idle=None, lifetime=None, seed=1):
        self.target = target
        self.idle = idle
        self.lifetime = lifetime
        self.rng = random.Random(seed)
        self.port = free_port()
        self.lock = threading.Lock()
        self.connections = 0
        self.resets_idle = 0
        self.resets_random = 0
        self.octets = 0
        self.segments = 0  # reads relayed, either way: the packets a radio wakes for
        self.stamps = []   # when each was relayed (time.monotonic())
        self.stopping = False

    def __enter__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        self.thread = threading.Thread(target=self.accept_loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.listener.close()

    def accept_loop(self):
        while not self.stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                life = self.rng.uniform(*self.lifetime) if self.lifetime else None
            threading.Thread(target=self.relay, args=(client, life), daemon=True).start()

    def relay(self, client, life):
        try:
            server = socket.create_connection(self.target)
        except OSError:
            reset(client)
            return
        start = last = time.monotonic()
        peer = {client: server, server: client}
        why = None
        while why is None:
            now = time.monotonic()
            waits = [1.0]
            if self.idle is not None:
                waits.append(last + self.idle - now)
            if life is not None:
                waits.append(start + life - now)
            ready, _, _ = select.select([client, server], [], [], max(0.0, min(waits)))
            now = time.monotonic()
            if not ready:
                if self.idle is not None and now - last >= self.idle:
                    why = "idle"
                elif life is not None and now - start >= life:
                    why = "random"
                continue
            for s in ready:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    why = "closed"
                    break
                try:
                    peer[s].sendall(data)
                except OSError:
                    why = "closed"
                    break
                with self.lock:
                    self.octets += len(data)
                    self.segments += 1
                    self.stamps.append(now)
                last = now
            if life is not None and now - start >= life:
                why = why or "random"
        with self.lock:
            if why == "idle":
                self.resets_idle += 1
            elif why == "random":
                self.resets_random += 1
        reset(client)
        reset(server)
