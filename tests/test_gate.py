"""The gate (pipeline/gate.py): furniture churn skips extraction, and it never
calls a page unchanged where full extraction would differ — proved on
synthetic pages, on every churn and edit variant of the 67 real pages and on
every consecutive pair of the real captures."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.settings import Settings

from pipeline import gate
from pipeline.decoding import decode_keeping_utf8
from pipeline.extract import decode_html, extract, meta_fallback, parse_page, prune_link_blocks
from pipeline.items import FetchedPage
from pipeline.pipelines import ExtractPipeline
from tests.articles import TRUCE_V1, article_page
from tests.captures import BUNDLE, captures

REALPAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "realpages"
SHARDS = 4  # the real-capture proof's shards, run side by side (_capture_shard)
URL = "http://news.test/a/1-truce"


def _page(**kwargs: Any) -> str:
    paragraphs = kwargs.pop("paragraphs", TRUCE_V1.paragraphs)
    return article_page(kwargs.pop("title", TRUCE_V1.title), list(paragraphs), **kwargs)


def _key(html: str) -> str:
    key = gate.learn(html, extract(html, URL), URL)
    assert key is not None
    return key


def test_furniture_churn_keeps_the_key_and_the_extraction() -> None:
    before = _page()
    after = _page(nav_counter=9, most_read=["Another story", "And another one", "A third"])
    assert gate.unchanged(after, _key(before), URL)
    assert extract(before, URL) == extract(after, URL)


@pytest.mark.parametrize(
    "change",
    [
        {"paragraphs": [p.replace("20,000", "20,057") for p in TRUCE_V1.paragraphs]},
        {"paragraphs": [*TRUCE_V1.paragraphs, "Correction: an earlier version misstated the date."]},
        {"paragraphs": TRUCE_V1.paragraphs[1:]},
        {"paragraphs": [TRUCE_V1.paragraphs[1], TRUCE_V1.paragraphs[0], *TRUCE_V1.paragraphs[2:]]},
        {"title": "Truce talks collapse"},
        {"byline": "Another reporter"},
        {"modified": "2026-11-21T09:00:00Z"},
    ],
    ids=["figure", "paragraph added", "paragraph removed", "paragraphs swapped", "headline", "byline", "modified"],
)
def test_any_article_change_closes_the_gate(change: dict[str, Any]) -> None:
    assert "20,000" in " ".join(TRUCE_V1.paragraphs)
    assert not gate.unchanged(_page(**change), _key(_page()), URL)


def test_new_structure_in_the_article_is_doubt() -> None:
    """A box of a kind the article never had (an editor's note) may be kept by
    the extractor: the gate does not guess, it sends the page to extraction."""
    before = _page()
    after = before.replace("</article>", '<div class="note"><p>Editor\'s note: names were changed.</p></div></article>')
    assert not gate.unchanged(after, _key(before), URL)


def test_a_page_that_cannot_be_placed_has_no_key() -> None:
    assert gate.learn("<html><body><p>short</p></body></html>", extract("<p>short</p>"), URL) is None
    key = _key(_page())
    assert not gate.unchanged(_page(), key.rsplit(" ", 1)[0] + ' [["html",null,0],["div","gone",0]]', URL)
    assert not gate.unchanged("", key, URL)
    assert not gate.unchanged(_page(), gate.NO_KEY, URL)
    assert not gate.unchanged(_page(), "da39a3ee5e6b4b0d3255bfef95601890afd80709 /html/body/main", URL)  # a region key


LINK_BLOCKS = """<html><body>
<ul><li> <a href="/1">Ferry fares rise</a> </li><li><a href="/2">Storm</a><!-- ad slot --></li>
<li><a href="/3">Markets</a> slip</li><li>Read: <a href="/4">Markets</a></li></ul>
<div><span> <b><a href="/5">Tags</a></b> </span>
<p>A sentence with <a href="/6">a link</a> in it.</p><p><a href="/7">Only a link</a><br>\n</p>
<p>Reported <span><a href="/s">in a span</a></span> here.</p><ul><li><h3><a href="/t">Teaser</a></h3><p>x</p></li></ul>
<p><a href="/8">One</a><a href="/9">Two</a></p><h3><a href="/10"><em>Teaser</em></a></h3>
<div><script>var x = 1;</script><a href="/11">After a script</a></div>
<span><a href="/12"></a>   </span><p>\n<!-- c --><a href="/13">Commented</a><?pi x?></p></div>
</body></html>"""


def test_holds_only_answers_what_comparing_text_content_would() -> None:
    """prune_link_blocks asks whether a block holds nothing but one child's
    text; the shortcut must agree with text_content() on every pair."""
    from pipeline.extract import _holds_only

    tree = parse_page(LINK_BLOCKS)
    assert tree is not None
    pairs = [(p, c) for p in tree.iter() if isinstance(p.tag, str) for c in p if isinstance(c.tag, str)]
    assert len(pairs) > 30
    answers = [(_holds_only(p, c), p.text_content().strip() == c.text_content().strip()) for p, c in pairs]
    assert [fast for fast, _ in answers] == [slow for _, slow in answers]
    assert {fast for fast, _ in answers} == {True, False}


def test_the_gate_prunes_the_link_blocks_extraction_prunes() -> None:
    tree = parse_page(LINK_BLOCKS)
    assert tree is not None
    prune_link_blocks(tree)
    body = gate._parse(LINK_BLOCKS)
    assert body is not None and body.body is not None
    assert gate._prune_link_blocks(body.body)
    assert body.body.text(deep=True).split() == tree.find("body").text_content().split()


def _pipeline(**overrides: object) -> ExtractPipeline:
    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.update(overrides, priority="cmdline")
    return ExtractPipeline.from_crawler(SimpleNamespace(settings=settings, spider=None))  # type: ignore[arg-type]


@pytest.mark.parametrize("on", [True, False])
def test_redline_gate_switches_the_gate(on: bool) -> None:
    pipeline = _pipeline(REDLINE_EXTRACT_PROCESSES=0, **({} if on else {"REDLINE_GATE": False}))
    first = asyncio.run(pipeline.process_item(FetchedPage(1, URL, http_status=200, html=_page())))
    again = FetchedPage(1, URL, http_status=200, html=_page(nav_counter=8), previous_region_key=first.region_key)
    again = asyncio.run(pipeline.process_item(again))
    assert bool(first.region_key) is on
    assert again.same_region is on
    assert (again.extracted is None) is on


# The proof on real pages: every churn and edit variant bench/pageedits.py makes.


def _extraction_differs_wherever_the_gate_closes(pages: list[Any]) -> tuple[int, int, int]:
    """Also checks, on the same variants, that the gate's two-walk page facts are
    what one query per list finds (tests/test_gate_facts.py)."""
    from bench.pageedits import CHURN, EDITS
    from tests.churn import parse, serialise
    from tests.test_gate_facts import same_facts

    placed = checked = opened = 0
    for page in pages:
        html = serialise(parse(page.html))
        first = extract(html, page.url)
        if first.meta_fallback is not None:  # what the gate recomputes on the next fetch
            assert meta_fallback(html, page.url) == first.meta_fallback
        # A crawl's gate parses the page's bytes where they are its UTF-8 (pipeline/examine.py): the same key.
        key = gate.learn(html.encode(), first, page.url)
        assert key == gate.learn(html, first, page.url), f"{page.id}: the bytes were parsed to another tree"
        placed += key is not None
        variants = [fn(page, html, n) for fn in CHURN.values() for n in (1, 2)]
        variants += [e.html for fn in EDITS.values() if (e := fn(page, html, first.text, first.title)) is not None]
        assert all(same_facts(v) for v in [page.html, html, *variants]), f"{page.id}: the page facts differ"
        for variant in variants:
            checked += 1
            if key is not None and gate.unchanged(variant.encode(), key, page.url):
                opened += 1
                assert extract(variant, page.url) == first, f"{page.id}: the gate let an edit through"
    return placed, checked, opened


@pytest.mark.realpages
@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(not (REALPAGES / "ground-truth.json").exists(), reason="../shared/realpages is absent")
def test_real_pages_every_churn_and_edit_variant() -> None:
    from tests.churn import load_pages

    pages = load_pages(REALPAGES)
    placed, checked, opened = _extraction_differs_wherever_the_gate_closes(pages)
    assert placed >= 0.99 * len(pages), f"placed {placed} of {len(pages)}"
    assert checked > 1100 and opened > 300


def _capture_shard(shard: int) -> tuple[int, int, int, int]:
    """Every SHARDS-th page of the captures: each capture is learned as a crawl
    would (after its extraction) and the next one is gated with that key; an
    open gate must mean equal extractions. (learnable, placed, pairs, opened)."""
    learnable = placed = pairs = opened = 0
    for n, capture in enumerate(captures()):
        if n % SHARDS != shard:
            continue
        key = None
        last = None
        for raw in capture.versions:
            html = decode_html(raw)
            # What a crawl's gate parses (pipeline/examine.py): the bytes where they are the text's UTF-8.
            text, utf8 = decode_keeping_utf8(raw, None)
            parsed = html if utf8 is None else utf8
            assert utf8 is None or text == html
            now = extract(html, capture.url)
            if last is not None:
                pairs += 1
                if gate.unchanged(parsed, key, capture.url):
                    opened += 1
                    assert now == last, f"{capture.path}: the gate let a change through"
            key = gate.learn(parsed, now, capture.url) if not now.is_empty else None
            assert key is None or key == gate.learn(html, now, capture.url), f"{capture.path}: another tree"
            learnable += not now.is_empty
            placed += key is not None
            last = now
    return learnable, placed, pairs, opened


@pytest.mark.realpages
@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.skipif(not BUNDLE.exists(), reason="../shared/realrevisions is absent")
def test_real_captures_every_consecutive_pair() -> None:
    """The proof over every consecutive pair of real captures, its shards on every core
    (it was the suite's longest test by far: 150 s on one)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(SHARDS, os.cpu_count() or 1), mp_context=context) as pool:
        learnable, placed, pairs, opened = (sum(t) for t in zip(*pool.map(_capture_shard, range(SHARDS)), strict=True))
    assert pairs > 2000 and opened > 1500
    assert placed >= 0.99 * learnable, f"placed {placed} of {learnable} extractable captures"


def test_a_gated_page_is_a_quiet_unchanged_check_counted_apart(tmp_path: Path) -> None:
    """Through both pipelines: the gate's "unchanged" takes the quiet batch path
    and is counted as redline/unchanged/gate, apart from an extracted one."""
    from pipeline.pipelines import StorePipeline
    from storage.db import open_database, session_scope
    from storage.models import CheckOutcome, utcnow
    from storage.queries import get_or_create_article
    from tests.test_record import RULES, _Stats

    db = open_database(f"sqlite:///{tmp_path / 'gate.db'}")
    with session_scope(db) as session:
        article_id = get_or_create_article(session, URL)[0].id
    stats = _Stats()
    store = StorePipeline(db, RULES, stats, 64, 0.01)  # type: ignore[arg-type]

    def run(extract_with: ExtractPipeline, page: FetchedPage) -> FetchedPage:
        async def both() -> FetchedPage:
            return await store.process_item(await extract_with.process_item(page))

        return asyncio.run(both())

    def fetch(html: str, n: int, key: str | None) -> FetchedPage:
        return FetchedPage(
            article_id,
            URL,
            http_status=200,
            html=html,
            body_hash=f"{n}" * 40,
            previous_body_hash=f"{n - 1}" * 40,
            previous_region_key=key,
            fetched_at=utcnow(),
        )

    gated = _pipeline(REDLINE_EXTRACT_PROCESSES=0)
    first = run(gated, fetch(_page(), 1, None))
    assert first.outcome == CheckOutcome.NEW_VERSION and first.region_key
    again = run(gated, fetch(_page(nav_counter=8), 2, first.region_key))
    assert (again.outcome, again.same_region, again.extracted) == (CheckOutcome.UNCHANGED, True, None)
    full = run(_pipeline(REDLINE_EXTRACT_PROCESSES=0, REDLINE_GATE=False), fetch(_page(nav_counter=9), 3, None))
    assert full.outcome == CheckOutcome.UNCHANGED and full.extracted is not None
    assert stats.values["redline/unchanged/gate"] == 1
    assert stats.values["redline/unchanged/extracted"] == 1
    assert stats.values["redline/checks/unchanged"] == 2
