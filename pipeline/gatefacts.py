"""The facts the gate (pipeline/gate.py) hashes from outside the article's
body: what pipeline.pagefacts reads with lxml when extracting (meta tags,
JSON-LD, the head's title, the first h1, the byline nodes, the canonical
link), read here from the gate's selectolax (lexbor) tree. Only what
extraction can read goes in: a node it never reaches (an icon's <svg> title,
a share box beside the byline) may change without closing the gate.
"""

from __future__ import annotations

from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.pagefacts import BYLINE_MAX, BYLINE_METAS, DATE_METAS, SURFACE_METAS, Metas, ld_article_of

# The elements read_facts reads, found in one walk of the tree: each tag below
# matches one selector only, so the tag says which list a node belongs to, and
# every list stays in document order (tests/test_gate.py compares both ways).
_FACT_NODES = 'meta, script[type="application/ld+json"], title, h1, link[rel="canonical"]'
_BYLINES = '[rel="author"], [itemprop="author"], [class*="byline"], [class*="author-name"]'


def read_facts(tree: LexborHTMLParser) -> list[Any]:
    """Everything pipeline.pagefacts.page_facts reads, as lexbor sees it."""
    found: dict[str, list[LexborNode]] = {"meta": [], "script": [], "title": [], "h1": [], "link": []}
    for node in tree.css(_FACT_NODES):
        found[str(node.tag)].append(node)
    return facts_of(found, tree.css(_BYLINES))


def facts_of(found: dict[str, list[LexborNode]], bylines: list[LexborNode]) -> list[Any]:
    """The facts of the nodes :func:`read_facts` found, by tag, in document order."""
    metas: Metas = {}
    for node in found["meta"]:
        attrs = node.attributes
        content = attrs.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop"):
            value = attrs.get(attr)
            if value is not None:
                metas.setdefault((attr, value), content)
    # Extraction collapses the spaces of every fact but the site name (compared
    # as declared) and the canonical URL (only stripped).
    declared = sorted((k, v if k[1] in _RAW_METAS else _spaces(v)) for k, v in metas.items() if k[1] in _FACT_METAS)
    ld = ld_article_of(node.text() for node in found["script"])
    return [
        declared,
        [_spaces(ld.get(k)) for k in ("headline", "author", "datePublished", "dateModified")],
        _head_titles(found["title"]),
        [_spaces(n.text()) for n in found["h1"][:1]],  # extraction reads the first h1 only
        [n.attributes.get("href") for n in found["link"]],
        _byline_nodes_read(bylines),
    ]


def _head_titles(titles: list[LexborNode]) -> list[str]:
    """The titles up to the first in <head>, which extraction reads (an <svg>'s
    title in the body, "Facebook icon", is not a headline; sharing bars reorder them)."""
    out = []
    for node in titles:
        out.append(_spaces(node.text()))
        if node.parent is not None and node.parent.tag == "head":
            break
    return out


# pipeline.pagefacts._byline_node tries four queries in turn and takes the
# first node, outside <aside> and <nav>, whose text is shorter than
# BYLINE_MAX; the same, in the gate's view of the tree (selectolax):
def _byline_query(n: int, attrs: dict[str, str | None]) -> bool:
    """Whether an element with ``attrs`` matches pagefacts' ``n``-th byline query."""
    cls = attrs.get("class") or ""
    if n == 0:
        return attrs.get("rel") == "author"
    if n == 1:
        return attrs.get("itemprop") == "author"
    if n == 2:
        return "byline" in cls.split()
    return "byline" in cls or "author-name" in cls


# Lengths near the limit are read with a margin (the two parsers may space a
# line differently): such a node's text is hashed and the next one read too.
_SURELY_SHORT, _SURELY_LONG = BYLINE_MAX - 20, BYLINE_MAX + 30


def _byline_nodes_read(nodes: list[LexborNode]) -> list[Any]:
    """What of the byline candidates ``nodes`` (document order) extraction can
    read: per query, the texts of the nodes it could take, up to one it surely
    takes. Nodes it skips (in a rail, empty, surely too long) and nodes after
    that one are never read, so a sharing bar beside the byline, reordered, or
    an empty author link moving, does not close the gate; a skipped node that
    becomes one it could take does."""
    out: list[Any] = []
    candidates = [(node, node.attributes) for node in nodes]  # selectolax builds the dict on each access
    texts: dict[int, str | None] = {}  # a node matches several queries: its text, or None in a rail, once
    for n in range(4):
        for node, attrs in candidates:
            if not _byline_query(n, attrs):
                continue
            if node.mem_id not in texts:
                texts[node.mem_id] = None if _in_rail(node) else _spaces(attrs.get("content") or node.text())
            text = texts[node.mem_id]
            if not text or len(text) >= _SURELY_LONG:
                continue
            out.append((n, text))
            if len(text) < _SURELY_SHORT:
                return out
    return out


def _in_rail(node: LexborNode) -> bool:
    up = node.parent
    while up is not None:
        if up.tag in ("aside", "nav"):
            return True
        up = up.parent
    return False


_FACT_METAS = frozenset({*SURFACE_METAS, *BYLINE_METAS, *DATE_METAS, "og:url", "og:site_name"})
_RAW_METAS = frozenset({"og:url", "og:site_name"})


def _spaces(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value
