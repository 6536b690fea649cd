"""A local server whose pages misbehave the way real news sites do.

Each path first serves a good article (so there is a last good version to
keep), then, after ``server.break_all()``, its fault. Faults are raw-socket
level where they must be: a reset, a body cut short, a drip slower than the
download timeout.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from collections.abc import Callable
from functools import cache
from http.server import BaseHTTPRequestHandler
from types import TracebackType

from tests.articles import TRUCE_V1, article_page
from tests.localsite import LoopbackServer

Fault = Callable[["_Handler"], None]

GOOD = article_page(TRUCE_V1.title, TRUCE_V1.paragraphs).encode("utf-8")


def _send(h: _Handler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    h.send_response(status)
    headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
    for name, value in headers.items():
        h.send_header(name, value)
    if "Content-Length" not in headers:
        h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def page(status: int, body: bytes, **headers: str) -> Fault:
    return lambda h: _send(h, status, body, {k.replace("_", "-"): v for k, v in headers.items()})


def reset(h: _Handler) -> None:
    # SO_LINGER with a zero timeout turns close() into a TCP RST.
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def truncated(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(GOOD) * 3))
    h.end_headers()
    h.wfile.write(GOOD[: len(GOOD) // 2])
    h.wfile.flush()
    h.close_connection = True


def drip(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(GOOD)))
    h.end_headers()
    try:
        for byte in GOOD[:40]:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(0.25)
    except OSError:
        pass  # the client gave up, as it should
    h.close_connection = True


@cache
def bomb() -> bytes:
    """64 MiB of zeros that travel as about 64 KiB of gzip."""
    return gzip.compress(b"\0" * (64 << 20), compresslevel=9)


def gzip_bomb(h: _Handler) -> None:
    _send(h, 200, bomb(), {"Content-Encoding": "gzip"})


def huge(h: _Handler) -> None:
    size = 50 << 20
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(size))
    h.end_headers()
    chunk = b"<p>" + b"x" * 65530 + b"</p>"
    try:
        for _ in range(size // len(chunk)):
            h.wfile.write(chunk)
    except OSError:
        pass
    h.close_connection = True


def redirect_loop(h: _Handler) -> None:
    _send(h, 302, b"", {"Location": h.path})


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server.faults
        path = self.path
        with srv.lock:
            srv.hits[path] = srv.hits.get(path, 0) + 1
            broken = srv.broken
            fault = srv.routes.get(path)
        if path == "/robots.txt":
            body = srv.robots.encode()
            _send(self, 200, body, {"Content-Type": "text/plain"})
        elif fault is None:
            _send(self, 404, b"<h1>Not found</h1>")
        elif broken or path in srv.always:
            fault(self)
        else:
            _send(self, 200, GOOD)


class _Server(LoopbackServer):
    faults: FaultServer


class FaultServer:
    def __init__(self) -> None:
        self.routes: dict[str, Fault] = {}
        self.always: set[str] = set()  # paths that misbehave from the first fetch
        self.hits: dict[str, int] = {}
        self.broken = False
        self.robots = "User-agent: *\nAllow: /\n"
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.faults = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def add(self, path: str, fault: Fault, *, always: bool = False) -> str:
        self.routes[path] = fault
        if always:
            self.always.add(path)
        return self.url(path)

    def break_all(self) -> None:
        with self.lock:
            self.broken = True

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
