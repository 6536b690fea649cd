"""The gate's page facts (pipeline/gatefacts.py ``read_facts``) are read in two walks
of the tree; they are what one query per list finds (the reference below: how
the gate's earlier code found the nodes, read by the same ``facts_of``), on a
synthetic page here and on every churn and edit variant of the real pages in
tests/test_gate.py (which makes those variants for its own proof); and of the
title, h1 and byline nodes they hold what extraction reads, not every node
that looks like one."""

from __future__ import annotations

from typing import Any

from selectolax.lexbor import LexborHTMLParser

from pipeline import gate, gatefacts
from pipeline.extract import extract
from tests.articles import TRUCE_V1, article_page


def _facts_one_query_per_list(tree: LexborHTMLParser) -> list[Any]:
    """The nodes found as the gate's earlier code found them, one query per list."""
    queries = {
        "meta": "meta",
        "script": 'script[type="application/ld+json"]',
        "title": "title",
        "h1": "h1",
        "link": 'link[rel="canonical"]',
    }
    found = {tag: tree.css(query) for tag, query in queries.items()}
    bylines = tree.css('[rel="author"], [itemprop="author"], [class*="byline"], [class*="author-name"]')
    return gatefacts.facts_of(found, bylines)


def same_facts(html: str) -> bool:
    tree = LexborHTMLParser(html)
    return gatefacts.read_facts(tree) == _facts_one_query_per_list(tree)


def test_facts_of_a_synthetic_page_with_every_kind_of_fact() -> None:
    html = article_page(TRUCE_V1.title, list(TRUCE_V1.paragraphs), byline="A. Reporter", modified="2026-11-21T09:00Z")
    html = html.replace("</head>", '<link rel="canonical" href="/a/1"><title>Second</title></head>', 1)
    html = html.replace("<body>", '<body><h1>Another h1</h1><span itemprop="author">B. Writer</span>', 1)
    assert same_facts(html)
    assert all(_facts_one_query_per_list(LexborHTMLParser(html))[2:5])


# The gate hashes what extraction reads of the byline, title and h1 nodes,
# not every node that looks like one (sharing bars, icons, rails move around).

URL = "http://news.test/a/1-truce"
SHARE = " ".join(["Share this story on", *["Facebook", "Twitter", "LinkedIn", "Email", "WhatsApp", "Reddit"] * 3])
BOX = f'<div class="byline share">By Staff reporter, 20 November 2026. {SHARE}</div>'


def _page(after_header: str = "", in_footer: str = "") -> str:
    html = article_page(TRUCE_V1.title, list(TRUCE_V1.paragraphs))
    html = html.replace("</header>", "</header>" + after_header, 1)
    return html.replace("<footer>", "<footer>" + in_footer, 1)


def _gate_open(before: str, after: str) -> bool:
    key = gate.learn(before, extract(before, URL), URL)
    assert key is not None
    return gate.unchanged(after, key, URL)


def test_a_reordered_sharing_box_extraction_skips_keeps_the_gate_open() -> None:
    reordered = BOX.replace(SHARE, " ".join(reversed(SHARE.split())))
    before, after = _page(BOX), _page(reordered)
    assert len(SHARE) > 150 and extract(before, URL) == extract(after, URL)
    assert _gate_open(before, after)


def test_a_byline_box_extraction_would_now_read_closes_the_gate() -> None:
    before = _page(BOX)
    after = _page('<div class="byline share">By Staff reporter and Ann Other</div>')
    assert extract(before, URL).byline != extract(after, URL).byline
    assert not _gate_open(before, after)


def test_an_empty_author_link_moving_keeps_the_gate_open() -> None:
    link = '<a rel="author" href="/staff"><img src="/staff.png" alt=""></a>'
    before, after = _page(after_header=link), _page(in_footer=link)
    assert extract(before, URL) == extract(after, URL)
    assert _gate_open(before, after)


def test_icon_titles_and_a_second_h1_are_not_headlines() -> None:
    icons = ["<svg><title>Facebook icon</title></svg>", "<svg><title>Twitter icon</title></svg>"]
    before = _page(in_footer="".join(icons) + "<h1>More from the Courier</h1>")
    after = _page(in_footer="".join(reversed(icons)) + "<h1>Read more from the Courier</h1>")
    assert extract(before, URL) == extract(after, URL)
    assert _gate_open(before, after)
    retitled = before.replace(f"<h1>{TRUCE_V1.title}</h1>", "<h1>Truce talks collapse</h1>", 1)
    assert extract(retitled, URL).title != extract(before, URL).title
    assert not _gate_open(before, retitled)
