"""Labelled perturbations of real pages for the accuracy benchmark.

Churn kinds change only what lies outside the article (or only how it is
written, never what it says): nothing may be reported as content. Edit kinds
change the article in one known way and say which records must follow.
Everything is placed using the page's labelled article body, never anything
known about a particular site.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import lxml.html
from lxml.etree import _Element

from pipeline.figures import Figure, find_figures
from pipeline.sentences import split_sentences
from tests.churn import RealPage, _in_body, _revised, _text_nodes, churn, parse, serialise


@dataclass
class Edit:
    """One labelled edit: the page after it and what must be reported."""

    html: str
    kind: str  # the record kind that must appear
    sentences: list[str] = field(default_factory=list)  # text the records must cover
    figure: tuple[float, float] | None = None
    signalled: bool = False
    surfaces: list[str] | None = None  # for headlines: exactly these surfaces
    also: frozenset[str] = frozenset()  # other content kinds the edit rightly causes


ChurnFn = Callable[[RealPage, str, int], str]
EditFn = Callable[[RealPage, str, str, str | None], Edit | None]
CHURN: dict[str, ChurnFn] = {}
EDITS: dict[str, EditFn] = {}


def churn_kind(name: str) -> Callable[[ChurnFn], ChurnFn]:
    def register(fn: ChurnFn) -> ChurnFn:
        CHURN[name] = fn
        return fn

    return register


def edit_kind(name: str) -> Callable[[EditFn], EditFn]:
    def register(fn: EditFn) -> EditFn:
        EDITS[name] = fn
        return fn

    return register


@churn_kind("furniture")
def furniture(page: RealPage, html: str, round_: int) -> str:
    """Scripts, counters in rails and links, reordered link lists, an "updated N minutes ago" stamp."""
    return churn(RealPage(page.id, page.url, page.body, html), round_)


@churn_kind("markup")
def markup(page: RealPage, html: str, round_: int) -> str:
    """Only the markup moves: ids, classes, data attributes, comments, tracking pixels."""
    tree = parse(html)
    for n, el in enumerate(tree.iter()):
        if not isinstance(el.tag, str):
            continue
        if el.get("id") and el.tag not in ("html", "body"):
            el.set("id", f"{el.get('id')}-r{round_}")
        el.set("data-render", f"{round_}-{n % 97}")
    body = tree.find("body")
    if body is not None:
        body.insert(0, lxml.html.fragment_fromstring(f'<img src="/pixel.gif?r={round_}" width="1" height="1">'))
        body.append(lxml.html.fragment_fromstring(f"<div><!-- cache {round_ * 31} --></div>"))
    return serialise(tree)


@churn_kind("dateline")
def dateline(page: RealPage, html: str, round_: int) -> str:
    """Date line, comment count, reading time and view counter inside the
    article, under its first paragraph, where extraction keeps them."""
    tree = parse(html)
    lines = (
        f"Published {9 + round_}:{10 + round_} GMT, {18 + round_} November 2019",
        f"{12 + round_ * 5} comments",
        f"{3 + round_} min read",
        f"{round_ * 1234 + 5} views",
        f"Updated {round_ * 3 + 2} minutes ago",
    )
    anchor = next((p for p in tree.iter("p") if _in_body(p.text_content(), page.body)), None)
    if anchor is None or anchor.getparent() is None:
        return html
    for line in reversed(lines):
        el = lxml.html.fragment_fromstring(f'<p class="meta">{line}</p>')
        el.tail, anchor.tail = anchor.tail, None
        anchor.addnext(el)
    return serialise(tree)


def _curl(text: str) -> str:
    """Straight quotes made typographic, opening and closing as a typesetter would."""
    text = re.sub(r'(^|[\s(\[])"', "\\1“", text).replace('"', "”")
    return re.sub(r"(^|[\s(\[])'", "\\1‘", text).replace("'", "’")


@churn_kind("typography")
def typography(page: RealPage, html: str, round_: int) -> str:
    """The article text re-typeset: straight quotes curled, dashes changed, spaces doubled."""
    tree = parse(html)
    for el, attr in _text_nodes(tree):
        text: str = getattr(el, attr)
        if round_ % 2:
            text = _curl(text).replace(" - ", " – ")
        setattr(el, attr, text.replace(" ", "  ") if round_ % 2 == 0 else text)
    return serialise(tree)


def _article_paragraphs(tree: _Element, page: RealPage, text: str, min_len: int = 80) -> list[_Element]:
    """<p> elements of the labelled article that the extracted text holds as lines."""
    lines = {" ".join(line.split()) for line in text.split("\n")}
    return [
        p
        for p in tree.iter("p")
        if len(p.text_content()) >= min_len
        and _in_body(p.text_content(), page.body)
        and " ".join(p.text_content().split()) in lines
        and p.getparent() is not None
    ]


def _new_p(text: str) -> _Element:
    return lxml.html.fragment_fromstring(f"<p>{text}</p>")


def _letters(page: RealPage) -> str:
    return page.id[:10].translate(str.maketrans("0123456789", "ghijklmnop"))


@edit_kind("headline")
def headline(page: RealPage, html: str, text: str, title: str | None) -> Edit | None:
    """The headline rewritten ("Exclusive: " in front) on the <title>, the h1
    and the og:/twitter: titles: one edit on many surfaces."""
    tree = parse(html)
    changed = False
    page_title = set(re.findall(r"\w+", " ".join(t.text_content() for t in tree.iter("title")).lower()))
    for el in tree.iter("title", "h1"):
        node = next((n for n in el.iter() if n.text and n.text.strip()), None)
        if el.tag == "h1" and not set(re.findall(r"\w+", el.text_content().lower())) & page_title:
            continue  # an h1 holding the site's logo is not the headline
        if node is not None and el.text_content().strip():
            node.text = "Exclusive: " + node.text.lstrip()
            changed = True
    for meta in tree.iter("meta"):
        content = meta.get("content") or ""
        if (meta.get("property") or meta.get("name")) in ("og:title", "twitter:title") and content.strip():
            meta.set("content", "Exclusive: " + content.lstrip())
            changed = True
    return Edit(serialise(tree), "headline", ["Exclusive: "]) if changed else None


@edit_kind("title alone")
def title_alone(page: RealPage, html: str, text: str, title: str | None) -> Edit | None:
    """Only the <title> rewritten, as for search engines: its own record naming that surface."""
    tree = parse(html)
    node = next((t for t in tree.iter("title") if t.text and t.text.strip()), None)
    if node is None or node.text is None:
        return None
    node.text = "What we know: " + node.text.lstrip()
    return Edit(serialise(tree), "headline", ["What we know: "], surfaces=["title"])


def _revise_figure(
    page: RealPage, html: str, text: str, revise: Callable[[str, Figure], tuple[str, str, float] | None]
) -> Edit | None:
    """Revise the first figure ``revise`` accepts, in the one text node and
    the one place of the extracted text where it is written."""
    tree = parse(html)
    sentences = set(split_sentences(text))
    for el, attr in _text_nodes(tree):
        node_text: str = getattr(el, attr)
        if not _in_body(node_text, page.body):
            continue
        for sentence in split_sentences(" ".join(node_text.split())):
            if sentence not in sentences:
                continue
            for fig in find_figures(sentence):
                change = revise(sentence, fig)
                if change is None:
                    continue
                raw, new, after = change
                pattern = re.compile(rf"(?<![\w.,]){re.escape(raw)}(?![\w]|[.,]\d)")
                if len(pattern.findall(node_text)) != 1 or len(pattern.findall(text)) != 1:
                    continue
                setattr(el, attr, pattern.sub(new, node_text))
                return Edit(serialise(tree), "number", [sentence], figure=(fig.value, after))
    return None


@edit_kind("figure")
def figure(page: RealPage, html: str, text: str, title: str | None) -> Edit | None:
    """A count revised where it is written: "130" → "137", "20,000" → "20,057"."""

    def revise(sentence: str, fig: Figure) -> tuple[str, str, float] | None:
        raw = fig.text.split()[-1]
        new = _revised(raw)
        if new is None or fig.unit or fig.high is not None:
            return None
        return raw, new, fig.value - float(raw.replace(",", "")) + float(new.replace(",", ""))

    return _revise_figure(page, html, text, revise)


@edit_kind("figure with unit")
def figure_with_unit(page: RealPage, html: str, text: str, title: str | None) -> Edit | None:
    """A percentage or an amount of money revised: "40%" → "43%", "$4.5bn" → "$4.7bn"."""

    def revise(sentence: str, fig: Figure) -> tuple[str, str, float] | None:
        m = re.search(r"\d+(?:\.\d)?", fig.text)
        if not fig.unit or fig.high is not None or m is None or not re.fullmatch(r"\d{1,3}(?:\.\d)?", m.group()):
            return None
        number = float(m.group())
        ratio = fig.value / number if number else 0.0
        factor = next((scale for scale in (1, 1e3, 1e6, 1e9, 1e12) if math.isclose(ratio, scale)), None)
        if factor is None:
            return None
        new = f"{number + 0.2:.1f}" if "." in m.group() else str(int(number) + 3)
        raw = fig.text[m.start() :]
        return raw, new + raw[len(m.group()) :], float(new) * factor

    return _revise_figure(page, html, text, revise)


_WORDS = "two three four five six seven eight nine ten".split()
_NEXT_WORD = dict(itertools.pairwise(_WORDS))


@edit_kind("figure in words")
def figure_in_words(page: RealPage, html: str, text: str, title: str | None) -> Edit | None:
    """A number written as a word revised: "three" → "four"."""

    def revise(sentence: str, fig: Figure) -> tuple[str, str, float] | None:
        word = fig.text.lower()
        if fig.qualifier or word not in _NEXT_WORD or not fig.text.islower():
            return None
        return fig.text, _NEXT_WORD[word], fig.value + 1

    return _revise_figure(page, html, text, revise)


@edit_kind("paragraph added")
def paragraph_added(page: RealPage, html: str, text: str, title: str | None) -> Edit | None:
    tree = parse(html)
    paragraphs = _article_paragraphs(tree, page, text)
    if not paragraphs:
        return None
    added = (
        f"Investigators from the {_letters(page)} review said they had asked for the original records "
        "and expected to publish their findings before the end of the month."
    )
    new = _new_p(added)
    new.tail, paragraphs[0].tail = paragraphs[0].tail, None
    paragraphs[0].addnext(new)
    return Edit(serialise(tree), "sentence_added", [added])


@edit_kind("paragraph removed")
def paragraph_removed(page: RealPage, html: str, text: str, title: str | None) -> Edit | None:
    tree = parse(html)
    paragraphs = _article_paragraphs(tree, page, text)
    if len(paragraphs) < 3:
        return None
    gone = paragraphs[len(paragraphs) // 2]
    sentences = split_sentences(" ".join(gone.text_content().split()))
    gone.drop_tree()
    return Edit(serialise(tree), "sentence_removed", sentences)


@edit_kind("paragraph rewritten")
def paragraph_rewritten(page: RealPage, html: str, text: str, title: str | None) -> Edit | None:
    """A clause added to the end of a paragraph's last sentence."""
    tree = parse(html)
    for p in _article_paragraphs(tree, page, text):
        last = p if len(p) == 0 else None
        if last is None or not p.text or not re.search(r"\w[.!?]$", p.text.rstrip()):
            continue
        body = p.text.rstrip()
        sentence = split_sentences(" ".join(body.split()))[-1]
        if len(sentence.split()) < 6:
            continue
        p.text = body[:-1] + ", according to a person familiar with the discussions" + body[-1]
        return Edit(serialise(tree), "sentence_changed", [sentence])
    return None


