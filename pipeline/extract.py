"""Article extraction: HTML in, an :class:`Extracted` article out.

trafilatura finds the body (no comments, no related-link blocks); the metadata
a newsroom edits on its own — headline surfaces, bylines, published and
modified dates, canonical URL — is read straight from the page's meta tags and
JSON-LD, because those are exactly the surfaces people rewrite.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import lxml.html
import trafilatura
from lxml.etree import ParserError, XPathError, _Element
from trafilatura.metadata import extract_metadata
from trafilatura.settings import set_date_params
from trafilatura.utils import decode_file

from pipeline.bylines import byline_names
from pipeline.normalise import normalise_line, normalise_text
from pipeline.sentences import comparable

logger = logging.getLogger(__name__)

EXTRACTOR = "trafilatura"
EXTRACTOR_VERSION = trafilatura.__version__

# Below this many characters an extraction is a teaser, a soft-404 or a
# JavaScript shell, never an article a version may replace another with.
MIN_TEXT_CHARS = 200

_TITLE_SEPARATORS = re.compile(r"\s+[|–—:·•-]\s+|\s+::\s+")


_XML_PROLOG = re.compile(r"^\s*<\?xml[^>]*\?>")
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def decode_html(body: bytes) -> str:
    """Bytes of a page as text: UTF-8 when it is, else what the page declares/guesses."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return str(decode_file(body))


@dataclass(frozen=True)
class SiteOverrides:
    """Per-site selectors (CSS, or XPath when they start with ``/`` or ``(``)."""

    body: str | None = None
    title: str | None = None
    byline: str | None = None
    remove: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> SiteOverrides | None:
        if not data:
            return None
        remove = data.get("remove") or ()
        if isinstance(remove, str):
            remove = (remove,)
        return cls(
            body=data.get("body"),
            title=data.get("title"),
            byline=data.get("byline"),
            remove=tuple(remove),
        )


@dataclass
class Extracted:
    title: str | None
    byline: str | None
    text: str
    published_at: str | None = None
    modified_at: str | None = None
    canonical_url: str | None = None
    headlines: dict[str, str] = field(default_factory=dict)
    extractor: str = EXTRACTOR
    extractor_version: str = EXTRACTOR_VERSION
    # (title, date) from trafilatura's metadata pass when the page declared no
    # headline or date and the pass ran; not part of the article (pipeline/gate.py).
    meta_fallback: tuple[str | None, str | None] | None = field(default=None, compare=False, repr=False)

    @property
    def is_empty(self) -> bool:
        return len(self.text) < MIN_TEXT_CHARS


def _select(tree: _Element, selector: str) -> list[Any]:
    try:
        if selector.startswith(("/", "(")):
            return list(tree.xpath(selector))
        return list(tree.cssselect(selector))
    except (XPathError, ValueError, SyntaxError) as exc:
        raise ValueError(f"bad selector {selector!r}: {exc}") from exc


def _text_of(nodes: list[Any]) -> str:
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(node)
            continue
        blocks = node.xpath(".//p|.//h2|.//h3|.//li|.//blockquote")
        if blocks:
            parts.extend(b.text_content() for b in blocks)
        else:
            parts.append(node.text_content())
    return "\n".join(parts)


# (reason, text) of each block extraction dropped, for `redline inspect` (pipeline/inspect.py).
Pruned = list[tuple[str, str]]

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


def _ld_article(tree: _Element) -> dict[str, Any]:
    return ld_article_of(str(s) for s in tree.xpath('//script[@type="application/ld+json"]/text()'))


def ld_article_of(scripts: Iterable[str]) -> dict[str, Any]:
    """The first article item of the page's JSON-LD scripts (their texts), or {}."""
    for item in _json_ld(scripts):
        kind = item.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(isinstance(k, str) and k.endswith(("Article", "BlogPosting", "Report")) for k in kinds):
            return item
    return {}


HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
INLINE_TAGS = frozenset({"span", "strong", "em", "b"})
LINK_BLOCK_TAGS = frozenset({"li", "h2", "h3", "h4", "h5", "h6", "div", "p", "figure"}) | INLINE_TAGS


