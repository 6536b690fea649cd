"""Discovery: read a source (RSS/Atom feed, sitemap, front page) and list its articles.

The parsers are pure (bytes in, :class:`~spiders.items.Link` list out) and
tested on small documents; :class:`DiscoverySpider` fetches the sources and
yields one :class:`~spiders.items.DiscoveredLinks` per source run, failures
included, for :class:`pipeline.pipelines.DiscoveryPipeline` to store.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import logging
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from spiders.article import describe_failure
from spiders.items import DiscoveredLinks, Link
from storage.db import open_database, session_scope
from storage.models import Source

logger = logging.getLogger(__name__)

MAX_SITEMAP_DEPTH = 2


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _text(node: Any) -> str | None:
    value = " ".join("".join(node.itertext()).split()) if node is not None else ""
    return value or None


def parse_date(value: str | None) -> dt.datetime | None:
    """RFC 822 (RSS) or ISO 8601 (Atom, sitemaps), as naive UTC."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _xml(body: bytes) -> Any:
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = lxml.etree.fromstring(body.lstrip(), parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise ValueError(f"not an XML document: {exc}") from None
    if root is None:
        raise ValueError("not an XML document")
    return root


def parse_feed(body: bytes, base_url: str) -> list[Link]:
    """RSS 2.0, RSS 1.0 (RDF) and Atom entries."""
    root = _xml(body)
    links = []
    for node in root.iter():
        name = _local(node.tag)
        if name not in ("item", "entry"):
            continue
        children = {_local(c.tag): c for c in node}
        href = None
        if name == "entry":
            for child in node:
                if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate" and child.get("href"):
                    href = child.get("href")
                    break
        else:
            href = _text(children.get("link")) or node.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
            guid = children.get("guid")
            if not href and guid is not None and guid.get("isPermaLink", "true") != "false":
                href = _text(guid)
        if not href:
            continue
        date = next((_text(children[k]) for k in ("pubdate", "published", "updated", "date") if k in children), None)
        links.append(Link(urljoin(base_url, href.strip()), _text(children.get("title")), parse_date(date)))
    return links


def parse_sitemap(body: bytes, base_url: str) -> tuple[list[Link], list[str]]:
    """(articles of a urlset — Google News title and date when present, child sitemaps of an index)."""
    root = _xml(body)
    links: list[Link] = []
    children: list[str] = []
    for node in root:
        name = _local(node.tag)
        loc = next((_text(c) for c in node if _local(c.tag) == "loc"), None)
        if not loc:
            continue
        if name == "sitemap":
            children.append(urljoin(base_url, loc))
        elif name == "url":
            title = date = None
            for news in node.iter():
                if _local(news.tag) == "title":
                    title = _text(news)
                elif _local(news.tag) == "publication_date":
                    date = _text(news)
            if date is None:
                date = next((_text(c) for c in node if _local(c.tag) == "lastmod"), None)
            links.append(Link(urljoin(base_url, loc), title, parse_date(date)))
    return links, children


# Paths that are sections, tags, people or tools, never articles.
NOT_ARTICLE = re.compile(
    r"/(tags?|topics?|authors?|people|section|category|categories|search|login|signin|register|subscribe|"
    r"account|newsletters?|about|contact|privacy|terms|cookies|help|video|live|podcasts?|page/\d+)(/|$)",
    re.IGNORECASE,
)
# A date in the path, a long numeric ID, a slug of three words or more, or a section and a hyphenated slug.
LOOKS_LIKE_ARTICLE = re.compile(
    r"/\d{4}/\d{1,2}/|\d{5,}|/[a-z0-9]+(?:-[a-z0-9]+){2,}(?:\.html?)?/?$|^/[^/]+/[a-z0-9]+(?:-[a-z0-9]+)+/?$",
    re.IGNORECASE,
)
FURNITURE = "//nav | //header | //footer | //aside | //*[@role='navigation'] | //*[@role='banner']"


def parse_front(html: bytes | str, base_url: str, allow: Sequence[str] = (), deny: Sequence[str] = ()) -> list[Link]:
    """Same-site links that look like articles, with their anchor text as the listed headline.

    The source's ``allow`` patterns replace the heuristics (a link must match
    one); ``deny`` patterns always exclude.
    """
    tree = lxml.html.document_fromstring(html if isinstance(html, str) else html.decode("utf-8", "replace"))
    for node in tree.xpath(FURNITURE):
        if node.getparent() is not None:
            node.getparent().remove(node)
    host = urlsplit(base_url).hostname
    allowed = [re.compile(p) for p in allow]
    denied = [re.compile(p) for p in deny]
    seen: dict[str, Link] = {}
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        if not href or href.startswith(("#", "mailto:", "javascript:")):
            continue
        url = urljoin(base_url, href.strip())
        parts = urlsplit(url)
        if parts.hostname != host or parts.path in ("", "/"):
            continue
        if any(p.search(url) for p in denied):
            continue
        if allowed:
            if not any(p.search(url) for p in allowed):
                continue
        elif NOT_ARTICLE.search(parts.path) or not LOOKS_LIKE_ARTICLE.search(parts.path):
            continue
        headline = _text(anchor)
        if url not in seen or (headline and len(headline) > len(seen[url].headline or "")):
            seen[url] = Link(url, headline if headline and len(headline.split()) >= 3 else None)
    return list(seen.values())


class DiscoverySpider(scrapy.Spider):
    """Fetch sources; one DiscoveredLinks item per source run."""

    name = "discovery"
    handle_httpstatus_list = [400, 401, 403, 404, 410, 429, 500, 502, 503, 504]

    def __init__(self, source_ids: Sequence[int] | str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(source_ids, str):
            source_ids = [int(x) for x in source_ids.split(",") if x]
        self.source_ids = list(source_ids or [])

    async def start(self) -> AsyncIterator[Any]:
        db = open_database(self.settings.get("REDLINE_DB"))
        with session_scope(db) as session:
            query = session.query(Source)
            if self.source_ids:
                query = query.filter(Source.id.in_(self.source_ids))
            sources = [(s.id, s.url, s.kind, list(s.allow or []), list(s.deny or [])) for s in query]
        for source_id, url, kind, allow, deny in sources:
            meta = {"source_id": source_id, "kind": kind, "allow": allow, "deny": deny, "depth": 0, "found": []}
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True, meta=meta)

    def parse(self, response: Response, **kwargs: Any) -> Any:
        meta = response.meta
        if response.status != 200:
            yield DiscoveredLinks(meta["source_id"], http_status=response.status, error=f"HTTP {response.status}")
            return
        try:
            if meta["kind"] == "feed":
                links = parse_feed(response.body, response.url)
                children: list[str] = []
            elif meta["kind"] == "sitemap":
                links, children = parse_sitemap(response.body, response.url)
            else:
                links, children = parse_front(response.body, response.url, meta["allow"], meta["deny"]), []
        except (ValueError, lxml.etree.LxmlError, OSError, EOFError) as exc:
            yield DiscoveredLinks(meta["source_id"], http_status=200, error=f"unreadable {meta['kind']}: {exc}")
            return
        if children and meta["depth"] < MAX_SITEMAP_DEPTH:
            # A sitemap index: read its children, newest first (news sitemaps list them so), and report once.
            pending = {"left": len(children[:50]), "links": list(links)}
            for child in children[:50]:
                child_meta = {**meta, "depth": meta["depth"] + 1, "pending": pending}
                yield scrapy.Request(child, callback=self.parse_child, errback=self.child_failed, meta=child_meta)
            return
        yield DiscoveredLinks(meta["source_id"], links=links, http_status=200)

    def parse_child(self, response: Response, **kwargs: Any) -> Any:
        pending = response.meta["pending"]
        try:
            links, _ = parse_sitemap(response.body, response.url) if response.status == 200 else ([], [])
        except (ValueError, lxml.etree.LxmlError, OSError, EOFError) as exc:
            logger.warning("unreadable child sitemap %s: %s", response.url, exc)
            links = []
        pending["links"].extend(links)
        yield from self._child_done(response.meta)

    def child_failed(self, failure: Failure) -> Any:
        logger.warning("child sitemap failed: %s", describe_failure(failure))
        yield from self._child_done(failure.request.meta)  # type: ignore[attr-defined]

    def _child_done(self, meta: dict[str, Any]) -> Any:
        pending = meta["pending"]
        pending["left"] -= 1
        if pending["left"] == 0:
            yield DiscoveredLinks(meta["source_id"], links=pending["links"], http_status=200)

    def failed(self, failure: Failure) -> Any:
        request = failure.request  # type: ignore[attr-defined]
        status = failure.value.response.status if isinstance(failure.value, HttpError) else None
        yield DiscoveredLinks(request.meta["source_id"], http_status=status, error=describe_failure(failure))
