"""A local news site for benchmarks: many article URLs on several loopback
addresses, served from memory by a separate process.

Pages are ../shared/realpages replicated under many URLs (or generated pages
when that folder is absent). ``/round`` switches what is served:
0 = the base pages, 1 = the same pages, 2 = 10 % of them edited, 3 and 4 =
the base pages with their furniture changed (rails, counters, scripts, a stamp:
bench/pageedits.py's ``furniture`` churn, rounds 1 and 2), the article untouched.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import sys
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.churn import edit, load_pages, parse, serialise  # noqa: E402
from tests.localsite import LoopbackServer  # noqa: E402

REALPAGES = ROOT.parent / "shared" / "realpages"
HOSTS = [f"127.0.0.{i}" for i in range(2, 10)]


def pages_used() -> str:
    """Which pages the bench site serves, for the report: figures from generated pages are not comparable."""
    if (REALPAGES / "ground-truth.json").exists():
        return f"the 67 real pages of {REALPAGES} replicated"
    return f"generated pages ({REALPAGES} is absent; figures are not comparable with real pages)"


def _generated(n: int) -> list[str]:
    from tests.articles import TRUCE_V1, article_page

    return [
        article_page(f"Story {i}: {TRUCE_V1.title}", [f"Report {i}. {p}" for p in TRUCE_V1.paragraphs])
        for i in range(n)
    ]


def build_pages(count: int) -> list[list[bytes]]:
    """The pages of every round (see the module docstring), ``count`` each."""
    from bench.pageedits import furniture
    from pipeline.extract import extract

    if (REALPAGES / "ground-truth.json").exists():
        real = load_pages(REALPAGES)
        base_html = [serialise(parse(p.html)) for p in real]
        edited_html = []
        for p, html in zip(real, base_html, strict=True):
            e = extract(html, p.url)
            edited_html.append(edit(p, html, e.text, e.title).html)
        churned = [[furniture(p, html, n) for p, html in zip(real, base_html, strict=True)] for n in (1, 2)]
    else:
        base_html = _generated(67)
        edited_html = [h.replace("Report", "Revised report", 1) for h in base_html]
        churned = [
            [h.replace("<main>", f'<div class="stamp">Updated {n} minutes ago</main>') for h in base_html]
            for n in (1, 2)
        ]
    base = [base_html[i % len(base_html)].encode() for i in range(count)]
    changed = [
        (edited_html[i % len(edited_html)] if i % 10 == 0 else base_html[i % len(base_html)]).encode()
        for i in range(count)
    ]
    furnished = [[pages[i % len(pages)].encode() for i in range(count)] for pages in churned]
    return [base, base, changed, *furnished]


def _serve(rounds: list[list[bytes]], port: int, ready: mp.synchronize.Event, etags: bool) -> None:
    state = {"round": 0}
    tags = [[hashlib.sha1(b).hexdigest()[:16] for b in pages] for pages in rounds]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/round/"):
                state["round"] = int(self.path.rsplit("/", 1)[1])
                body, status, tag = b"ok", 200, None
            elif self.path == "/robots.txt":
                body, status, tag = b"User-agent: *\nAllow: /\n", 200, None
            elif self.path.startswith("/a/"):
                i = int(self.path[3:])
                which = state["round"]
                body, status, tag = rounds[which][i], 200, tags[which][i]
            else:
                body, status, tag = b"not found", 404, None
            if etags and tag and self.headers.get("If-None-Match") == f'"{tag}"':
                self.send_response(304)
                self.send_header("ETag", f'"{tag}"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if etags and tag:
                self.send_header("ETag", f'"{tag}"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    servers = []
    for host in HOSTS:
        server = LoopbackServer((host, port), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.set()
    threading.Event().wait()


class BenchSite:
    """Start with ``with BenchSite(n) as site:``; ``site.urls`` lists the articles."""

    def __init__(self, count: int, port: int = 18431, etags: bool = True):
        self.count = count
        self.port = port
        self.etags = etags
        self.urls = [f"http://{HOSTS[i % len(HOSTS)]}:{port}/a/{i}" for i in range(count)]

    def set_round(self, n: int) -> None:
        import urllib.request

        for host in HOSTS:
            urllib.request.urlopen(f"http://{host}:{self.port}/round/{n}").read()

    def __enter__(self) -> BenchSite:
        rounds = build_pages(self.count)
        ready = mp.get_context("fork").Event()
        self.proc = mp.get_context("fork").Process(
            target=_serve, args=(rounds, self.port, ready, self.etags), daemon=True
        )
        self.proc.start()
        if not ready.wait(30):
            raise RuntimeError("benchmark site did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.join(5)
