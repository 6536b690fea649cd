"""Article extraction: HTML in, an :class:`Extracted` article out.

trafilatura finds the body (no comments, no related-link blocks, after the
link blocks pruned here); what the page says outside the body — headline
surfaces, bylines, published and modified dates, canonical URL — is read by
pipeline/pagefacts.py straight from its meta tags and JSON-LD, because those
are exactly the surfaces people rewrite.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import lxml.html
import trafilatura
from lxml.etree import ParserError, XPathError, _Element
from trafilatura import metadata as trafilatura_metadata
from trafilatura.settings import set_date_params
from trafilatura.utils import decode_file

from pipeline.normalise import normalise_line, normalise_text
from pipeline.pagefacts import best_headline, clean_byline, drop_leading_headline, ld_article, page_facts

logger = logging.getLogger(__name__)

EXTRACTOR = "trafilatura"
EXTRACTOR_VERSION = trafilatura.__version__

# Below this many characters an extraction is a teaser, a soft-404 or a
# JavaScript shell, never an article a version may replace another with.
MIN_TEXT_CHARS = 200


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


def extract(
    html: str | bytes, url: str | None = None, overrides: SiteOverrides | None = None, pruned: Pruned | None = None
) -> Extracted:
    """Extract the article from a page. Never raises on odd HTML: an unreadable
    page is an :class:`Extracted` with empty text (an ``empty_extraction``).
    ``pruned`` collects (reason, text) of every block pruned before trafilatura."""
    tree = parse_page(html)
    if tree is None:
        return Extracted(title=None, byline=None, text="")
    ld = ld_article(tree)
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
            byline = clean_byline(_text_of(_select(tree, overrides.byline))) or byline

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
    title = override_title or best_headline(surfaces, None)
    fallback = None
    if doc is not None:
        text = override_text or doc.text or ""  # type: ignore[union-attr]
        if not title or not published:
            # trafilatura's own metadata pass costs a quarter of an extraction;
            # most pages declare their headline and date and never need it.
            fallback = _metadata_pass(tree, url)
            title = title or fallback[0]
            published = published or fallback[1]

    text = drop_leading_headline(normalise_text(text), {title, *surfaces.values()})
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
    """The title and date trafilatura's ``extract_metadata`` finds, with only the
    steps they depend on: its meta tags and JSON-LD, title, canonical URL and
    htmldate. The steps skipped (author on a copy of the tree, site name,
    categories, tags, licence) read the tree without changing it, and were
    most of the pass's CPU (tests/test_extract.py compares both on real pages)."""
    m = trafilatura_metadata
    meta = m.examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # as extract_metadata does before reading JSON-LD
    try:
        meta = m.extract_meta_json(tree, meta)
    except Exception as exc:  # as extract_metadata: bugs in trafilatura's JSON-LD reading
        logger.warning("error in JSON metadata extraction: %s", exc)
    if not meta.title:
        meta.title = m.extract_title(tree)
    if not meta.url:
        meta.url = m.extract_url(tree, url)
    meta.date = m.find_date(tree, **{**_DATE_PARAMS, "url": meta.url})
    meta.clean_and_trim()
    return normalise_line(meta.title), meta.date


def meta_fallback(html: str | bytes, url: str | None) -> tuple[str | None, str | None] | None:
    """What extraction's metadata pass finds on a page (its tree pruned as extraction prunes it)."""
    tree = parse_page(html)
    if tree is None:
        return None
    prune_link_blocks(tree)
    return _metadata_pass(tree, url)
