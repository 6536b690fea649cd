"""The demo newsroom: a small news site on 127.0.0.1 that revises its stories.

It serves a front page, an RSS feed, a Google News sitemap and one page per
story, with the furniture real sites have (a navigation counter, a "most read"
rail that reorders, an inline script) so the demo also shows what redline
ignores. Pages carry ETags and answer conditional GETs with 304.

The site remembers, for every page, the last revision step at which it was
fetched: the revision script waits until redline has seen a step before it
plays the next one, so the demo is the same on a fast or a slow machine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import threading
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from review.demo.stories import Story, newsroom_stories

SITE_NAME = "The Harbour Courier"


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Newsroom:
    """The site's state: its stories, the revision step, and who fetched what when."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.stories = {s.slug: s for s in newsroom_stories()}
        self.published: dict[str, dt.datetime] = {}
        self.modified: dict[str, dt.datetime] = {}
        self.start_clock()
        self.step = 0
        self.required: dict[str, int] = {}  # path -> step at which redline must (again) fetch it
        self.pulled: set[str] = set()
        self.seen: dict[str, int] = {}  # path -> last step at which it was fetched
        self.hits = 0
        self.lock = threading.RLock()
        self._server = _Server((host, port), _Handler)
        self._server.newsroom = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="newsroom")

    def start_clock(self) -> None:
        """Date the first edition from now: call it just before the watcher starts.

        With a compressed clock every real second counts: stories dated while the
        demo was still setting up would already look hours old to the daemon.
        """
        self.started = dt.datetime.now(dt.UTC).replace(microsecond=0)
        for story in self.stories.values():
            if story.live:
                self.published[story.slug] = self.started - dt.timedelta(seconds=story.published_ago)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> Newsroom:
        self._thread.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- editing (used by the revision script) ---------------------------------------------
    def story(self, slug: str) -> Story:
        return self.stories[slug]

    def publish(self, slug: str) -> None:
        with self.lock:
            self.stories[slug].live = True
            self.published[slug] = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def touch(self, slug: str) -> None:
        """Move the story's visible 'updated' stamp (dateModified): the outlet signals the edit."""
        with self.lock:
            self.modified[slug] = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def next_step(self) -> None:
        """Start the next step: every published story must be fetched again before the one after.

        A pulled story (404) must be seen once, at the step that pulled it; a
        crawler rightly stops asking for it after that.
        """
        with self.lock:
            self.step += 1
            for story in self.stories.values():
                if story.slug not in self.published or story.path in self.pulled:
                    continue
                self.required[story.path] = self.step
                if story.status != 200:
                    self.pulled.add(story.path)

    def unseen(self) -> list[str]:
        """Published stories redline has not fetched since the current step began."""
        with self.lock:
            return sorted(p for p, step in self.required.items() if self.seen.get(p, -1) < step)

    # -- rendering -------------------------------------------------------------------------
    def live_stories(self) -> list[Story]:
        stories = [s for s in self.stories.values() if s.live and s.status == 200]
        return sorted(stories, key=lambda s: self.published[s.slug], reverse=True)

    def render(self, path: str) -> tuple[int, str, str]:
        """(status, content type, body) for a path."""
        with self.lock:
            if path in ("/", "/index.html"):
                return 200, "text/html; charset=utf-8", self._front()
            if path == "/rss.xml":
                return 200, "application/rss+xml; charset=utf-8", self._rss()
            if path == "/sitemap-news.xml":
                return 200, "application/xml; charset=utf-8", self._sitemap()
            if path == "/robots.txt":
                return 200, "text/plain", f"User-agent: *\nDisallow: /search\nSitemap: {self.base}/sitemap-news.xml\n"
            for story in self.stories.values():
                if story.path == path and story.slug in self.published:
                    if story.status != 200:
                        return story.status, "text/html; charset=utf-8", _not_found()
                    return 200, "text/html; charset=utf-8", self._article(story)
            return 404, "text/html; charset=utf-8", _not_found()

    def _furniture(self) -> tuple[int, list[Story]]:
        # Changes with every revision step, as a real site's rails do with every deploy.
        live = self.live_stories()
        shift = self.step % max(1, len(live))
        return 3 + 2 * self.step, live[shift:] + live[:shift]

    def _article(self, story: Story) -> str:
        esc = html.escape
        published = self.published[story.slug]
        modified = self.modified.get(story.slug, published)
        counter, rail = self._furniture()
        most_read = "\n".join(f'<li><a href="{s.path}">{esc(s.headline)}</a></li>' for s in rail[:5])
        body = "\n".join(f"<p>{esc(p)}</p>" for p in story.paragraphs)
        notes = "\n".join(f'<p class="correction"><em>{esc(n)}</em></p>' for n in story.notes)
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.headline,
            "datePublished": iso(published),
            "dateModified": iso(modified),
            "author": {"@type": "Person", "name": story.byline},
            "publisher": {"@type": "Organization", "name": SITE_NAME},
        }
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(story.headline)} | {SITE_NAME}</title>
<link rel="canonical" href="{self.base}{story.path}">
<meta property="og:title" content="{esc(story.headline)}">
<meta property="og:url" content="{self.base}{story.path}">
<meta property="og:site_name" content="{SITE_NAME}">
<meta name="twitter:title" content="{esc(story.headline)}">
<meta name="author" content="{esc(story.byline)}">
<meta property="article:published_time" content="{iso(published)}">
<meta property="article:modified_time" content="{iso(modified)}">
<script type="application/ld+json">{json.dumps(ld)}</script>
<script>window.__courier = {{"build": "{counter * 7919:x}"}};</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/local">Local</a>
<a href="/account">Saved stories ({counter})</a></nav></header>
<main><article>
<h1>{esc(story.headline)}</h1>
<p class="byline">By {esc(story.byline)}</p>
<p class="dateline"><time datetime="{iso(published)}">{published:%d %B %Y, %H:%M} GMT</time></p>
{body}
{notes}
</article>
<aside><h2>Most read</h2><ol>{most_read}</ol></aside></main>
<footer><p>&copy; 2026 {SITE_NAME}. Written for the redline demo.</p></footer>
</body></html>
"""

    def _front(self) -> str:
        esc = html.escape
        items = "\n".join(
            f'<li class="story"><a href="{s.path}"><h2>{esc(s.headline)}</h2></a></li>' for s in self.live_stories()
        )
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{SITE_NAME}</title>
<link rel="alternate" type="application/rss+xml" href="/rss.xml"></head>
<body><header><h1>{SITE_NAME}</h1><nav><a href="/account">Sign in</a> <a href="/search">Search</a></nav></header>
<main><ul class="stories">{items}</ul></main></body></html>
"""

    def _rss(self) -> str:
        esc = html.escape
        items = "\n".join(
            f"<item><title>{esc(s.headline)}</title><link>{self.base}{s.path}</link>"
            f"<guid>{self.base}{s.path}</guid><pubDate>{format_datetime(self.published[s.slug])}</pubDate></item>"
            for s in self.live_stories()
        )
        return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{SITE_NAME}</title><link>{self.base}/</link>
