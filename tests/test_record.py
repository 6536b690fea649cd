"""storage/record.py and storage/batch.py write decisions: one page through the ORM, quiet pages in a batch.

Both doors write what pipeline/outcome.py decided, on SQLite and PostgreSQL;
a batch whose article moved under it raises Raced and keeps nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, update

from pipeline import outcome
from pipeline.extract import extract
from pipeline.items import FetchedPage
from pipeline.outcome import Rules
from pipeline.pipelines import StorePipeline
from pipeline.quiet import is_quiet
from pipeline.recheck import RecheckPolicy
from pipeline.recording import record_page, record_pages, record_quiet
from storage import batch, queries, record
from storage.batch import Raced
from storage.db import get_engine, open_database, session_scope, transaction
from storage.models import Article, ArticleStatus, Change, Check, CheckOutcome, WarcRecord, utcnow
from storage.record import WRITABLE
from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

# No jitter: two doors must plan the same next check.
RULES = Rules(RecheckPolicy(jitter=0.0), min_ratio=0.2, keep_raw=True)
HTML = article_page(TRUCE_V1.title, TRUCE_V1.paragraphs)
V2_HTML = article_page(TRUCE_V1.title, [p.replace("more than 20,000", "20,057") for p in TRUCE_V1.paragraphs])
T0 = dt.datetime(2026, 11, 25, 9, 0)


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str) -> None:
        self.values[key] = self.values.get(key, 0) + 1


@pytest.fixture
def url(db_url: str) -> str:
    return open_database(db_url)


def _tracked(url: str, n: int, prefix: str) -> list[int]:
    """n articles, each with one version, as a first crawl leaves them."""
    with session_scope(url) as session:
        ids = [queries.get_or_create_article(session, f"http://news.test/{prefix}/{i}-truce")[0].id for i in range(n)]
    for article_id in ids:
        page = FetchedPage(
            article_id,
            f"http://news.test/{article_id}",
            http_status=200,
            html=HTML,
            etag='"v1"',
            body_hash="a" * 40,
            extracted=extract(HTML),
            fetched_at=T0,
        )
        transaction(url, lambda s, page=page: record_page(s, page, RULES, now=T0))  # type: ignore[misc]
    return ids


def _quiet_pages(ids: list[int], at: dt.datetime) -> list[FetchedPage]:
    pages = []
    for i, article_id in enumerate(ids):
        page_url = f"http://news.test/{article_id}"
        if i % 2:
            pages.append(FetchedPage(article_id, page_url, http_status=304, duration_ms=3.0, fetched_at=at))
        else:  # the same bytes again, with a new validator
            pages.append(
                FetchedPage(
                    article_id,
                    page_url,
                    final_url=page_url,
                    http_status=200,
                    etag='"v1b"',
                    body_hash="a" * 40,
                    previous_body_hash="a" * 40,
                    duration_ms=4.0,
                    fetched_at=at,
                )
            )
    return pages


def _state(url: str, ids: list[int]) -> list[tuple[Any, ...]]:
    with session_scope(url) as session:
        rows: list[tuple[Any, ...]] = []
        for a in session.scalars(select(Article).where(Article.id.in_(ids)).order_by(Article.id)):
            checks = session.scalars(select(Check).where(Check.article_id == a.id).order_by(Check.id)).all()
            rows.append(
                (
                    record.state_of(a),
                    [(c.checked_at, c.http_status, c.outcome, c.error, c.version_seq, c.duration_ms) for c in checks],
                )
            )
        return rows


def _check_tuple(check: record.CheckRow) -> tuple[Any, ...]:
    return (check.checked_at, check.http_status, check.outcome, check.error, check.version_seq, check.duration_ms)


def test_one_page_writes_its_decision(url: str) -> None:
    (article_id,) = _tracked(url, 1, "one")
    now = T0 + dt.timedelta(minutes=20)
    moved = f"http://news.test/{article_id}-moved"
    first = FetchedPage(
        article_id,
        f"http://news.test/{article_id}",
        final_url=f"http://news.test/{article_id}",
        http_status=304,
        fetched_at=now - dt.timedelta(minutes=5),
    )
    transaction(url, lambda s: record_page(s, first, RULES, now=now - dt.timedelta(minutes=5)))
    page = FetchedPage(
        article_id,
        f"http://news.test/{article_id}",
        final_url=moved,
        http_status=200,
        html=V2_HTML,
        body_hash="b" * 40,
        previous_body_hash="a" * 40,
        extracted=extract(V2_HTML),
        fetched_at=now,
        duration_ms=9.0,
    )
    decision = transaction(url, lambda s: record_page(s, page, RULES, now=now))
    assert decision.outcome == CheckOutcome.NEW_VERSION and decision.after is not None
    assert "number" in decision.change_kinds and decision.version is not None
    with session_scope(url) as session:
        article = session.get(Article, article_id)
        assert article is not None
        stored = record.state_of(article)
        assert {n: getattr(stored, n) for n in WRITABLE} == {n: getattr(decision.after, n) for n in WRITABLE}
        versions = queries.versions_of(session, article_id)
        assert [v.seq for v in versions] == [1, 2]
        assert (versions[1].text, versions[1].content_hash, versions[1].final_url) == (
            decision.version.text,
            decision.version.content_hash,
            moved,
        )
        assert versions[1].reverts_to is None
        kept = session.scalars(select(WarcRecord).where(WarcRecord.article_id == article_id)).all()
        assert len(kept) == 2, "each version's fetch is kept as WARC records"
        changes = session.scalars(select(Change).where(Change.article_id == article_id).order_by(Change.id)).all()
        assert [(c.kind, c.from_version, c.to_version, c.old, c.new, c.severity, c.detected_at) for c in changes] == [
            (c.kind, c.from_version, c.to_version, c.old, c.new, c.severity, c.detected_at) for c in decision.changes
        ]
        last = queries.checks_of(session, article_id)[-1]
        assert (last.checked_at, last.http_status, last.outcome, last.error, last.version_seq, last.duration_ms) == (
            _check_tuple(decision.check)  # type: ignore[arg-type]
        )


def test_a_deleted_article_writes_nothing(url: str) -> None:
    page = FetchedPage(999, "http://news.test/999", http_status=304)
    decision = transaction(url, lambda s: record_page(s, page, RULES))
    assert decision.check is None and decision.outcome == CheckOutcome.ERROR
    with session_scope(url) as session:
        assert session.scalars(select(Check)).all() == []


def test_a_batch_writes_each_decision_as_one_page_would(url: str) -> None:
    by_batch, one_by_one = _tracked(url, 6, "a"), _tracked(url, 6, "b")
    at, now = T0 + dt.timedelta(minutes=20), T0 + dt.timedelta(minutes=21)
    assert all(is_quiet(p) for p in _quiet_pages(by_batch, at))
    settled, left = transaction(url, lambda s: record_quiet(s, _quiet_pages(by_batch, at), RULES, now=now))
    assert left == [] and [d.outcome.value for _, d in settled] == ["unchanged", "not_modified"] * 3
    for page in _quiet_pages(one_by_one, at):
        transaction(url, lambda s, page=page: record_page(s, page, RULES, now=now))  # type: ignore[misc]
    batch, alone = _state(url, by_batch), _state(url, one_by_one)
    # Other articles, created a moment apart: all else is the same.
    assert [(replace(s, id=0, first_seen_at=T0), c) for s, c in batch] == [
        (replace(s, id=0, first_seen_at=T0), c) for s, c in alone
    ]
    for (state, checks), (_, decision) in zip(batch, settled, strict=True):
        assert state == decision.after and checks[-1] == _check_tuple(decision.check)  # type: ignore[arg-type]
    assert batch[0][0].etag == '"v1b"', "a resent 200 keeps its new validator"


def _loud_pages(url: str, prefix: str, at: dt.datetime) -> list[FetchedPage]:
    """Pages that are not quiet, of new articles and of articles with a version:
    first versions, a revised figure, a failed fetch, a 404, and one article twice."""
    with session_scope(url) as session:
        fresh = [queries.get_or_create_article(session, f"http://news.test/{prefix}/new-{i}")[0].id for i in range(3)]
    stored = _tracked(url, 3, prefix)

    def page(article_id: int, html: str, **kwargs: Any) -> FetchedPage:
        return FetchedPage(
            article_id,
            f"http://news.test/{article_id}",
            http_status=200,
            html=html,
            body_hash=html[-40:],
            extracted=extract(html),
            fetched_at=at,
            **kwargs,
        )

    return [
        *(page(i, article_page(f"{TRUCE_V1.title} {n}", TRUCE_V1.paragraphs)) for n, i in enumerate(fresh)),
        page(stored[0], V2_HTML, previous_body_hash="a" * 40),
        FetchedPage(stored[1], f"http://news.test/{stored[1]}", error="timed out", fetched_at=at),
        FetchedPage(stored[2], f"http://news.test/{stored[2]}", http_status=404, fetched_at=at),
        page(fresh[0], V2_HTML),  # the same article again, after its first version
    ]


def _written(url: str, ids: list[int]) -> list[tuple[Any, ...]]:
    """Everything a page leaves, but the article's id and when it was first seen."""
    out = []
    with session_scope(url) as session:
        for state, checks in _state(url, ids):
            versions = queries.versions_of(session, state.id)
            changes = session.scalars(select(Change).where(Change.article_id == state.id).order_by(Change.id)).all()
            records = session.scalars(select(WarcRecord).where(WarcRecord.article_id == state.id)).all()
            out.append(
                (
                    replace(state, id=0, first_seen_at=T0),
                    checks,
                    [(v.seq, v.text, v.content_hash, v.title) for v in versions],
                    [(c.kind, c.from_version, c.to_version, c.old, c.new, c.old_value, c.new_value) for c in changes],
                    len(records),
                )
            )
    return out


