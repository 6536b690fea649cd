"""The gate's page facts (pipeline/gate.py ``_facts``) are read in two walks
of the tree; they are what one query per list finds (the reference below: how
the gate's earlier code found the nodes, read by the same ``facts_of``), on a
synthetic page here and on every churn and edit variant of the real pages in
tests/test_gate.py (which makes those variants for its own proof)."""

from __future__ import annotations

from typing import Any

from selectolax.lexbor import LexborHTMLParser

from pipeline import gate
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
    return gate.facts_of(found, bylines)


def same_facts(html: str) -> bool:
    tree = LexborHTMLParser(html)
    return gate._facts(tree) == _facts_one_query_per_list(tree)


def test_facts_of_a_synthetic_page_with_every_kind_of_fact() -> None:
    html = article_page(TRUCE_V1.title, list(TRUCE_V1.paragraphs), byline="A. Reporter", modified="2026-11-21T09:00Z")
    html = html.replace("</head>", '<link rel="canonical" href="/a/1"><title>Second</title></head>', 1)
    html = html.replace("<body>", '<body><h1>Another h1</h1><span itemprop="author">B. Writer</span>', 1)
    assert same_facts(html)
    assert all(_facts_one_query_per_list(LexborHTMLParser(html))[2:5])
