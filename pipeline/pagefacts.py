"""What a page says about its article outside the body: headline surfaces,
byline, published and modified dates, canonical URL.

Read straight from the page's <meta> tags, JSON-LD and a few visible nodes,
because those are exactly the surfaces newsrooms rewrite. Pure: an lxml tree
in, :class:`PageFacts` out (pipeline/extract.py puts them beside the body;
pipeline/gate.py hashes exactly what is read here).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from lxml.etree import _Element

from pipeline.bylines import byline_names
from pipeline.normalise import normalise_line
from pipeline.sentences import comparable

_TITLE_SEPARATORS = re.compile(r"\s+[|–—:·•-]\s+|\s+::\s+")

_META_ATTRS = ("property", "name", "itemprop")
# (attribute, its value) -> the content of the first <meta> that declares it with a content.
Metas = dict[tuple[str, str], str]


def meta_index(tree: _Element) -> Metas:
    """Every <meta> of the page in one walk (a lookup per name would walk it a dozen times)."""
    metas: Metas = {}
    for node in tree.iter("meta"):
        content = node.get("content")
        if content is None:
            continue
        for attr in _META_ATTRS:
            value = node.get(attr)
            if value is not None:
                metas.setdefault((attr, value), content)
    return metas


def _meta(metas: Metas, *names: str) -> str | None:
    """The first of ``names`` the page declares with a non-empty content."""
    for name in names:
        for attr in _META_ATTRS:
            found = metas.get((attr, name), "").strip()
            if found:
                return found
    return None


def _json_ld(scripts: Iterable[str]) -> Iterator[dict[str, Any]]:
    for script in scripts:
        try:
            data = json.loads(str(script))
        except ValueError:
            continue
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.append(item["@graph"])
                yield item


def ld_article(tree: _Element) -> dict[str, Any]:
    return ld_article_of(str(s) for s in tree.xpath('//script[@type="application/ld+json"]/text()'))


def ld_article_of(scripts: Iterable[str]) -> dict[str, Any]:
    """The first article item of the page's JSON-LD scripts (their texts), or {}."""
    for item in _json_ld(scripts):
        kind = item.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(isinstance(k, str) and k.endswith(("Article", "BlogPosting", "Report")) for k in kinds):
            return item
    return {}


def _ld_str(ld: dict[str, Any], key: str) -> str | None:
    value = ld.get(key)
    return value if isinstance(value, str) else None


def _ld_author(ld: dict[str, Any]) -> str | None:
    author = ld.get("author")
    authors = author if isinstance(author, list) else [author]
    names = [a.get("name") if isinstance(a, dict) else a for a in authors]
    clean = [str(n).strip() for n in names if isinstance(n, str) and n.strip()]
    return ", ".join(clean) or None


BYLINE_MAX = 120  # characters: a longer "byline" node is a whole box (share bar, bio)
_BYLINE_NODES = (
    '//*[@rel="author"]',
    '//*[@itemprop="author"]',
    '//*[contains(concat(" ", normalize-space(@class), " "), " byline ")]',
    '//*[contains(@class, "byline") or contains(@class, "author-name")]',
)


# The <meta> names page_facts reads (pipeline/gatefacts.py hashes exactly these).
BYLINE_METAS = ("author", "article:author", "parsely-author", "sailthru.author")
SURFACE_METAS = ("og:title", "twitter:title")
PUBLISHED_METAS = ("article:published_time", "datePublished", "pubdate")
MODIFIED_METAS = ("article:modified_time", "og:updated_time", "dateModified")
DATE_METAS = PUBLISHED_METAS + MODIFIED_METAS


def _byline(tree: _Element, ld: dict[str, Any], metas: Metas) -> str | None:
    """The author line from the page's own declarations, most explicit first.

    Every source is read: a visible byline that names someone the ``<meta>``
    does not ("A" in the meta, "A and B" on the page) wins, so an edit to the
    visible line is never hidden by a meta tag nobody updated. Deliberately
    not trafilatura's author guess: it moves with unrelated markup, and a
    byline that flickers between fetches would be reported as an edit.
    """
    candidates: list[str] = []
    meta = _meta(metas, *BYLINE_METAS)
    if meta and not meta.startswith(("http://", "https://")):
        candidates.append(meta)
    if author := _ld_author(ld):
        candidates.append(author)
    if node := _byline_node(tree):
        candidates.append(node)
    cleaned = [c for c in (clean_byline(c) for c in candidates) if c]
    if not cleaned:
        return None
    people = [byline_names(c) or frozenset() for c in cleaned]
    everyone = frozenset().union(*people)
    # The most explicit source that names everyone any source names.
    return next((c for c, p in zip(cleaned, people, strict=True) if p >= everyone), cleaned[0])