def test_many_pages_in_one_transaction_write_what_each_writes_alone(url: str) -> None:
    at, now = T0 + dt.timedelta(minutes=20), T0 + dt.timedelta(minutes=21)
    together, alone = _loud_pages(url, "m", at), _loud_pages(url, "n", at)
    assert not any(is_quiet(p) for p in together)
    # In the batch's order (by article id) and one at a time in the same order.
    together.sort(key=lambda p: p.article_id)
    alone.sort(key=lambda p: p.article_id)
    decisions = transaction(url, lambda s: record_pages(s, together, RULES, now=now))
    for page in alone:
        transaction(url, lambda s, page=page: record_page(s, page, RULES, now=now))  # type: ignore[misc]
    ids = sorted({p.article_id for p in together})
    assert _written(url, ids) == _written(url, sorted({p.article_id for p in alone}))
    outcomes = sorted(d.outcome.value for d in decisions)
    assert outcomes == sorted(["new_version"] * 5 + ["error", "gone"]), outcomes
    assert sum(len(v) for _, _, v, _, _ in _written(url, ids)) == 3 + 1 + 3 + 1  # first versions, v2, tracked v1s


@contextlib.contextmanager
def _commits(url: str) -> Iterator[list[int]]:
    """The commits on ``url``'s engine while the block runs (the listener goes after it)."""
    from sqlalchemy import event

    counted: list[int] = []

    def count(conn: Any) -> None:
        counted.append(1)

    event.listen(get_engine(url), "commit", count)
    try:
        yield counted
    finally:
        event.remove(get_engine(url), "commit", count)