@edit_kind("paragraph moved")
def paragraph_moved(page: RealPage, html: str, text: str, title: str | None) -> Edit | None:
    """A paragraph moved two paragraphs further down, unedited."""
    tree = parse(html)
    paragraphs = _article_paragraphs(tree, page, text, min_len=40)
    for i in range(len(paragraphs) - 2):
        moving, target = paragraphs[i], paragraphs[i + 2]
        if moving.getparent() is not target.getparent():
            continue
        sentences = split_sentences(" ".join(moving.text_content().split()))
        tail = moving.tail
        moving.getparent().remove(moving)
        moving.tail = target.tail
        target.tail = tail if tail and tail.strip() == "" else None
        target.addnext(moving)
        return Edit(serialise(tree), "sentence_moved", sentences)
    return None


CORRECTION = "Correction: An earlier version of this article misstated when the {about} review began."


@edit_kind("correction appended")
def correction_appended(page: RealPage, html: str, text: str, title: str | None) -> Edit | None:
    tree = parse(html)
    paragraphs = _article_paragraphs(tree, page, text, min_len=40)
    if not paragraphs:
        return None
    note = CORRECTION.format(about=_letters(page))
    new = _new_p(note)
    new.tail, paragraphs[-1].tail = paragraphs[-1].tail, None
    paragraphs[-1].addnext(new)
    return Edit(serialise(tree), "correction", [note], signalled=True)