def _byline_node(tree: _Element) -> str | None:
    for xpath in _BYLINE_NODES:
        for node in tree.xpath(xpath):
            if any(a.tag in ("aside", "nav") for a in node.iterancestors()):
                continue  # an author in a rail of other stories
            text = normalise_line(node.get("content") or node.text_content())
            if text and len(text) < BYLINE_MAX:
                return text
    return None


def clean_byline(text: str) -> str | None:
    return normalise_line(re.sub(r"^\s*by\s+", "", text, flags=re.IGNORECASE))


def strip_site_suffix(title: str, site_name: str | None = None) -> str:
    """'Storm closes bridge | Daily Bugle' → 'Storm closes bridge'."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    last = parts[-1].strip()
    if (site_name and last.lower() == site_name.lower()) or len(last.split()) <= 4:
        head = title[: len(title) - len(parts[-1])]
        return (
            _TITLE_SEPARATORS.split(head.rstrip())[0]
            if len(parts) > 2 and len(parts[-2].split()) <= 3
            else re.sub(r"[\s|–—:·•-]+$", "", head)
        )
    return title


def headline_surfaces(tree: _Element, ld: dict[str, Any], metas: Metas | None = None) -> dict[str, str]:
    """Every place the page states its headline, keyed by surface name."""
    metas = meta_index(tree) if metas is None else metas
    site_name = _meta(metas, "og:site_name")
    found: dict[str, str | None] = {}
    title_nodes = tree.xpath("//head/title")
    if title_nodes:
        found["title"] = strip_site_suffix(normalise_line(title_nodes[0].text_content()) or "", site_name)
    h1 = tree.xpath("//h1")
    if h1:
        found["h1"] = normalise_line(h1[0].text_content())
    found["og:title"] = normalise_line(_meta(metas, "og:title"))
    found["twitter:title"] = normalise_line(_meta(metas, "twitter:title"))
    headline = ld.get("headline")
    found["json-ld"] = normalise_line(headline) if isinstance(headline, str) else None
    return {k: v for k, v in found.items() if v}


def best_headline(surfaces: dict[str, str], fallback: str | None) -> str | None:
    """The h1 as readers see it, unless it shares no words with any other
    surface: then it is the site's logo, and the meta titles know better."""
    others = [v for k, v in surfaces.items() if k != "h1"]
    h1_words = set(re.findall(r"\w+", surfaces.get("h1", "").lower()))
    h1_is_logo = bool(others) and not any(h1_words & set(re.findall(r"\w+", o.lower())) for o in others)
    for key in ("h1", "og:title", "json-ld", "title", "twitter:title"):
        if key in surfaces and not (key == "h1" and h1_is_logo):
            return surfaces[key]
    return normalise_line(fallback)


def drop_leading_headline(text: str, headlines: set[str | None]) -> str:
    """trafilatura often repeats the headline as the body's first line; the
    headline is compared on its own, so the body must not carry it too, whatever
    quotes or spacing either copy is typeset with."""
    first, _, rest = text.partition("\n")
    return rest if comparable(first) in {comparable(h) for h in headlines if h} else text


@dataclass(frozen=True)
class PageFacts:
    """What extraction reads from the markup outside the article body."""

    surfaces: dict[str, str]
    byline: str | None
    published: str | None
    modified: str | None
    canonical: str | None


def page_facts(tree: _Element, ld: dict[str, Any] | None = None) -> PageFacts:
    ld = ld_article(tree) if ld is None else ld
    metas = meta_index(tree)
    canonical = tree.xpath('//link[@rel="canonical"]/@href') or [_meta(metas, "og:url")]
    return PageFacts(
        surfaces=headline_surfaces(tree, ld, metas),
        byline=_byline(tree, ld, metas),
        published=_meta(metas, *PUBLISHED_METAS) or _ld_str(ld, "datePublished"),
        modified=_meta(metas, *MODIFIED_METAS) or _ld_str(ld, "dateModified"),
        canonical=str(canonical[0]).strip() if canonical and canonical[0] else None,
    )
