"""The real captures of ../shared/realrevisions, replayed on loopback.

    replay = load()                          # None when ../shared is absent
    with ReplaySite(replay) as site:
        for step in range(replay.steps):
            site.show(step)                  # the pages as capture ``step`` saw them
            crawl(db_url, site.urls_at(step))  # the real `redline crawl --all`

The bundle is one outlet's site captured 18 times (its README). Only pages
whose ``<link rel="canonical">`` is the same in every version and names a dated
article URL are used (two files naming one canonical are one article saved
under two slugs: the one with more versions is kept); each is served at its
canonical path on one loopback address, so the outlet is one host, as it is
for a real crawl.

The truth of what the article says comes from this outlet's own markup
(``truth()``): a selector for its headline and its article body, kept here in
bench/, never in pipeline/ (the pipeline must work on sites it never saw).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import lxml.html

from tests.localsite import LoopbackServer

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT.parent / "shared" / "realrevisions" / "foxnews.bundle"
HOST = "127.0.0.2"
CANONICAL = re.compile(rb'<link[^>]*rel="canonical"[^>]*href="([^"]+)"|<link[^>]*href="([^"]+)"[^>]*rel="canonical"')
DATED = re.compile(r"/\d{4}/\d\d/\d\d/")


@dataclass
class Article:
    path: str  # the URL path it is served at (its canonical's)
    file: str  # the file name in the bundle
    versions: list[tuple[int, bytes]]  # (capture step it first appeared at, bytes), oldest first

    def at(self, step: int) -> bytes | None:
        """The bytes capture ``step`` saw (the latest version at or before it)."""
        found = None
        for first, body in self.versions:
            if first > step:
                break
            found = body
        return found


@dataclass
class Replay:
    captured_at: list[str]  # ISO time of each capture step
    articles: list[Article] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return len(self.captured_at)

    def subset(self, articles: int) -> Replay:
        """The ``articles`` articles with the most versions (a bounded replay for tests)."""
        chosen = sorted(self.articles, key=lambda a: (-len(a.versions), a.path))[:articles]
        keep = {a.path for a in chosen}
        return Replay(self.captured_at, [a for a in self.articles if a.path in keep])


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout


def load(bundle: Path = BUNDLE) -> Replay | None:
    """Every usable article and its versions, in capture order; None without the bundle."""
    if not bundle.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "captures"
        subprocess.run(["git", "clone", "-q", "--bare", str(bundle), str(repo)], check=True)
        commits = _git(repo, "log", "--reverse", "--format=%H %aI").decode().split("\n")
        commits = [c for c in commits if c]
        blobs: dict[str, list[tuple[int, str]]] = {}
        for step, line in enumerate(commits):
            sha = line.split()[0]
            for entry in _git(repo, "ls-tree", "-r", sha).decode().splitlines():
                meta, name = entry.split("\t", 1)
                blob = meta.split()[2]
                seen = blobs.setdefault(name, [])
                if not seen or seen[-1][1] != blob:
                    seen.append((step, blob))
        wanted = sorted({b for v in blobs.values() for _, b in v})
        contents = _cat_blobs(repo, wanted)
    by_path: dict[str, list[Article]] = {}
    for name, versions in blobs.items():
        canon = {_canonical(contents[b]) for _, b in versions}
        if len(canon) != 1 or None in canon:
            continue
        url = canon.pop() or ""
        if not DATED.search(url):
            continue
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1]
        article = Article(path, name, [(step, contents[b]) for step, b in versions])
        by_path.setdefault(path, []).append(article)
    # Two files with one canonical are one article fetched under two slugs: keep the longer history.
    articles = [max(found, key=lambda a: (len(a.versions), -a.versions[0][0])) for _, found in sorted(by_path.items())]
    return Replay([c.split()[1] for c in commits], articles)


def _cat_blobs(repo: Path, shas: list[str]) -> dict[str, bytes]:
    proc = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        input="".join(s + "\n" for s in shas).encode(),
        capture_output=True,
        check=True,
    )
    out, pos, found = proc.stdout, 0, {}
    for sha in shas:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        found[sha] = out[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return found


def _canonical(html: bytes) -> str | None:
    m = CANONICAL.search(html)
    return None if m is None else (m.group(1) or m.group(2)).decode("utf-8", "replace")


# -- the truth: this outlet's own markup, read by hand -------------------------------------

# Inside the article body: ads, images and their captions, embedded posts and videos,
# the author's bio, pull quotes (a repeat of the text) and "more on this" boxes are not the article.
_NOT_ARTICLE = re.compile(
    r"\b(ad|ad-container|featured|image-ct|video-ct|slideshow-ct|embed-media|author-bio|pull-quote|"
    r"more-on-this|livefyre|info|related)\b"
)


@dataclass(frozen=True)
class Truth:
    headline: str
    paragraphs: tuple[str, ...]
    byline: frozenset[str] = frozenset()

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _is_promo_link(p: Any) -> bool:
    """The outlet's inline "RELATED STORY IN CAPITALS" links, a paragraph that is one link."""
    text = _clean(p.text_content())
    links = _clean(" ".join(a.text_content() for a in p.iter("a")))
    return bool(text) and text == links and text == text.upper()


