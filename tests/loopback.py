"""Loopback servers shared by the HTTP tests (imported by name: tests/ is on sys.path under pytest)."""

from __future__ import annotations

import socket
import threading
import time


class Drip:
    """A loopback server that answers every connection one byte at a time, ``every`` seconds apart.

    ``headers_first``: the status line and headers arrive at once and only the body drips;
    otherwise the status line drips too. Bounded: it stops after ``limit`` bytes or when the
    client goes away, so a failing test cannot hang for long.
    """

    def __init__(self, every: float, headers_first: bool, limit: int = 40) -> None:
        self.every = every
        self.headers_first = headers_first
        self.limit = limit
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.05)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        body = b"x" * self.limit
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)
        with conn:
            try:
                conn.recv(65536)
                if self.headers_first:
                    conn.sendall(head)
                    data = body
                else:
                    data = head + body
                for i in range(min(len(data), self.limit)):
                    if self.stopped.is_set():
                        return
                    conn.sendall(data[i : i + 1])
                    time.sleep(self.every)
            except OSError:
                return  # the client gave up

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()
        self.thread.join(2)
