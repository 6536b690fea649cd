"""The kinds of source redline reads to find articles: a registry of parsers keyed by kind.

Each kind is one function decorated with :func:`source_kind`: it takes the
body a source answered and returns a :class:`Listing` (the articles it lists,
and child documents to read too, like a sitemap index's sitemaps). Its
docstring's first line is the kind's help in `redline sources add --help`, and
the registry is what `--kind`, redline.toml's ``kind`` and the docs accept.
The parsers are pure (bytes in, links out) and tested on small documents.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from pipeline.items import Link


@dataclass(frozen=True)
class Listing:
    """What one source document lists: article links, and documents to read next."""

    links: list[Link]
    children: list[str] = field(default_factory=list)


Parser = Callable[[bytes, str, Sequence[str], Sequence[str]], Listing]


@dataclass(frozen=True)
class SourceKind:
    name: str
    parse: Parser  # (body, URL it came from, allow patterns, deny patterns) -> Listing
    help: str


SOURCE_KINDS: dict[str, SourceKind] = {}


def source_kind(name: str) -> Callable[[Parser], Parser]:
    """Register ``fn`` as the parser of sources of kind ``name``; its docstring is the help."""

    def register(fn: Parser) -> Parser:
        SOURCE_KINDS[name] = SourceKind(name, fn, (fn.__doc__ or name).strip().splitlines()[0])
        return fn

    return register


def kinds_help() -> str:
    """One line per kind, for --help."""
    return "; ".join(f"{k.name}: {k.help[0].lower()}{k.help[1:].rstrip('.')}" for k in SOURCE_KINDS.values())


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


@source_kind("feed")
def read_feed(body: bytes, url: str, allow: Sequence[str], deny: Sequence[str]) -> Listing:
    """An RSS 2.0, RSS 1.0 (RDF) or Atom feed."""
    return Listing(parse_feed(body, url))


@source_kind("sitemap")
def read_sitemap(body: bytes, url: str, allow: Sequence[str], deny: Sequence[str]) -> Listing:
    """An XML sitemap or sitemap index (Google News titles and dates are read)."""
    links, children = parse_sitemap(body, url)
    return Listing(links, children)


@source_kind("front")
def read_front(body: bytes, url: str, allow: Sequence[str], deny: Sequence[str]) -> Listing:
    """A front or section page: its same-site links that look like articles."""
    return Listing(parse_front(body, url, allow, deny))