<description>Latest stories</description>
{items}
</channel></rss>
"""

    def _sitemap(self) -> str:
        esc = html.escape
        urls = "\n".join(
            f"<url><loc>{self.base}{s.path}</loc><news:news><news:publication><news:name>{SITE_NAME}</news:name>"
            f"<news:language>en</news:language></news:publication>"
            f"<news:publication_date>{iso(self.published[s.slug])}</news:publication_date>"
            f"<news:title>{esc(s.headline)}</news:title></news:news></url>"
            for s in self.live_stories()
        )
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{urls}
</urlset>
"""


def _not_found() -> str:
    return (
        f"<!doctype html><html><head><title>Page not found | {SITE_NAME}</title></head>"
        "<body><h1>Page not found</h1></body></html>"
    )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        room = self.server.newsroom
        path = self.path.split("?", 1)[0]
        status, ctype, text = room.render(path)
        with room.lock:
            room.hits += 1
            room.seen[path] = room.step
        body = text.encode("utf-8")
        tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if status == 200 and self.headers.get("If-None-Match") == tag:
            self.send_response(304)
            self.send_header("ETag", tag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if status == 200:
            self.send_header("ETag", tag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # socketserver's 5 drops a crawler's simultaneous connections (1 s SYN retries)
    newsroom: Newsroom