def _holds_only(parent: _Element, child: _Element) -> bool:
    """Whether ``parent``'s text, stripped, is ``child``'s: everything else in
    it is whitespace. The same answer as comparing their text_content(), without
    reading a whole paragraph for every link in it."""
    if (parent.text or "").strip():
        return False
    for other in parent:
        if (other.tail or "").strip():
            return False
        # A comment's text is no part of its parent's text_content().
        if other is not child and isinstance(other.tag, str) and other.text_content().strip():
            return False
    return True


def _in_running_text(parent: _Element) -> bool:
    """Whether ``parent`` holds words of its own between its children (a
    sentence), not only whitespace between them (a row of links)."""
    return bool((parent.text or "").strip()) or any((child.tail or "").strip() for child in parent)


def prune_link_blocks(tree: _Element, pruned: Pruned | None = None) -> None:
    """Drop blocks made only of a link: navigation items, "most read" and
    related-story rails, tag lists. Their text changes with other articles, so
    they must never reach the body. A link inside prose keeps its sentence.
    The page's headline surfaces are read before this runs. ``pruned``, when
    given, receives (reason, text) of each dropped block (`redline inspect`)."""
    doomed: list[tuple[str, _Element]] = []
    for link in tree.iter("a"):
        text = link.text_content().strip()
        if not text:
            continue
        node = link
        parent = node.getparent()
        while parent is not None and parent.tag in LINK_BLOCK_TAGS and _holds_only(parent, node):
            node, parent = parent, parent.getparent()
        if node.tag in INLINE_TAGS and parent is not None and _in_running_text(parent):
            continue  # a link in bold or in a span, inside a sentence: the sentence keeps it
        if node is not link or parent is None or parent.tag in ("ul", "ol", "nav"):
            # A linked headline inside a list item is a story teaser: the whole item goes.
            teaser = (
                next(node.iterancestors("li"), None) if node.tag in HEADINGS or node.find(".//h3") is not None else None
            )
            doomed.append(("teaser list", teaser) if teaser is not None else ("link block", node))
    for reason, node in doomed:
        if node.getparent() is not None:
            if pruned is not None:
                pruned.append((reason, normalise_line(" ".join(node.itertext())) or ""))
            node.drop_tree()


def _ld_str(ld: dict[str, Any], key: str) -> str | None:
    value = ld.get(key)
    return value if isinstance(value, str) else None


def _ld_author(ld: dict[str, Any]) -> str | None:
    author = ld.get("author")
    authors = author if isinstance(author, list) else [author]
    names = [a.get("name") if isinstance(a, dict) else a for a in authors]
    clean = [str(n).strip() for n in names if isinstance(n, str) and n.strip()]
    return ", ".join(clean) or None


_BYLINE_NODES = (
    '//*[@rel="author"]',
    '//*[@itemprop="author"]',
    '//*[contains(concat(" ", normalize-space(@class), " "), " byline ")]',
    '//*[contains(@class, "byline") or contains(@class, "author-name")]',
)


# The <meta> names page_facts reads (pipeline/gate.py hashes exactly these).
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
    cleaned = [c for c in (_clean_byline(c) for c in candidates) if c]
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
            if text and len(text) < 120:
                return text
    return None


def _clean_byline(text: str) -> str | None:
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


def _best_headline(surfaces: dict[str, str], fallback: str | None) -> str | None:
    """The h1 as readers see it, unless it shares no words with any other
    surface: then it is the site's logo, and the meta titles know better."""
    others = [v for k, v in surfaces.items() if k != "h1"]
    h1_words = set(re.findall(r"\w+", surfaces.get("h1", "").lower()))
    h1_is_logo = bool(others) and not any(h1_words & set(re.findall(r"\w+", o.lower())) for o in others)
    for key in ("h1", "og:title", "json-ld", "title", "twitter:title"):
        if key in surfaces and not (key == "h1" and h1_is_logo):
            return surfaces[key]
    return normalise_line(fallback)


def _drop_leading_headline(text: str, headlines: set[str | None]) -> str:
    """trafilatura often repeats the headline as the body's first line; the
    headline is compared on its own, so the body must not carry it too, whatever
    quotes or spacing either copy is typeset with."""
    first, _, rest = text.partition("\n")
    return rest if comparable(first) in {comparable(h) for h in headlines if h} else text


