"""A tiny news site on 127.0.0.1 whose pages tests change between crawls.

    with LocalSite() as site:
        site.put("/a", html_v1)
        ... crawl ...
        site.put("/a", html_v2)

Pages carry an ETag (hash of the body) and answer conditional GETs with 304,
as real news sites behind a CDN do.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class Page:
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    delay: float = 0.0  # seconds before answering: a slow site


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site = self.server.site
        path = self.path
        with site.lock:
            site.hits[path] = site.hits.get(path, 0) + 1
            page = site.pages.get(path)
        if page is None:
            if path == "/robots.txt":
                page = Page(site.robots.encode(), headers={"Content-Type": "text/plain"}, etag=False)
            else:
                page = Page(b"<html><body><h1>Not found</h1></body></html>", status=404)
        if page.delay:
            time.sleep(page.delay)
        headers = {"Content-Type": "text/html; charset=utf-8", **page.headers}
        if page.etag and page.status == 200:
            tag = '"' + hashlib.sha1(page.body).hexdigest()[:16] + '"'
            headers["ETag"] = tag
            if self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                for k, v in headers.items():
                    if k != "Content-Type":
                        self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self.send_response(page.status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        self.wfile.write(page.body)


class LoopbackServer(ThreadingHTTPServer):
    """The HTTP server of every local site tests and benchmarks start.

    socketserver listens with a backlog of 5: a crawler opening 16 or 64
    connections at once overflows it, the kernel drops the extra SYNs and the
    client retries after 1, 3, 7, 15 s. Those stalls were the sites', never the
    crawler's (one real replay step: p90 latency 1.9 s, worst 27 s).
    """

    daemon_threads = True
    request_queue_size = 1024


class _Server(LoopbackServer):
    site: LocalSite

    def handle_error(self, request: object, client_address: object) -> None:
        # A crawler killed mid-response (the crash tests do it on purpose) is not an error of the site.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LocalSite:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.pages: dict[str, Page] = {}
        self.hits: dict[str, int] = {}
        self.robots = "User-agent: *\nDisallow: /private/\n"
        self.lock = threading.Lock()
        self.server = _Server((host, port), _Handler)
        self.server.site = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, body: str | bytes, status: int = 200, **kwargs: object) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self.lock:
            self.pages[path] = Page(data, status, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def remove(self, path: str) -> None:
        with self.lock:
            self.pages.pop(path, None)

    def __enter__(self) -> LocalSite:
        self.thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
