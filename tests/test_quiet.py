"""Quiet pages written in batches (pipeline/quiet.py) leave exactly what store_page would."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from pipeline.extract import extract
from pipeline.items import FetchedPage
from pipeline.pipelines import StorePipeline
from pipeline.quiet import Raced, is_quiet, write_quiet
from pipeline.recheck import RecheckPolicy
from pipeline.store import store_page
from storage.db import get_engine, open_database, session_scope, transaction
from storage.models import Article, ArticleStatus, Check, utcnow
from storage.queries import get_or_create_article
from tests.articles import TRUCE_V1, article_page

# No jitter: both paths must compute the same next check.
POLICY = RecheckPolicy(jitter=0.0)
HTML = article_page(TRUCE_V1.title, TRUCE_V1.paragraphs)
T0 = dt.datetime(2026, 11, 25, 9, 0)


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str) -> None:
        self.values[key] = self.values.get(key, 0) + 1


@pytest.fixture
def url(db_url: str) -> str:
    return open_database(db_url)


def _tracked(url: str, n: int, db_url: str) -> list[int]:
    """n articles, each with one version, as a first crawl leaves them."""
    ids: list[int] = []
    with session_scope(db_url) as session:
        for i in range(n):
            ids.append(get_or_create_article(session, f"http://news.test/{url}/{i}-truce-holds-for-now")[0].id)
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
        _store(db_url, page, T0)
    return ids


def _store(db_url: str, page: FetchedPage, now: dt.datetime) -> None:
    transaction(db_url, lambda s: store_page(s, page, now=now, policy=POLICY))


def _quiet_pages(ids: list[int], at: dt.datetime) -> list[FetchedPage]:
    pages = []
    for i, article_id in enumerate(ids):
        url = f"http://news.test/{article_id}"
        if i % 2:
            pages.append(FetchedPage(article_id, url, http_status=304, duration_ms=3.0, fetched_at=at))
        else:  # the same bytes again, with a new validator
            pages.append(
                FetchedPage(
                    article_id,
                    url,
                    final_url=url,
                    http_status=200,
                    etag='"v1b"',
                    body_hash="a" * 40,
                    previous_body_hash="a" * 40,
                    duration_ms=4.0,
                    fetched_at=at,
                )
            )
    return pages


def _state(db_url: str, ids: list[int]) -> list[tuple[Any, ...]]:
    with session_scope(db_url) as session:
        articles = session.scalars(select(Article).where(Article.id.in_(ids)).order_by(Article.id))
        rows: list[tuple[Any, ...]] = []
        for a in articles:
            checks = session.scalars(select(Check).where(Check.article_id == a.id).order_by(Check.id)).all()
            rows.append(
                (
                    a.status,
                    a.last_checked_at,
                    a.next_check_at,
                    a.etag,
                    a.body_hash,
                    a.consecutive_failures,
                    a.last_error,
                    [(c.checked_at, c.http_status, c.outcome, c.version_seq, c.duration_ms) for c in checks],
                )
            )
        return rows


def test_a_batch_writes_what_store_page_would(url: str) -> None:
    db_url = url
    by_batch, one_by_one = _tracked("a", 6, db_url), _tracked("b", 6, db_url)
    at, now = T0 + dt.timedelta(minutes=20), T0 + dt.timedelta(minutes=21)
    assert all(is_quiet(p) for p in _quiet_pages(by_batch, at))
    settled, left = transaction(db_url, lambda s: write_quiet(s, _quiet_pages(by_batch, at), POLICY, now))
    assert left == [] and [o.value for _, o, _ in settled] == ["unchanged", "not_modified"] * 3
    for page in _quiet_pages(one_by_one, at):
        _store(db_url, page, now)
    assert _state(db_url, by_batch) == _state(db_url, one_by_one)
    assert _state(db_url, by_batch)[0][3] == '"v1b"', "a resent 200 keeps its new validator"


def test_unusual_articles_are_left_to_store_page(url: str) -> None:
    db_url = url
    ids = _tracked("c", 4, db_url)
    with session_scope(db_url) as session:
        session.execute(update(Article).where(Article.id == ids[0]).values(status=ArticleStatus.GONE))
        session.execute(update(Article).where(Article.id == ids[1]).values(last_checked_at=T0 + dt.timedelta(hours=1)))
        fresh = get_or_create_article(session, "http://news.test/c/never-stored-yet-story")[0].id
    at = T0 + dt.timedelta(minutes=20)
    pages = [FetchedPage(i, f"http://news.test/{i}", http_status=304, fetched_at=at) for i in [*ids, fresh]]
    pages.append(replace(pages[2]))  # the same article twice in one batch
    settled, left = transaction(db_url, lambda s: write_quiet(s, pages, POLICY))
    assert [p.article_id for p, _, _ in settled] == [ids[3]]
    assert [p.article_id for p in left] == [ids[0], ids[1], ids[2], fresh, ids[2]]


def test_not_quiet() -> None:
    base = FetchedPage(1, "http://news.test/1", http_status=200, body_hash="b" * 40, previous_body_hash="a" * 40)
    assert not is_quiet(base)  # new bytes: extraction decides
    assert not is_quiet(replace(base, previous_body_hash="b" * 40, final_url="http://news.test/moved"))
    assert not is_quiet(FetchedPage(1, "http://news.test/1", http_status=503, retry_after=30))
    assert not is_quiet(FetchedPage(1, "http://news.test/1", error="timeout"))


class _RacingPolicy(RecheckPolicy):
    """Another worker's check lands while the batch is being planned."""

    def plan(self, **kwargs: Any) -> tuple[dt.datetime | None, str]:
        racer = getattr(self, "racer", None)
        if racer is not None:
            object.__setattr__(self, "racer", None)
            url, article_id = racer
            with get_engine(url).begin() as conn:
                later = T0 + dt.timedelta(hours=2)
                conn.execute(update(Article).where(Article.id == article_id).values(last_checked_at=later))
        return super().plan(**kwargs)


