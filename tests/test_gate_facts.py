"""The gate's page facts (pipeline/gate.py ``_facts``) are read in two walks of
the tree; they are what one query per list finds (the reference below, the
gate's earlier code), on a synthetic page here and on every churn and edit
variant of the real pages in tests/test_gate.py (which makes those variants
for its own proof)."""

from __future__ import annotations

from typing import Any

from selectolax.lexbor import LexborHTMLParser

from pipeline import gate
from pipeline.pagefacts import ld_article_of
from tests.articles import TRUCE_V1, article_page


def _facts_one_query_per_list(tree: LexborHTMLParser) -> list[Any]:
    metas: dict[tuple[str, str], str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        content = attrs.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop"):
            value = attrs.get(attr)
            if value is not None:
                metas.setdefault((attr, value), content)
    spaces = gate._spaces
    raw = gate._RAW_METAS
    declared = sorted((k, v if k[1] in raw else spaces(v)) for k, v in metas.items() if k[1] in gate._FACT_METAS)
    ld = ld_article_of(node.text() for node in tree.css('script[type="application/ld+json"]'))
    bylines = tree.css('[rel="author"], [itemprop="author"], [class*="byline"], [class*="author-name"]')
    return [
        declared,
        [spaces(ld.get(k)) for k in ("headline", "author", "datePublished", "dateModified")],
        [spaces(n.text()) for n in tree.css("title")],
        [spaces(n.text()) for n in tree.css("h1")],
        [n.attributes.get("href") for n in tree.css('link[rel="canonical"]')],
        [spaces(n.attributes.get("content") or n.text()) for n in bylines],
    ]


def same_facts(html: str) -> bool:
    tree = LexborHTMLParser(html)
    return gate._facts(tree) == _facts_one_query_per_list(tree)


def test_facts_of_a_synthetic_page_with_every_kind_of_fact() -> None:
    html = article_page(TRUCE_V1.title, list(TRUCE_V1.paragraphs), byline="A. Reporter", modified="2026-11-21T09:00Z")
    html = html.replace("</head>", '<link rel="canonical" href="/a/1"><title>Second</title></head>', 1)
    html = html.replace("<body>", '<body><h1>Another h1</h1><span itemprop="author">B. Writer</span>', 1)
    assert same_facts(html)
    assert all(_facts_one_query_per_list(LexborHTMLParser(html))[2:5])
