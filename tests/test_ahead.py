"""A new version classified in its extraction worker (pipeline/ahead.py): the
store keeps those records only against the version the worker read, and a crawl
with workers reports what a crawl without them does."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from pipeline.ahead import Ahead, classify_ahead, content_hash, snapshot_of
from pipeline.background import background_from
from pipeline.classify import ChangeRecord, classify
from pipeline.extract import extract
from pipeline.items import FetchedPage
from pipeline.outcome import Rules
from pipeline.pipelines import ExtractPipeline
from pipeline.recheck import RecheckPolicy
from pipeline.recording import record_page
from storage import queries, record
from storage.db import open_database, session_scope, shared_between_processes, transaction
from storage.models import Change
from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

RULES = Rules(RecheckPolicy(jitter=0.0), min_ratio=0.2, keep_raw=True)
V1 = article_page(TRUCE_V1.title, TRUCE_V1.paragraphs)
V2 = article_page(
    "Truce talks falter as Gaza death toll passes 20,000",
    [p.replace("more than 20,000", "20,057") for p in TRUCE_V1.paragraphs],
)
T0 = dt.datetime(2026, 11, 25, 9, 0)
FERRY = article_page(
    "Ferry fares to rise",
    [
        "The council approved a rise of 4% in ferry fares for next spring, citing fuel costs.",
        "Season tickets rise by less, and children under five still travel free on every crossing.",
        "Operators said the timetable would not change, though two winter sailings may be merged.",
    ],
)
SENTINEL = (ChangeRecord("metadata", "old words", "new words", details={"reason": "classified ahead"}),)


def _page(article_id: int, html: str, at: dt.datetime, ahead: Ahead | None = None) -> FetchedPage:
    return FetchedPage(
        article_id,
        "http://news.test/world/truce",
        http_status=200,
        html=html,
        body_hash=str(hash(html)),
        extracted=extract(html),
        fetched_at=at,
        ahead=ahead,
    )


@pytest.fixture
def stored(db_url: str) -> tuple[str, int]:
    """An article with one version (V1) and a sibling on its site."""
    url = open_database(db_url)
    with session_scope(url) as session:
        ids = [queries.get_or_create_article(session, f"http://news.test/world/{n}")[0].id for n in ("truce", "ferry")]
    for article_id, html in zip(ids, (V1, FERRY), strict=True):
        transaction(url, lambda s, a=article_id, h=html: record_page(s, _page(a, h, T0), RULES, now=T0))  # type: ignore[misc]
    return url, ids[0]


def _changes(url: str, article_id: int) -> list[tuple[object, ...]]:
    with session_scope(url) as session:
        rows = session.query(Change).filter(Change.article_id == article_id).order_by(Change.id)
        return [(c.kind, c.old, c.new, c.old_value, c.new_value, c.context, c.from_version, c.to_version) for c in rows]


def test_the_worker_reads_and_classifies_what_the_store_would(stored: tuple[str, int]) -> None:
    url, article_id = stored
    new = extract(V2)
    ahead = classify_ahead(url, article_id, new)
    assert ahead is not None
    with session_scope(url) as session:
        inputs = record.classification_inputs(session, article_id)
        assert inputs is not None
        version, history = inputs
        assert history.siblings  # the site's other article is read
        expected = tuple(classify(snapshot_of(version), snapshot_of(new), background_from(history)))
        assert (ahead.seq, ahead.content_hash, ahead.digest) == (1, version.content_hash, content_hash(new))
    assert ahead.records == expected
    assert {r.kind for r in ahead.records} >= {"headline", "number"}


def test_the_store_keeps_the_records_classified_ahead(stored: tuple[str, int]) -> None:
    url, article_id = stored
    real = classify_ahead(url, article_id, extract(V2))
    assert real is not None
    forged = dataclasses.replace(real, records=SENTINEL)  # what the store writes says whose records they are
    at = T0 + dt.timedelta(hours=1)
    transaction(url, lambda s: record_page(s, _page(article_id, V2, at, forged), RULES, now=at))
    assert _changes(url, article_id) == [("metadata", "old words", "new words", None, None, None, 1, 2)]


@pytest.mark.parametrize("stale", ["seq", "content_hash", "digest"])
def test_records_classified_against_another_version_are_classified_again(stored: tuple[str, int], stale: str) -> None:
    """The worker read version 1; had another version been stored since (or its
    text extracted differently), the store classifies against what it reads."""
    url, article_id = stored
    real = classify_ahead(url, article_id, extract(V2))
    assert real is not None
    other: dict[str, object] = {stale: 7 if stale == "seq" else "0" * 32}
    forged = dataclasses.replace(real, records=SENTINEL, **other)  # type: ignore[arg-type]
    at = T0 + dt.timedelta(hours=1)
    transaction(url, lambda s: record_page(s, _page(article_id, V2, at, forged), RULES, now=at))
    rows = _changes(url, article_id)
    kinds = [row[0] for row in rows]
    assert "headline" in kinds and "number" in kinds
    assert ("metadata", "old words") not in [row[:2] for row in rows]


def test_nothing_is_classified_ahead_without_something_to_compare(stored: tuple[str, int]) -> None:
    url, article_id = stored
    assert classify_ahead(url, article_id, extract(V1)) is None  # the stored content itself
    with session_scope(url) as session:
        fresh = queries.get_or_create_article(session, "http://news.test/world/new")[0].id
    assert classify_ahead(url, fresh, extract(V2)) is None  # no version yet
    assert classify_ahead(url, 10_000, extract(V2)) is None  # no such article
    # A database the worker cannot reach: no records, no exception (the store classifies).
    assert classify_ahead("postgresql+psycopg://nobody@127.0.0.1:1/none", article_id, extract(V2)) is None


def test_only_a_database_other_processes_reach_is_read_ahead(tmp_path: Path) -> None:
    assert shared_between_processes(f"sqlite:///{tmp_path}/redline.db")
    assert shared_between_processes("postgresql+psycopg://root@127.0.0.1:5432/redline")
    assert not shared_between_processes("sqlite://")
    assert not shared_between_processes("sqlite:///:memory:")
    pipeline = ExtractPipeline({}, 1, True, 0.5, db_url=f"sqlite:///{tmp_path}/redline.db")
    pipeline.open_spider()
    page = _page(3, V2, T0)
    assert pipeline._ahead_for(page) is None  # no 200 stored before: nothing to compare with
    page.previous_body_hash = "b" * 32
    assert pipeline._ahead_for(page) == (open_database(f"sqlite:///{tmp_path}/redline.db"), 3)
    memory = ExtractPipeline({}, 1, True, 0.5, db_url="sqlite://")
    memory.open_spider()
    assert memory._ahead_for(page) is None


@pytest.mark.parametrize("processes", ["1", "0"])
def test_a_crawl_reports_the_same_changes_with_workers_classifying(
    site: LocalSite, redline: Redline, processes: str
) -> None:
    """Through the CLI: with a worker (which classifies the new version) and
    without (the store classifies), the same two records."""
    url = site.put("/world/truce-talks", V1)
    other = site.put("/local/ferry", FERRY)
    redline("track", url, other)
    crawl = ("-v", "crawl", "--all", "-s", f"REDLINE_EXTRACT_PROCESSES={processes}")
    redline(*crawl)
    site.put("/world/truce-talks", V2)
    second = redline(*crawl)
    in_worker = "'redline/classified_in_worker': 1" in second.stderr
    assert in_worker is (processes == "1"), (second.stdout[-2000:], second.stderr[-2000:])
    changes = redline.json("changes")
    assert sorted(c["kind"] for c in changes) == ["headline", "number"]
    number = next(c for c in changes if c["kind"] == "number")
    assert (number["old_value"], number["new_value"], number["context"]) == (20000.0, 20057.0, "people killed")
