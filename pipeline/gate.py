"""The gate: can this page's article have changed since the last extraction?

On real news sites almost every recheck returns new bytes around the same
article (rails, ads, counters, scripts). After each full extraction the page
is parsed once more with lexbor (selectolax: a fifth of lxml's parse) and
summarised by what the extraction kept:

- the *container*: the lowest element holding every block (paragraph, list
  item, heading...) whose text the extraction kept, found again by its path of
  tags and classes;
- the *kept paths*: the tag/class paths, below the container, of those blocks.
  Every block on a kept path has its text hashed, in order: a revised figure,
  an added, removed or moved paragraph on the article's own paths changes it;
- every other text-bearing path in the container, as a set: a rail may rotate
  its stories, but a block on a path never seen there before (an editor's
  note, a new box) is new structure, and doubt;
- everything extraction reads outside the body (pipeline/gatefacts.py):
  headline surfaces, author declarations, dates, canonical URL; and when
  the extraction needed trafilatura's metadata pass (no declared headline
  or date), that pass again.

The fingerprint of those is stored as the article's key. The next fetch
parses the page, computes the same fingerprint and calls the page
``unchanged`` only when they are equal; anything in doubt — no container, a
kept line the container does not hold, per-site selectors — is a full
extraction. Link-only blocks (a rail's headlines, "most read") are left out
as extraction's own pruning leaves them out (pipeline.extract.prune_link_blocks).
Nothing here knows any site: only tags, classes and the last extraction.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.extract import HEADINGS, INLINE_TAGS, LINK_BLOCK_TAGS, Extracted, meta_fallback
from pipeline.gatefacts import read_facts

PREFIX = "g1"
NO_KEY = "-"  # stored for a page the gate could not place: the next fetch is extracted (and learned) again
# Below this many characters a kept block could be anything; the container is
# placed by longer ones (a short block still counts as kept).
PLACING_CHARS = 20
MAX_KEY = 1000  # articles.region_key is String(1024)

# Elements that start a block of text; text in any other element belongs to
# the block around it.
BLOCKS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hgroup li main menu nav ol p pre section summary table tbody td tfoot "
    "th thead tr ul".split()
)
# Never text a reader sees (trafilatura drops them too).
SKIP = frozenset("script style noscript template svg math iframe object embed canvas select textarea".split())
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_LIST_MARK = re.compile(r"^- ", re.MULTILINE)

Step = tuple[str, str | None, int]


class _Block:
    __slots__ = ("_text", "node", "parts", "path")

    def __init__(self, path: str, node: LexborNode) -> None:
        self.path = path
        self.node = node  # the element whose text this is
        self.parts: list[str] = []
        self._text: str | None = None

    def text(self) -> str:
        if self._text is None:
            self._text = " ".join("".join(self.parts).split())
        return self._text


def _blocks(container: LexborNode) -> list[_Block]:
    """The container's blocks in document order (the container itself first).
    Text after a nested block is a block of its own on the same path, so every
    block's text is one run of the page's text."""
    out = [_Block(".", container)]

    def visit(node: LexborNode, block: _Block) -> _Block:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                block.parts.append(child.text_content or "")
            elif tag is None or tag[0] in "-#!_" or tag in SKIP:
                continue
            elif tag in BLOCKS:
                cls = child.attributes.get("class")
                sub = _Block(f"{block.path}/{tag}.{' '.join(cls.split()) if cls else ''}", child)
                out.append(sub)
                visit(child, sub)
                block = _Block(block.path, block.node)
                out.append(block)
            else:
                if tag == "br":
                    block.parts.append(" ")
                block = visit(child, block)
        return block

    visit(container, out[0])
    return out


def _prune_link_blocks(container: LexborNode) -> bool:
    """What pipeline.extract.prune_link_blocks drops inside ``container``, dropped
    here (see it for why). Whether a block goes depends only on its link and
    the link's ancestors, so pruning one subtree prunes it as pruning the page
    would, unless a block to drop holds the container itself: then False."""
    doomed: dict[int, tuple[int, LexborNode]] = {}
    top = container.mem_id
    up: LexborNode | None
    for link in container.css("a"):
        text = link.text(deep=True).strip()
        if not text:
            continue
        node: LexborNode = link
        parent: LexborNode | None = link.parent
        while parent is not None and parent.tag in LINK_BLOCK_TAGS and parent.text(deep=True).strip() == text:
            node, parent = parent, parent.parent
        if node.tag in INLINE_TAGS and parent is not None and parent.text(deep=False).strip():
            continue  # as extraction: a link in bold or in a span inside a sentence stays
        if node is not link or parent is None or parent.tag in ("ul", "ol", "nav"):
            teaser = None
            # (An h3 in the block, the block itself included, as node.css_first("h3")
            # would say: a CSS query per doomed link was a third of this function.)
            if node.tag in HEADINGS or any(n.tag == "h3" for n in node.traverse()):
                teaser = node.parent
                while teaser is not None and teaser.tag != "li":
                    teaser = teaser.parent
            gone = teaser if teaser is not None else node
            depth, up = 0, gone  # how deep below the container it lies
            while up is not None:
                if up.mem_id == top:
                    break
                depth, up = depth + 1, up.parent
            if up is None or gone.mem_id == top:
                return False
            doomed[gone.mem_id] = (depth, gone)
    # Deepest first: a node inside one already removed is never touched again.
    for _depth, node in sorted(doomed.values(), key=lambda d: -d[0]):
        node.decompose()
    return True


def _path_to(node: LexborNode) -> list[Step]:
    steps: list[Step] = []
    while node is not None and node.parent is not None and node.tag not in (None, "-document"):
        parent = node.parent
        cls = node.attributes.get("class")
        index = 0
        for sibling in parent.iter():
            if sibling.tag == node.tag and sibling.attributes.get("class") == cls:
                if sibling.mem_id == node.mem_id:
                    break
                index += 1
        steps.append((str(node.tag), cls, index))
        node = parent
    return list(reversed(steps))


def _follow(tree: LexborHTMLParser, steps: list[Step]) -> LexborNode | None:
    node = tree.root
    if node is None or not steps or (node.tag, node.attributes.get("class"), 0) != tuple(steps[0]):
        return None
    for tag, cls, index in steps[1:]:
        found = None
        for child in node.iter():
            if child.tag == tag and child.attributes.get("class") == cls:
                if index == 0:
                    found = child
                    break
                index -= 1
        if found is None:
            return None
        node = found
    return node


def _common(nodes: list[LexborNode]) -> LexborNode | None:
    chains = []
    for node in nodes:
        chain = []
        n: LexborNode | None = node
        while n is not None:
            chain.append(n.mem_id)
            n = n.parent
        chains.append(list(reversed(chain)))
    common = 0
    for depth in range(min(len(c) for c in chains)):
        if len({c[depth] for c in chains}) != 1:
            break
        common = depth
    target = chains[0][common]
    n = nodes[0]
    while n is not None and n.mem_id != target:
        n = n.parent
    return n


def _short(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def _fingerprint(facts: list[Any], kept: Iterable[tuple[str, str]], others: Iterable[str], extra: Any) -> str:
    h = hashlib.sha1(json.dumps([facts, extra], ensure_ascii=False, default=str).encode("utf-8"))
    for path, text in kept:
        h.update(f"\x1e{path}\x1f{text}".encode())
    h.update(b"\x1d")
    for path in sorted(set(others)):
        h.update(f"\x1e{path}".encode())
    return h.hexdigest()[:32]


def _comparable(text: str) -> str:
    """Text as both sides can be compared: trafilatura lays out list items and
    table cells its own way ("- ", " | "), and normalisation drops invisibles."""
    return "".join(_INVISIBLE.sub("", unicodedata.normalize("NFC", text)).replace("|", "").split())


def _summary(tree: LexborHTMLParser, blocks: list[_Block], kept_paths: set[str], extra: Any) -> str:
    kept: list[tuple[str, str]] = []
    others: list[str] = []
    shorts: dict[str, str] = {}
    for block in blocks:
        text = block.text()
        if not text:
            continue
        short = shorts.get(block.path)
        if short is None:
            short = shorts[block.path] = _short(block.path)
        if short in kept_paths:
            kept.append((block.path, text))
        else:
            others.append(block.path)
    return _fingerprint(read_facts(tree), kept, others, extra)


def _kept_form(block: str) -> str:
    """A block's text as it is looked for in the extraction: a leading "- " goes,
    as it goes from the extraction's lines (trafilatura's list marker, or a
    dash left first when extraction pruned a link block before it)."""
    return _comparable(_LIST_MARK.sub("", block, count=1))


def _tiles(text: str, pieces: list[str]) -> bool:
    """Whether ``text`` is made of ``pieces``, each used at most once, in any
    order (trafilatura may lay a table's cells out in its own order): then
    every character extraction kept lies in a block the key hashes."""
    for piece in sorted(pieces, key=len, reverse=True):
        text = text.replace(piece, "\x00", 1)
    return not text.replace("\x00", "")


def _parse(html: str | bytes) -> LexborHTMLParser | None:
    try:
        tree = LexborHTMLParser(html)
    except (ValueError, TypeError):
        return None
    return tree if tree.body is not None else None


def learn(html: str | bytes, extracted: Extracted, url: str | None = None) -> str | None:
    """The gate key of a page whose full extraction is ``extracted``; None when it cannot be placed."""
    if extracted.is_empty:
        return None
    tree = _parse(html)
    if tree is None or tree.body is None:
        return None
    text = _LIST_MARK.sub("", extracted.text)
    wanted = _comparable(text)
    kept = [b for b in _blocks(tree.body) if b.text() and _kept_form(b.text()) in wanted]
    placing = [b for b in kept if len(b.text()) >= PLACING_CHARS]
    if not placing:
        return None
    # The metadata pass extraction ran, if it did, is part of what it read
    # (pipeline.extract.meta_fallback gives the same: tests/test_gate.py).
    meta = extracted.meta_fallback is not None
    # The lowest element holding the long kept blocks; failing that, all of
    # them. (Found before link blocks are pruned: a rail's link that happens to
    # repeat an article line can only widen the container.)
    paths = []
    for chosen in (placing, kept):
        common = _common([b.node for b in chosen])
        if common is not None and (path := _path_to(common)) not in paths:
            paths.append(path)
    for n, path in enumerate(paths):
        if n:
            tree = _parse(html)  # the first try pruned its own copy
        container = _follow(tree, path) if tree is not None else None
        if tree is None or container is None or not _prune_link_blocks(container):
            continue
        blocks = _blocks(container)
        inner = [(b, c) for b in blocks if b.text() and (c := _kept_form(b.text())) in wanted]
        if not _tiles(wanted, [c for _, c in inner]):
            continue  # text the container does not hold as whole blocks: doubt
        kept_paths = {_short(b.path) for b, _ in inner}
        fp = _summary(tree, blocks, kept_paths, extracted.meta_fallback if meta else None)
        key = f"{PREFIX} {'m' if meta else '-'} {fp} {','.join(sorted(kept_paths))} " + json.dumps(
            path, ensure_ascii=False, separators=(",", ":")
        )
        return key if len(key) <= MAX_KEY else None
    return None


def is_gate_key(key: str | None) -> bool:
    return bool(key) and key.startswith(PREFIX + " ")  # type: ignore[union-attr]


def probe(html: str | bytes, key: str, url: str | None = None) -> str | None:
    """The page's key now, computed at the place ``key`` was learned; None when it cannot be."""
    parts = key.split(" ", 4)
    if len(parts) != 5 or parts[0] != PREFIX:
        return None
    _prefix, flag, _fp, paths, steps_json = parts
    tree = _parse(html)
    if tree is None or tree.body is None:
        return None
    try:
        steps: list[Step] = [(str(t), c, int(i)) for t, c, i in json.loads(steps_json)]
    except (ValueError, TypeError):
        return None
    container = _follow(tree, steps)
    if container is None or not _prune_link_blocks(container):
        return None
    kept_paths = set(paths.split(",")) if paths else set()
    fp = _summary(tree, _blocks(container), kept_paths, meta_fallback(html, url) if flag == "m" else None)
    return f"{PREFIX} {flag} {fp} {paths} {steps_json}"


def unchanged(html: str | bytes, key: str | None, url: str | None = None) -> bool:
    """Would full extraction give what it gave when ``key`` was learned?"""
    return is_gate_key(key) and probe(html, key, url) == key  # type: ignore[arg-type]