def test_a_race_rolls_the_batch_back_and_each_page_is_stored_alone(tmp_path: Path) -> None:
    # SQLite only: on PostgreSQL the batch locks its rows (FOR UPDATE), so a racer waits instead.
    db_url = open_database(f"sqlite:///{tmp_path / 'race.db'}")
    ids = _tracked("d", 3, db_url)
    policy = _RacingPolicy(jitter=0.0)
    object.__setattr__(policy, "racer", (db_url, ids[1]))
    at = T0 + dt.timedelta(minutes=20)
    pages = [FetchedPage(i, f"http://news.test/{i}", http_status=304, fetched_at=at) for i in ids]
    with pytest.raises(Raced):
        transaction(db_url, lambda s: write_quiet(s, pages, policy))
    assert all(len(checks) == 1 for *_, checks in _state(db_url, ids)), "nothing of the batch was kept"

    # Through the pipeline: the batch falls back to store_page, which records the superseded fetch.
    object.__setattr__(policy, "racer", (db_url, ids[1]))
    pipeline = StorePipeline(db_url, True, 0.2, _Stats(), policy, batch_size=8)  # type: ignore[arg-type]

    async def crawl() -> list[str]:
        items = await asyncio.gather(*(pipeline.process_item(p) for p in pages))
        return [item.extra["outcome"] for item in items]

    assert asyncio.run(crawl()) == ["not_modified", "superseded", "not_modified"]
    assert [len(checks) for *_, checks in _state(db_url, ids)] == [2, 2, 2]


def test_the_pipeline_flushes_a_partial_batch_after_its_wait(url: str) -> None:
    db_url = url
    ids = _tracked("e", 2, db_url)
    pipeline = StorePipeline(db_url, True, 0.2, _Stats(), POLICY, batch_size=64, batch_wait=0.01)  # type: ignore[arg-type]
    pages = [FetchedPage(i, f"http://news.test/{i}", http_status=304, fetched_at=utcnow()) for i in ids]

    async def crawl() -> list[str]:
        items = await asyncio.gather(*(pipeline.process_item(p) for p in pages))
        return [item.extra["outcome"] for item in items]

    assert asyncio.run(crawl()) == ["not_modified", "not_modified"]
    assert [len(checks) for *_, checks in _state(db_url, ids)] == [2, 2]