@pytest.mark.parametrize("batch_size", [64, 1])
def test_the_pipeline_writes_new_versions_many_to_a_transaction(url: str, batch_size: int) -> None:
    """REDLINE_STORE_BATCH governs these pages too: 1 writes each alone."""
    with session_scope(url) as session:
        ids = [queries.get_or_create_article(session, f"http://news.test/f{batch_size}/{i}")[0].id for i in range(5)]
    html = [article_page(f"{TRUCE_V1.title} {i}", TRUCE_V1.paragraphs) for i in range(5)]
    pages = [
        FetchedPage(i, f"http://news.test/{i}", http_status=200, html=h, extracted=extract(h), fetched_at=utcnow())
        for i, h in zip(ids, html, strict=True)
    ]
    pipeline = StorePipeline(url, RULES, _Stats(), batch_size, 0.01)  # type: ignore[arg-type]

    async def crawl() -> list[Any]:
        items = await asyncio.gather(*(pipeline.process_item(p) for p in pages))
        return [item.outcome for item in items]

    with _commits(url) as commits:
        assert asyncio.run(crawl()) == [CheckOutcome.NEW_VERSION] * 5
    assert len(commits) == (1 if batch_size > 1 else 5)
    assert [len(checks) for _, checks in _state(url, ids)] == [1] * 5