@lru_cache(maxsize=4096)
def truth(html: bytes) -> Truth:
    """The headline and the paragraphs a reader of this outlet calls the article."""
    doc = lxml.html.fromstring(html)
    h1 = doc.cssselect("h1.headline") or doc.cssselect("h1")  # the business site's template: a bare h1
    headline = _clean(h1[0].text_content()) if h1 else ""
    paragraphs: list[str] = []
    bodies = doc.cssselect("div.article-body")
    for el in bodies[0].iter("p", "h2", "h3", "li") if bodies else ():
        if any(_NOT_ARTICLE.search(a.get("class") or "") for a in el.iterancestors()):
            continue
        if el.tag == "p" and _is_promo_link(el):
            continue
        if el.tag == "li" and any(a.tag == "li" for a in el.iterancestors()):
            continue
        text = _clean(el.text_content())
        if text:
            paragraphs.append(text)
    people = doc.cssselect("div.author-byline a")
    byline = frozenset(_clean(a.text_content()) for a in people if "/person/" in (a.get("href") or ""))
    return Truth(headline, tuple(paragraphs), byline)


# -- serving ------------------------------------------------------------------------------


class ReplaySite:
    """The outlet on one loopback address, showing one capture step at a time.

    ``etags``: "all" answers conditional GETs with 304 (a CDN), "none" never
    sends an ETag (every recheck is a 200), "half" does it for every other article.
    """

    def __init__(self, replay: Replay, host: str = HOST, port: int = 0, etags: str = "none"):
        self.replay = replay
        self.step = -1
        self.pages: dict[str, bytes] = {}
        self.lock = threading.Lock()
        tagged = {a.path for i, a in enumerate(sorted(replay.articles, key=lambda a: a.path)) if _tagged(etags, i)}
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with site.lock:
                    body = site.pages.get(self.path)
                if self.path == "/robots.txt":
                    self._send(200, b"User-agent: *\nAllow: /\n", None)
                elif body is None:
                    self._send(404, b"<html><body><h1>Not found</h1></body></html>", None)
                else:
                    tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"' if self.path in tagged else None
                    if tag and self.headers.get("If-None-Match") == tag:
                        self._send(304, b"", tag)
                    else:
                        self._send(200, body, tag)

            def _send(self, status: int, body: bytes, tag: str | None) -> None:
                self.send_response(status)
                if status != 304:
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                if tag:
                    self.send_header("ETag", tag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = LoopbackServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def show(self, step: int) -> None:
        """Serve the pages as capture ``step`` saw them."""
        self.serve({a.path: body for a in self.replay.articles if (body := a.at(step)) is not None})
        self.step = step

    def serve(self, pages: dict[str, bytes]) -> None:
        """Serve exactly these pages (URL path -> bytes); any other path is a 404."""
        with self.lock:
            self.pages = dict(pages)

    def urls_at(self, step: int) -> list[str]:
        """The articles that exist at capture ``step``."""
        return [self.base + a.path for a in self.replay.articles if a.versions[0][0] <= step]

    def __enter__(self) -> ReplaySite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _tagged(etags: str, index: int) -> bool:
    return etags == "all" or (etags == "half" and index % 2 == 0)


# -- the real CLI path ----------------------------------------------------------------------

CRAWL_SETTINGS = ("AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "DOWNLOAD_DELAY=0")


IN_PROCESS = {"track", "changes"}  # database only: the same click command, without a second of imports


def redline(db_url: str, *args: str) -> str:
    """The `redline` command, as a user runs it (a crawl in its own process); its stdout."""
    if args[0] in IN_PROCESS:
        from click.testing import CliRunner

        from review.cli import cli

        os.environ.setdefault("REDLINE_ALLOW_PRIVATE", "1")  # the replay site is on loopback
        result = CliRunner().invoke(cli, ["--db", db_url, *args])
        if result.exit_code:
            raise RuntimeError(f"redline {args[0]} failed: {result.output[-2000:]}") from result.exception
        return result.stdout
    env = {**os.environ, "REDLINE_DB": db_url, "REDLINE_ALLOW_PRIVATE": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "review.cli", *args], capture_output=True, text=True, env=env, cwd=ROOT
    )
    if proc.returncode:
        raise RuntimeError(f"redline {' '.join(args[:2])} failed: {proc.stderr[-2000:]}")
    return proc.stdout


def crawl_step(db_url: str, new_urls: Iterable[str]) -> str:
    """Track the articles that appeared, then `redline crawl --all`; the crawl's summary line."""
    new = list(new_urls)
    if new:
        redline(db_url, "track", *new)
    sets = [x for s in CRAWL_SETTINGS for x in ("-s", s)]
    return redline(db_url, "crawl", "--all", "--no-progress", *sets).strip()


def all_changes(db_url: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(redline(db_url, "changes", "--format", "json", "--min-severity", "info"))
    return out
