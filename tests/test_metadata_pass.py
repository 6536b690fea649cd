"""Extraction's metadata pass (pipeline/extract.py ``_metadata_pass``) runs only
the steps of trafilatura's ``extract_metadata`` that its title and date depend
on: on every real page, pruned as extraction prunes it, both give the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from trafilatura.metadata import extract_metadata

from pipeline.extract import _DATE_PARAMS, _metadata_pass, normalise_line, parse_page, prune_link_blocks
from tests.articles import TRUCE_V1, article_page
from tests.churn import load_pages

REALPAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "realpages"


def _both(html: str, url: str | None) -> tuple[tuple[str | None, str | None], tuple[str | None, str | None]]:
    tree = parse_page(html)
    assert tree is not None
    prune_link_blocks(tree)
    full = extract_metadata(tree, url, _DATE_PARAMS, True, set())
    return _metadata_pass(tree, url), (normalise_line(full.title), full.date)


def test_the_metadata_pass_finds_what_extract_metadata_finds_on_a_page_without_declarations() -> None:
    # No og:title, no JSON-LD, no date meta: the title comes from the page, the date from htmldate.
    html = article_page(TRUCE_V1.title, list(TRUCE_V1.paragraphs))
    ours, theirs = _both(html, "http://news.test/a/1")
    assert ours == theirs


@pytest.mark.realpages
@pytest.mark.skipif(not (REALPAGES / "ground-truth.json").exists(), reason="../shared/realpages is absent")
def test_the_metadata_pass_finds_what_extract_metadata_finds_on_every_real_page() -> None:
    pages = load_pages(REALPAGES)
    differ = [(p.url, *_both(p.html, p.url)) for p in pages]
    assert [d for d in differ if d[1] != d[2]] == []
    assert any(d[1][0] for d in differ) and any(d[1][1] for d in differ)
