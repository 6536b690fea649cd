"""The gate's page facts (pipeline/gate.py ``_facts``) are read in two walks of
the tree; they are what one query per list finds (the reference below, the
gate's earlier code), on synthetic pages and on every churn and edit variant
of the real pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from pipeline import gate
from pipeline.pagefacts import ld_article_of
from tests.articles import TRUCE_V1, article_page

REALPAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "realpages"


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


def _same(html: str) -> bool:
    tree = LexborHTMLParser(html)
    return gate._facts(tree) == _facts_one_query_per_list(tree)


def test_facts_of_a_synthetic_page_with_every_kind_of_fact() -> None:
    html = article_page(TRUCE_V1.title, list(TRUCE_V1.paragraphs), byline="A. Reporter", modified="2026-11-21T09:00Z")
    html = html.replace("</head>", '<link rel="canonical" href="/a/1"><title>Second</title></head>', 1)
    html = html.replace("<body>", '<body><h1>Another h1</h1><span itemprop="author">B. Writer</span>', 1)
    assert _same(html)
    assert all(_facts_one_query_per_list(LexborHTMLParser(html))[2:5])


@pytest.mark.realpages
@pytest.mark.slow
@pytest.mark.skipif(not (REALPAGES / "ground-truth.json").exists(), reason="../shared/realpages is absent")
def test_facts_of_every_real_page_variant() -> None:
    from bench.pageedits import CHURN, EDITS
    from pipeline.extract import extract
    from tests.churn import load_pages, parse, serialise

    differ = []
    for page in load_pages(REALPAGES):
        html = serialise(parse(page.html))
        first = extract(html, page.url)
        variants = [page.html, html, *(fn(page, html, n) for fn in CHURN.values() for n in (1, 2))]
        variants += [e.html for fn in EDITS.values() if (e := fn(page, html, first.text, first.title)) is not None]
        differ += [page.id for v in variants if not _same(v)]
    assert differ == []