# What bare_extraction passes htmldate by default.
_DATE_PARAMS = set_date_params(trafilatura.settings.DEFAULT_CONFIG.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH"))


def parse_page(html: str | bytes) -> _Element | None:
    """The page's tree as extraction reads it; None when lxml cannot parse it."""
    if isinstance(html, bytes):
        html = decode_html(html)
    # lxml refuses characters XML forbids; one stray escape code must not blank a whole page.
    html = _XML_INVALID.sub("", _XML_PROLOG.sub("", html, count=1))
    try:
        return lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return None


@dataclass(frozen=True)
class PageFacts:
    """What extraction reads from the markup outside the article body."""

    surfaces: dict[str, str]
    byline: str | None
    published: str | None
    modified: str | None
    canonical: str | None


def page_facts(tree: _Element, ld: dict[str, Any] | None = None) -> PageFacts:
    ld = _ld_article(tree) if ld is None else ld
    metas = meta_index(tree)
    canonical = tree.xpath('//link[@rel="canonical"]/@href') or [_meta(metas, "og:url")]
    return PageFacts(
        surfaces=headline_surfaces(tree, ld, metas),
        byline=_byline(tree, ld, metas),
        published=_meta(metas, *PUBLISHED_METAS) or _ld_str(ld, "datePublished"),
        modified=_meta(metas, *MODIFIED_METAS) or _ld_str(ld, "dateModified"),
        canonical=str(canonical[0]).strip() if canonical and canonical[0] else None,
    )


def extract(
    html: str | bytes, url: str | None = None, overrides: SiteOverrides | None = None, pruned: Pruned | None = None
) -> Extracted:
    """Extract the article from a page. Never raises on odd HTML: an unreadable
    page is an :class:`Extracted` with empty text (an ``empty_extraction``).
    ``pruned`` collects (reason, text) of every block pruned before trafilatura."""
    tree = parse_page(html)
    if tree is None:
        return Extracted(title=None, byline=None, text="")
    ld = _ld_article(tree)
    if overrides:
        for selector in overrides.remove:
            for node in _select(tree, selector):
                if not isinstance(node, str) and node.getparent() is not None:
                    if pruned is not None:
                        pruned.append(
                            (f"removed by override {selector!r}", normalise_line(" ".join(node.itertext())) or "")
                        )
                    node.getparent().remove(node)

    # Everything read from the markup is read before pruning and trafilatura:
    # both change the tree in place.
    facts = page_facts(tree, ld)
    surfaces, byline, published, modified = facts.surfaces, facts.byline, facts.published, facts.modified
    override_text = override_title = None
    if overrides:
        if overrides.body:
            override_text = _text_of(_select(tree, overrides.body))
        if overrides.title:
            override_title = normalise_line(_text_of(_select(tree, overrides.title)))
        if overrides.byline:
            byline = _clean_byline(_text_of(_select(tree, overrides.byline))) or byline

    prune_link_blocks(tree, pruned)
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,  # its title and date are fallbacks: read below only when needed
        include_comments=False,
        include_tables=True,
        include_links=False,
        fast=True,
        deduplicate=False,
    )
    text = override_text or ""
    title = override_title or _best_headline(surfaces, None)
    fallback = None
    if doc is not None:
        text = override_text or doc.text or ""  # type: ignore[union-attr]
        if not title or not published:
            # trafilatura's own metadata pass costs a quarter of an extraction;
            # most pages declare their headline and date and never need it.
            fallback = _metadata_pass(tree, url)
            title = title or fallback[0]
            published = published or fallback[1]

    text = _drop_leading_headline(normalise_text(text), {title, *surfaces.values()})
    return Extracted(
        title=title,
        byline=normalise_line(byline),
        text=text,
        published_at=normalise_line(published),
        modified_at=normalise_line(modified),
        canonical_url=facts.canonical,
        headlines=surfaces,
        meta_fallback=fallback,
    )


def _metadata_pass(tree: _Element, url: str | None) -> tuple[str | None, str | None]:
    meta = extract_metadata(tree, url, _DATE_PARAMS, True, set())
    return normalise_line(meta.title), meta.date


def meta_fallback(html: str | bytes, url: str | None) -> tuple[str | None, str | None] | None:
    """What extraction's metadata pass finds on a page (its tree pruned as extraction prunes it)."""
    tree = parse_page(html)
    if tree is None:
        return None
    prune_link_blocks(tree)
    return _metadata_pass(tree, url)