def test_a_page_that_fails_its_batch_costs_no_other_page(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = utcnow()
    pages = _loud_pages(url, "x", at)[:4]
    bad = pages[1].article_id
    decide = outcome.decide

    def failing(page: FetchedPage, *args: Any, **kwargs: Any) -> Any:
        if page.article_id == bad:
            raise RuntimeError("a bug in deciding this page")
        return decide(page, *args, **kwargs)

    monkeypatch.setattr(outcome, "decide", failing)
    pipeline = StorePipeline(url, RULES, _Stats(), 64, 0.01)  # type: ignore[arg-type]

    async def crawl() -> list[Any]:
        return await asyncio.gather(*(pipeline.process_item(p) for p in pages), return_exceptions=True)

    results = asyncio.run(crawl())
    assert isinstance(results[1], RuntimeError)
    assert [r.outcome for n, r in enumerate(results) if n != 1] == [CheckOutcome.NEW_VERSION] * 3
    checks = {state.id: len(rows) for state, rows in _state(url, [p.article_id for p in pages])}
    # The bad page's article keeps nothing; the others their check (the tracked one had its first already).
    assert [checks[p.article_id] for p in pages] == [1, 0, 1, 2]


def test_unusual_articles_are_left_to_the_one_page_door(url: str) -> None:
    ids = _tracked(url, 4, "c")
    with session_scope(url) as session:
        session.execute(update(Article).where(Article.id == ids[0]).values(status=ArticleStatus.GONE))
        session.execute(update(Article).where(Article.id == ids[1]).values(last_checked_at=T0 + dt.timedelta(hours=1)))
        fresh = queries.get_or_create_article(session, "http://news.test/c/never-stored-yet-story")[0].id
    at = T0 + dt.timedelta(minutes=20)
    pages = [FetchedPage(i, f"http://news.test/{i}", http_status=304, fetched_at=at) for i in [*ids, fresh, 999]]
    pages.append(replace(pages[2]))  # the same article twice in one batch
    settled, left = transaction(url, lambda s: record_quiet(s, pages, RULES))
    assert [p.article_id for p, _ in settled] == [ids[3]]
    assert [p.article_id for p in left] == [ids[0], ids[1], ids[2], fresh, 999, ids[2]]


def test_an_article_moved_under_the_batch_raises_raced_and_nothing_is_kept(url: str) -> None:
    ids = _tracked(url, 3, "r")
    at = T0 + dt.timedelta(minutes=20)
    pages = [FetchedPage(i, f"http://news.test/{i}", http_status=304, fetched_at=at) for i in ids]

    def store(session: Any) -> None:
        states = batch.lock_states(session, ids)
        decisions = [outcome.decide(p, states[p.article_id], None, RULES, now=at) for p in pages]
        # Another writer's check of the second article lands between the read and the update.
        session.execute(update(Article).where(Article.id == ids[1]).values(last_checked_at=at + dt.timedelta(hours=1)))
        batch.apply_batch(session, decisions)

    with pytest.raises(Raced, match="1 of 3 articles changed under the batch"):
        transaction(url, store)
    assert all(len(checks) == 1 and state.last_checked_at == T0 for state, checks in _state(url, ids))


class _RacingPolicy(RecheckPolicy):
    """Another worker's check lands while the batch is being decided."""

    def plan(self, **kwargs: Any) -> tuple[dt.datetime | None, str]:
        racer = getattr(self, "racer", None)
        if racer is not None:
            object.__setattr__(self, "racer", None)
            db, article_id = racer
            with get_engine(db).begin() as conn:
                later = T0 + dt.timedelta(hours=2)
                conn.execute(update(Article).where(Article.id == article_id).values(last_checked_at=later))
        return super().plan(**kwargs)


def test_a_raced_batch_is_stored_page_by_page_through_the_pipeline(tmp_path: Path) -> None:
    # SQLite only: on PostgreSQL the batch locks its rows (FOR UPDATE), so a racer waits instead.
    db = open_database(f"sqlite:///{tmp_path / 'race.db'}")
    ids = _tracked(db, 3, "d")
    policy = _RacingPolicy(jitter=0.0)
    object.__setattr__(policy, "racer", (db, ids[1]))
    at = T0 + dt.timedelta(minutes=20)
    pages = [FetchedPage(i, f"http://news.test/{i}", http_status=304, fetched_at=at) for i in ids]
    pipeline = StorePipeline(db, replace(RULES, policy=policy), _Stats(), 8, 0.05)  # type: ignore[arg-type]

    async def crawl() -> list[Any]:
        items = await asyncio.gather(*(pipeline.process_item(p) for p in pages))
        return [item.outcome for item in items]

    assert asyncio.run(crawl()) == ["not_modified", "superseded", "not_modified"]
    assert [len(checks) for _, checks in _state(db, ids)] == [2, 2, 2]


def test_the_pipeline_flushes_a_partial_batch_after_its_wait(url: str) -> None:
    ids = _tracked(url, 2, "e")
    pipeline = StorePipeline(url, RULES, _Stats(), 64, 0.01)  # type: ignore[arg-type]
    pages = [FetchedPage(i, f"http://news.test/{i}", http_status=304, fetched_at=utcnow()) for i in ids]

    async def crawl() -> list[Any]:
        items = await asyncio.gather(*(pipeline.process_item(p) for p in pages))
        return [(item.outcome, item.change_kinds) for item in items]

    assert asyncio.run(crawl()) == [(CheckOutcome.NOT_MODIFIED, ())] * 2
    assert [len(checks) for _, checks in _state(url, ids)] == [2, 2]


def _engine(downloading: int = 0, active: int = 0, scheduled: bool = False, started: bool = True) -> Any:
    """The bookkeeping of Scrapy's ExecutionEngine that spider_is_idle reads, as nothing_else_coming reads it."""
    scheduler = SimpleNamespace(has_pending_requests=lambda: scheduled)
    return SimpleNamespace(
        scraper=SimpleNamespace(slot=SimpleNamespace(queue=deque(), active=set(range(active)))),
        downloader=SimpleNamespace(active=set(range(downloading))),
        _start=None if started else object(),
        _slot=SimpleNamespace(scheduler=scheduler),
    )


@pytest.mark.parametrize(
    ("engine", "at_once"),
    [
        (_engine(active=1), True),  # the crawl's last page: written without waiting
        (_engine(active=2), False),  # another response is still in the spider or extraction
        (_engine(active=1, downloading=1), False),
        (_engine(active=1, scheduled=True), False),
        (_engine(active=1, started=False), False),  # start requests still to come
        (SimpleNamespace(), False),  # an engine that keeps its books elsewhere: the timer decides
    ],
)
def test_a_batch_is_written_at_once_when_nothing_else_can_join_it(url: str, engine: Any, at_once: bool) -> None:
    (article_id,) = _tracked(url, 1, f"last{at_once}{id(engine)}")
    crawler = SimpleNamespace(engine=engine)
    pipeline = StorePipeline(url, RULES, _Stats(), 64, 60.0, crawler)  # type: ignore[arg-type]
    page = FetchedPage(article_id, f"http://news.test/{article_id}", http_status=304, fetched_at=utcnow())

    async def queue_one() -> bool:
        future = pipeline._queue(page, True)
        written = future.done()
        pipeline.flush()  # what the 60 s timer would do
        return written and (await future).outcome == CheckOutcome.NOT_MODIFIED

    assert asyncio.run(queue_one()) is at_once
    assert [len(checks) for _, checks in _state(url, [article_id])] == [2]


def test_the_last_page_does_not_wait_for_a_written_batch_to_leave_the_engine(url: str) -> None:
    """A full batch is written; the crawl's last page arrives while the engine
    still counts the batch's pages (Scrapy lets them go a few loop turns after
    their decisions). Once they have left, the last page is written, long
    before its 60 s wait runs out."""
    ids = _tracked(url, 3, "drain")
    engine = _engine(active=3)
    pipeline = StorePipeline(url, RULES, _Stats(), 2, 60.0, SimpleNamespace(engine=engine))  # type: ignore[arg-type]
    pages = [FetchedPage(i, f"http://news.test/{i}", http_status=304, fetched_at=utcnow()) for i in ids]

    async def crawl() -> CheckOutcome:
        first = [pipeline._queue(page, True) for page in pages[:2]]  # a full batch: written at once
        assert all(f.done() for f in first)
        last = pipeline._queue(pages[2], True)
        assert not last.done()  # the batch's two pages are still in the engine's books
        await asyncio.sleep(0.05)
        assert not last.done()
        engine.scraper.slot.active = {2}  # Scrapy lets the written pages go
        return (await asyncio.wait_for(last, 5)).outcome

    assert asyncio.run(crawl()) == CheckOutcome.NOT_MODIFIED
    assert [len(checks) for _, checks in _state(url, ids)] == [2, 2, 2]


@pytest.mark.timeout(300)  # a liveness bound: without the engine's answer this crawl would wait an hour
def test_a_real_crawls_last_batch_does_not_wait_for_its_timer(site: LocalSite, redline: Redline) -> None:
    """Scrapy's own engine: once its last pages are queued, the batch is written
    then, not when REDLINE_STORE_BATCH_WAIT (here an hour) runs out."""
    urls = [site.put(f"/story-{n}", article_page(f"{TRUCE_V1.title} {n}", TRUCE_V1.paragraphs)) for n in range(3)]
    redline("track", *urls)
    redline("crawl", "--all", "-s", "AUTOTHROTTLE_ENABLED=False")
    redline("crawl", "--all", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "REDLINE_STORE_BATCH_WAIT=3600")
    assert [[c["outcome"] for c in redline.json("checks", u)["checks"]] for u in urls] == [
        ["new_version", "not_modified"]  # the local site answers its ETags: three quiet 304s, one batch
    ] * 3


def test_the_batch_door_loads_no_orm_objects(url: str) -> None:
    ids = _tracked(url, 4, "orm")
    pages = _quiet_pages(ids, T0 + dt.timedelta(minutes=20))

    def checks() -> list[int]:
        with session_scope(url) as session:
            return sorted(session.scalars(select(Check.article_id).where(Check.article_id.in_(ids))).all())

    before = checks()
    with session_scope(url) as session:
        settled, left = record_quiet(session, pages, RULES, now=T0 + dt.timedelta(minutes=21))
        assert len(settled) == 4 and left == []
        assert list(session.identity_map.values()) == []  # rows read and written as rows
    assert checks() == sorted([*before, *ids])


def test_an_unreachable_database_fails_a_batch_of_new_versions_once(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not once for the batch and again for each page alone: every retry of each would wait as long."""
    from sqlalchemy.exc import OperationalError

    import pipeline.pipelines as pipelines

    pages = _loud_pages(url, "u", utcnow())[:3]
    tries: list[int] = []

    def unreachable(db: str, work: Any, **kwargs: Any) -> Any:
        tries.append(1)
        raise OperationalError("COMMIT", {}, Exception("the server closed the connection"))

    monkeypatch.setattr(pipelines, "transaction", unreachable)
    pipeline = StorePipeline(url, RULES, _Stats(), 64, 0.01)  # type: ignore[arg-type]

    async def crawl() -> list[Any]:
        return await asyncio.gather(*(pipeline.process_item(p) for p in pages), return_exceptions=True)

    assert all(isinstance(r, OperationalError) for r in asyncio.run(crawl()))
    assert len(tries) == 1
