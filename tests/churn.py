"""Changes to apply to real pages: boilerplate churn outside the article, and
real edits inside it. Site-agnostic: the only knowledge used is the labelled
article body, never anything about a particular site."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

import lxml.html
from lxml.etree import _Element

from pipeline.figures import find_figures
from pipeline.sentences import split_sentences

NEW_PARAGRAPH = (
    "In a statement released late on Tuesday, the organisers of {about} said an independent review "
    "would be published in full before the end of the month."
)


def new_paragraph(page: RealPage) -> str:
    """A paragraph for this page alone: the same sentence added to every article
    of a site is that site's boilerplate, and is rightly not reported."""
    letters = page.id[:10].translate(str.maketrans("0123456789", "ghijklmnop"))
    return NEW_PARAGRAPH.format(about=f"the {letters} inquiry")


@dataclass
class RealPage:
    id: str
    url: str
    body: str  # the labelled article text
    html: str


def load_pages(root: Path) -> list[RealPage]:
    truth = json.loads((root / "ground-truth.json").read_text())
    pages = []
    for page_id, entry in sorted(truth.items()):
        raw = gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes())
        from pipeline.extract import decode_html

        pages.append(RealPage(page_id, entry["url"], entry["articleBody"], decode_html(raw)))
    return pages


def parse(html: str) -> _Element:
    return lxml.html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", html))


def serialise(tree: _Element) -> str:
    return lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")


def _bump_digits(text: str, by: int) -> str:
    return re.sub(r"\d+", lambda m: str(int(m.group()) + by), text)


def _in_body(text: str, body: str) -> bool:
    text = " ".join(text.split())
    return len(text) > 3 and text in " ".join(body.split())


def churn(page: RealPage, round_: int) -> str:
    """Boilerplate churn: script contents, counters in links and rails, reordered
    link lists, and an "updated N minutes ago" line — none of it article text."""
    tree = parse(page.html)
    for script in tree.iter("script"):
        # Executable scripts only: JSON-LD is the article's metadata, not furniture.
        if script.text and (script.get("type") or "text/javascript").endswith("javascript"):
            script.text = _bump_digits(script.text, round_) + f"\nvar renderId = {round_ * 7919};"
    for link in tree.iter("a"):
        text = link.text_content()
        parent = link.getparent()
        # A rail or navigation item: the link is all its block says.
        link_only = parent is not None and parent.text_content().strip() == text.strip()
        if link.text and re.search(r"\d", link.text) and link_only and not _in_body(text, page.body):
            link.text = _bump_digits(link.text, round_)
    for lst in list(tree.iter("ul", "ol")):
        items = [li for li in lst if isinstance(li.tag, str) and li.tag == "li"]
        if len(items) >= 3 and not any(_in_body(li.text_content(), page.body) for li in items):
            for li in items:
                lst.remove(li)
            for li in reversed(items):
                lst.append(li)
    body = tree.find("body")
    if body is not None:
        stamp = lxml.html.fragment_fromstring(f'<div class="stamp">Updated {round_ * 3 + 2} minutes ago</div>')
        body.insert(0, stamp)
    return serialise(tree)


def _text_nodes(tree: _Element) -> list[tuple[_Element, str]]:
    """(element, 'text'|'tail') for every text node inside <body>, in order."""
    body = tree.find("body")
    nodes: list[tuple[_Element, str]] = []
    if body is None:
        return nodes
    for el in body.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style"):
            continue
        if el.text and el.text.strip():
            nodes.append((el, "text"))
        if el.tail and el.tail.strip() and el is not body:
            nodes.append((el, "tail"))
    return nodes


@dataclass
class Edited:
    html: str
    expected: dict[str, int]
    figure: tuple[float, float] | None = None
    headline: tuple[str, str] | None = None


def _revised(raw: str) -> str | None:
    if re.fullmatch(r"\d{2,3}", raw):
        return str(int(raw) + 7)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw):
        return f"{int(raw.replace(',', '')) + 57:,}"
    return None


def edit(page: RealPage, html: str, extracted_text: str, title: str | None) -> Edited:
    """Edit inside the article: one figure, the headline, one added paragraph
    (each only where the page offers a place for it)."""
    tree = parse(html)
    expected: dict[str, int] = {}
    figure = None
    text_sentences = set(split_sentences(extracted_text))
    # 1. A figure inside an article sentence, changed in the one text node holding it.
    for el, attr in _text_nodes(tree):
        node_text: str = getattr(el, attr)
        if not _in_body(node_text, page.body):
            continue
        for sentence in split_sentences(node_text):
            if sentence not in text_sentences:
                continue
            for fig in find_figures(sentence):
                raw = fig.text.split()[-1]
                new = _revised(raw)
                is_range = re.search(r"\d\s*[-–—]\s*\d", fig.text)
                if new is None or fig.unit or is_range or node_text.count(raw) != 1 or extracted_text.count(raw) != 1:
                    continue
                setattr(el, attr, node_text.replace(raw, new))
                figure = (fig.value, fig.value - float(raw.replace(",", "")) + float(new.replace(",", "")))
                expected["number"] = 1
                break
            if figure:
                break
        if figure:
            break
    # 2. The headline, on every surface that states it.
    headline = None
    if title:
        new_title = f"Exclusive: {title}"
        changed = False
        surfaces = [(el, "text") for el in tree.iter("title", "h1")]
        surfaces += [(el, "text") for h1 in tree.iter("h1") for el in h1.iterdescendants()]
        for el, attr in surfaces:
            value = getattr(el, attr) or ""
            if title in value and not value.startswith("Exclusive: "):
                setattr(el, attr, value.replace(title, new_title))
                changed = True
        for meta in tree.iter("meta"):
            content = meta.get("content") or ""
            name = meta.get("property") or meta.get("name") or ""
            if name in ("og:title", "twitter:title") and title in content and not content.startswith("Exclusive: "):
                meta.set("content", content.replace(title, new_title))
                changed = True
        if changed:
            headline = (title, new_title)
            expected["headline"] = 1
    # 3. A new paragraph after an article paragraph.
    for p in tree.iter("p"):
        if _in_body(p.text_content(), page.body) and len(p.text_content()) > 80 and p.getparent() is not None:
            new_p = lxml.html.fragment_fromstring(f"<p>{new_paragraph(page)}</p>")
            new_p.tail = p.tail
            p.tail = None
            p.addnext(new_p)
            expected["sentence_added"] = 1
            break
    return Edited(serialise(tree), expected, figure, headline)