@edit_kind("typo fixed")
def typo_fixed(page: RealPage, html: str, text: str, title: str | None) -> Edit | None:
    """Two letters swapped back in a long word of an article sentence (the
    earlier version, ``text``, is taken to hold the misspelling)."""
    tree = parse(html)
    for p in _article_paragraphs(tree, page, text):
        if len(p) or not p.text:
            continue
        word = next((w for w in re.findall(r"\b[a-z]{8,}\b", p.text) if p.text.count(w) == 1), None)
        if word is None:
            continue
        fixed = word[:3] + word[4] + word[3] + word[5:]
        if fixed == word:
            continue
        p.text = p.text.replace(word, fixed)
        return Edit(serialise(tree), "typo", [])
    return None


UNRELATED = "The {about} festival will return next summer with a new programme of open-air concerts."


@edit_kind("paragraph replaced")
def paragraph_replaced(page: RealPage, html: str, text: str, title: str | None) -> Edit | None:
    """A paragraph holding a figure replaced by an unrelated one holding
    another: a removal and an addition, never a figure revision."""
    tree = parse(html)
    for p in _article_paragraphs(tree, page, text):
        sentences = split_sentences(" ".join(p.text_content().split()))
        if len(sentences) != 1 or not find_figures(sentences[0]):
            continue
        new = _new_p(UNRELATED.format(about=_letters(page)) + " Tickets cost 35 pounds.")
        new.tail = p.tail
        p.getparent().replace(p, new)
        return Edit(serialise(tree), "sentence_removed", sentences, also=frozenset({"sentence_added"}))
    return None
