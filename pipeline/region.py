"""The article's main region: a fingerprint that lets an unchanged page skip extraction.

A page re-served with new bytes (an ad slot, a "most read" rail, a timestamp)
usually carries the same article. After each full extraction the region
holding the extracted text is located (the lowest element containing its
first and last paragraphs) and the page is keyed by the hash of that region's
text and of everything extraction reads outside it (headline surfaces, byline,
dates, canonical URL: :func:`pipeline.extract.page_facts`). On the next fetch,
parsing the page and hashing the same things costs a fraction of an
extraction; an equal key means the extractor would see the same input, so the
check is ``unchanged``. Anything else — a region that moved or vanished, a
site with per-site selectors, a text too short to place — falls back to a
full extraction. The key is stored as ``"<sha1> <xpath>"``, or :data:`NO_KEY`
for a page that could not be placed (it is not tried again: learning costs a
third of an extraction).
"""

from __future__ import annotations

import json
from dataclasses import asdict

from lxml.etree import XPathError, _Element

from pipeline.extract import page_facts, parse_page, prune_link_blocks
from pipeline.normalise import fingerprint, normalise_text

NO_KEY = "-"

# Paragraphs shorter than this are too likely to recur elsewhere on the page.
MIN_ANCHOR_CHARS = 40
ANCHOR_CHARS = 30


def _holding(body: _Element, snippet: str) -> _Element | None:
    """The element holding ``snippet``: first the cheap way (one text node holds
    it, as a paragraph's opening words nearly always are), then by XPath."""
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        if el.text and snippet in " ".join(el.text.split()):
            return el
        if el.tail and snippet in " ".join(el.tail.split()):
            return el.getparent()
    # Split across inline elements: ask XPath, and take the deepest element holding it.
    if '"' in snippet and "'" in snippet:
        return None  # XPath 1.0 literals cannot hold both quote kinds
    quote = "'" if '"' in snippet else '"'
    try:
        found = body.xpath(f".//*[contains(normalize-space(.), {quote}{snippet}{quote})]")
    except XPathError:
        return None
    return found[-1] if found else None  # document order: the last ancestor-or-self match is the deepest


def _common_ancestor(a: _Element, b: _Element) -> _Element:
    ancestors = {id(a), *(id(x) for x in a.iterancestors())}
    if id(b) in ancestors:
        return b
    for node in b.iterancestors():
        if id(node) in ancestors:
            return node
    return b.getroottree().getroot()


def _path(node: _Element) -> str | None:
    """An XPath to ``node`` by tag and class, counting only siblings alike: an
    element inserted elsewhere (a banner, a stamp) does not move it."""
    steps = []
    while node is not None and isinstance(node.tag, str):
        cls = node.get("class")
        parent = node.getparent()
        if cls is not None and '"' in cls:
            return None
        step = node.tag + (f'[@class="{cls}"]' if cls is not None else "[not(@class)]")
        if parent is not None:
            alike = [s for s in parent.iterchildren(node.tag) if s.get("class") == cls]
            if len(alike) > 1:
                step += f"[{alike.index(node) + 1}]"
        steps.append(step)
        node = parent
    return "/" + "/".join(reversed(steps))


def _key(tree: _Element, path: str) -> tuple[str, str] | None:
    """(key, region text) of a freshly parsed page; the tree is pruned on the way."""
    try:
        nodes = tree.xpath(path)
    except XPathError:
        return None
    if len(nodes) != 1 or not isinstance(nodes[0], _Element):
        return None
    facts = json.dumps(asdict(page_facts(tree)), sort_keys=True)
    # Link-only blocks (rails, "most read") never reach the extractor either.
    # Only the region's own links: whether one is dropped depends on it and its
    # ancestors, never on links elsewhere, so the region's text is what pruning
    # the whole page would leave (a third of a probe's time saved).
    prune_link_blocks(nodes[0])
    text = normalise_text(nodes[0].text_content())
    return f"{fingerprint(text, facts)} {path}", text


def learn(html: str | bytes, text: str) -> str | None:
    """The key of a page whose extracted article body is ``text``; None when it cannot be placed."""
    lines = [line for line in text.split("\n") if len(line) >= MIN_ANCHOR_CHARS]
    tree = parse_page(html) if lines else None
    if tree is None:
        return None
    body = tree.find("body")
    if body is None:
        return None
    first = _holding(body, " ".join(lines[0].split())[:ANCHOR_CHARS])
    last = _holding(body, " ".join(lines[-1].split())[:ANCHOR_CHARS])
    if first is None or last is None:
        return None
    region = _common_ancestor(first, last)
    if region.tag in ("html", "body"):
        return None  # the whole page: any furniture change would miss; not worth a key
    path = _path(region)
    found = _key(tree, path) if path else None
    return found[0] if found is not None and covers(found[1], text) else None


def covers(region_text: str, text: str) -> bool:
    """Every extracted line lies inside the region: else a change outside it
    could change the extraction unseen."""
    inside = " ".join(region_text.split())
    return all(" ".join(line.split()) in inside for line in text.split("\n"))


def probe(html: str | bytes, key: str) -> tuple[str, str] | None:
    """(key, region text) of the page now, at the region ``key`` was learned for."""
    path = key.partition(" ")[2]
    tree = parse_page(html) if path else None
    return _key(tree, path) if tree is not None else None


def unchanged(html: str | bytes, key: str) -> bool:
    """Would extraction see the same input as when ``key`` was learned?"""
    found = probe(html, key)
    return found is not None and found[0] == key
