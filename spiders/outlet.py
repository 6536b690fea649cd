"""Find what an outlet publishes from its home page alone (`redline sources add https://outlet/`).

:class:`OutletSpider` reads the home page, its ``/robots.txt`` and the usual
news-sitemap paths, then every feed the home page links
(``<link rel="alternate" type="application/rss+xml|atom+xml">``), every
``Sitemap:`` line of robots.txt and the first children of a sitemap index. Each
answer is a :class:`Probe`; :func:`candidates` turns them into what each would
list as a source and :func:`choose` picks one: a Google News sitemap (recent
articles with headlines and dates), else a feed, else the front page itself,
else a plain sitemap. Every fetch goes through the crawl's middlewares (the
safety check on every hop, robots.txt). The choice is pure and tested on its own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from pipeline.items import Link
from spiders.article import describe_failure, render_meta
from spiders.source_kinds import SOURCE_KINDS

logger = logging.getLogger(__name__)

# Where news sites put their sitemaps when robots.txt does not say.
USUAL_SITEMAPS = ("/news-sitemap.xml", "/sitemap-news.xml", "/sitemap_news.xml", "/sitemap.xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
GOOGLE_NEWS = b"google.com/schemas/sitemap-news"
MAX_CHILDREN = 3  # children of a sitemap index read to count its articles
_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Probe:
    """One fetch made while looking: what was asked for, where it was found, what came back."""

    url: str
    role: str  # home | robots | feed | sitemap | child
    found: str  # where this URL came from, for the report
    status: int | None = None
    body: bytes = b""
    error: str | None = None
    parent: str | None = None  # the sitemap index a child belongs to


@dataclass
class Candidate:
    url: str
    kind: str  # feed | sitemap | front
    found: str
    articles: int = 0
    news: bool = False
    problem: str | None = None
    links: list[Link] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.kind == "sitemap":
            return "Google News sitemap" if self.news else "sitemap"
        return {"feed": "feed", "front": "front page"}[self.kind]


def feed_links(html: bytes, base: str) -> list[str]:
    """The feeds a page declares in its head."""
    try:
        tree = lxml.html.document_fromstring(html.decode("utf-8", "replace"))
    except (lxml.etree.ParserError, ValueError):
        return []
    found = []
    for link in tree.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        if "alternate" in rels and (link.get("type") or "").lower().strip() in FEED_TYPES and link.get("href"):
            found.append(urljoin(base, link.get("href").strip()))
    return list(dict.fromkeys(found))


def robots_sitemaps(text: str, base: str) -> list[str]:
    return list(dict.fromkeys(urljoin(base, m.group(1)) for m in _SITEMAP_LINE.finditer(text)))


def _links(kind: str, body: bytes, url: str) -> tuple[list[Link], list[str]]:
    """(articles, child documents) a source of ``kind`` at ``url`` lists."""
    listing = SOURCE_KINDS[kind].parse(body, url, (), ())
    return listing.links, listing.children


def candidates(probes: Iterable[Probe]) -> list[Candidate]:
    """What each fetched document would list, as a source; documents that failed say why."""
    probes = list(probes)
    children: dict[str, list[Probe]] = {}
    for p in probes:
        if p.role == "child" and p.parent:
            children.setdefault(p.parent, []).append(p)
    out = []
    for p in probes:
        if p.role in ("robots", "child"):
            continue
        kind = {"home": "front", "feed": "feed", "sitemap": "sitemap"}[p.role]
        c = Candidate(p.url, kind, p.found)
        if p.error or p.status != 200:
            c.problem = p.error or f"HTTP {p.status}"
            out.append(c)
            continue
        links: list[Link] = []
        try:
            links, kids = _links(kind, p.body, p.url)
            c.news = GOOGLE_NEWS in p.body[:4096]
            for child in children.get(p.url, []):
                if child.status == 200 and not child.error:
                    links += _links("sitemap", child.body, child.url)[0]
                    c.news = c.news or GOOGLE_NEWS in child.body[:4096]
            if kids and not children.get(p.url):
                c.problem = f"a sitemap index of {len(kids)} sitemap(s), none readable"
        except (ValueError, lxml.etree.LxmlError, OSError, EOFError) as exc:
            c.problem = f"unreadable {kind}: {exc}"
        c.links = list({link.url: link for link in links}.values())
        c.articles = len(c.links)
        if not c.articles and not c.problem:
            c.problem = "lists no articles"
        out.append(c)
    return out


def choose(found: list[Candidate]) -> tuple[Candidate | None, str]:
    """The best source among the candidates, and why, in one sentence."""
    usable = [c for c in found if c.articles and not c.problem]

    def best(cs: list[Candidate]) -> Candidate:
        return max(cs, key=lambda c: c.articles)

    if news := [c for c in usable if c.kind == "sitemap" and c.news]:
        c = best(news)
        return c, f"a Google News sitemap lists {c.articles} recent article(s) with their headlines and dates"
    if feeds := [c for c in usable if c.kind == "feed"]:
        c = best(feeds)
        return c, f"no Google News sitemap; the feed lists {c.articles} article(s) with their headlines and dates"
    if fronts := [c for c in usable if c.kind == "front"]:
        c = best(fronts)
        return c, f"no news sitemap or feed; the front page links {c.articles} article(s)"
    if maps := [c for c in usable if c.kind == "sitemap"]:
        c = best(maps)
        return c, f"only a plain sitemap, of {c.articles} URL(s)"
    return None, "found no feed, sitemap or front page that lists articles"


class OutletSearch:
    """The fetches of one outlet search, for any spider: requests out, probes in, done when none is pending.

    Requests are deduplicated here (not by Scrapy's filter, whose dropped
    requests would never call back and leave the search pending for ever)."""

    def __init__(self, url: str, render: str | None = None, meta: dict[str, Any] | None = None):
        self.url = url
        self.render = render
        self.meta = dict(meta or {})
        self.probes: list[Probe] = []
        self.pending = 0
        self.seen: set[str] = set()

    @property
    def done(self) -> bool:
        return self.pending == 0

    def _request(self, url: str, role: str, found: str, parent: str | None = None, **meta: Any) -> list[scrapy.Request]:
        if url in self.seen:
            return []
        self.seen.add(url)
        self.pending += 1
        meta = {**self.meta, "search": self, "asked": url, "role": role, "found": found, "parent": parent, **meta}
        meta["handle_httpstatus_all"] = True  # a 404 at a usual path is an answer, not a failure
        return [scrapy.Request(url, meta=meta, dont_filter=True)]

    def start(self) -> list[scrapy.Request]:
        parts = urlsplit(self.url)
        root = f"{parts.scheme}://{parts.netloc}"
        requests = self._request(self.url, "home", "the address given", **render_meta(self.render))
        requests += self._request(root + "/robots.txt", "robots", "robots.txt")
        for path in USUAL_SITEMAPS:
            requests += self._request(root + path, "sitemap", f"the usual path {path}")
        return requests

    def answered(self, response: Response) -> list[scrapy.Request]:
        """Record one answer; the further requests it points to."""
        self.pending -= 1
        meta = response.meta
        role = meta["role"]
        url = response.url if role == "home" else meta["asked"]
        self.probes.append(Probe(url, role, meta["found"], response.status, response.body, parent=meta.get("parent")))
        requests: list[scrapy.Request] = []
        if response.status != 200:
            return requests
        if role == "home":
            for feed in feed_links(response.body, response.url):
                requests += self._request(feed, "feed", "a <link rel=alternate> on the home page")
        elif role == "robots":
            text = response.body.decode("utf-8", "replace")
            for sitemap in robots_sitemaps(text, response.url):
                requests += self._request(sitemap, "sitemap", "a Sitemap: line of robots.txt")
        elif role == "sitemap":
            try:
                _, kids = _links("sitemap", response.body, response.url)
            except (ValueError, lxml.etree.LxmlError, OSError, EOFError):
                kids = []
            for child in kids[:MAX_CHILDREN]:
                requests += self._request(child, "child", "", parent=meta["asked"])
        return requests

    def failed(self, failure: Failure) -> None:
        self.pending -= 1
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        error = describe_failure(failure)
        self.probes.append(Probe(request.url, meta["role"], meta["found"], error=error, parent=meta.get("parent")))


class OutletSpider(scrapy.Spider):
    """Search one outlet; yields its probes once the search is done (`sources add` without --kind)."""

    name = "outlet"
    custom_settings = {"ITEM_PIPELINES": {}, "RETRY_TIMES": 1}

    def __init__(self, url: str = "", render: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.search = OutletSearch(url, render)

    def _out(self, requests: list[scrapy.Request]) -> Any:
        for request in requests:
            yield request.replace(callback=self.parse, errback=self.failed)
        if self.search.done:
            yield {"probes": self.search.probes}

    async def start(self) -> AsyncIterator[Any]:
        for request in self._out(self.search.start()):
            yield request

    def parse(self, response: Response, **kwargs: Any) -> Any:
        yield from self._out(self.search.answered(response))

    def failed(self, failure: Failure) -> Any:
        self.search.failed(failure)
        yield from self._out([])
