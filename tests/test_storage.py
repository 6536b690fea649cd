"""Storage guarantees: constraints, one transaction per page, migrations on start."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

import pipeline.outcome
from pipeline.extract import extract
from pipeline.items import FetchedPage
from pipeline.recording import record_page
from storage import queries
from storage.db import get_engine, open_database, session_scope
from storage.models import Article, Check, Version
from tests.articles import TRUCE_V1, article_page


def _page(article_id: int, title: str, paragraphs: list[str]) -> FetchedPage:
    html = article_page(title, paragraphs)
    return FetchedPage(
        article_id=article_id,
        url="http://127.0.0.1/x",
        final_url="http://127.0.0.1/x",
        http_status=200,
        html=html,
        extracted=extract(html),
    )


def test_migrations_create_schema_and_rerun_cleanly(db_url: str) -> None:
    open_database(db_url)
    open_database.cache_clear()
    open_database(db_url)  # a second upgrade is a no-op
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert {"sources", "articles", "versions", "checks", "changes", "alembic_version"} <= tables


def test_duplicate_version_is_impossible(db_url: str) -> None:
    url = open_database(db_url)
    with session_scope(url) as session:
        article, _ = queries.get_or_create_article(session, "http://127.0.0.1/x")
        record_page(session, _page(article.id, TRUCE_V1.title, TRUCE_V1.paragraphs))
        article_id = article.id
    with pytest.raises(IntegrityError), session_scope(url) as session:
        session.add(
            Version(article_id=article_id, seq=1, content_hash="x", text="t", extractor="e", extractor_version="1")
        )


def test_a_failing_page_writes_nothing(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = open_database(db_url)
    with session_scope(url) as session:
        article, _ = queries.get_or_create_article(session, "http://127.0.0.1/x")
        record_page(session, _page(article.id, TRUCE_V1.title, TRUCE_V1.paragraphs))
        article_id = article.id

    def boom(*_: object) -> list[object]:
        raise RuntimeError("classifier crashed")

    monkeypatch.setattr(pipeline.outcome, "classify", boom)
    with pytest.raises(RuntimeError), session_scope(url) as session:
        record_page(session, _page(article_id, "Another headline", TRUCE_V1.paragraphs))
    with session_scope(url) as session:
        assert [v.seq for v in queries.versions_of(session, article_id)] == [1]
        assert len(session.scalars(select(Check)).all()) == 1
        assert session.get(Article, article_id).version_count == 1  # type: ignore[union-attr]


def test_models_and_migrations_agree(db_url: str) -> None:
    """Parallel features add migrations: the models must match what they build, on both backends."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    with get_engine(open_database(db_url)).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_downgrade_to_the_first_schema_keeps_every_version(tmp_path: Path) -> None:
    """Rolling back a release must not cost history (batch mode on SQLite once cascaded deletes)."""
    from alembic import command

    from storage.db import alembic_config
    from tests.reviewdata import fill

    room = fill(f"sqlite:///{tmp_path / 'down.db'}")
    with get_engine(room.db_url).connect() as conn:
        before = conn.execute(text("SELECT COUNT(*) FROM versions")).scalar()
    cfg = alembic_config(room.db_url)
    command.downgrade(cfg, "0001")
    with get_engine(room.db_url).connect() as conn:
        rows, chars = conn.execute(text("SELECT COUNT(*), COALESCE(SUM(LENGTH(text)), 0) FROM versions")).one()
        changes = conn.execute(text("SELECT COUNT(*) FROM changes")).scalar()
    assert before and rows == before and chars > 0 and changes
    command.upgrade(cfg, "heads")
    with session_scope(room.db_url) as session:
        assert all(v.text for v in session.scalars(select(Version)))


def test_sibling_texts_are_cached_by_content_and_never_stale(db_url: str) -> None:
    url = open_database(db_url)
    queries._SIBLING_CACHE.clear()
    with session_scope(url) as session:
        ids = [queries.get_or_create_article(session, f"http://news.test/{i}")[0].id for i in range(4)]
        for i in ids[:3]:
            record_page(session, _page(i, TRUCE_V1.title, [f"Article {i} opens here.", *TRUCE_V1.paragraphs]))
    with session_scope(url) as session:  # one joined text per sibling, in article order
        first = queries.sibling_texts(session, ids[3], "news.test")
    assert len(first) == 3 and all(f"Article {i} opens here." in t for i, t in zip(ids[:3], first, strict=True))
    assert len(queries._SIBLING_CACHE) == 3
    with session_scope(url) as session:  # an edit: the sibling's key changes, so its text is read again
        record_page(
            session, _page(ids[0], TRUCE_V1.title, [f"Article {ids[0]} now opens differently.", *TRUCE_V1.paragraphs])
        )
    with session_scope(url) as session:
        second = queries.sibling_texts(session, ids[3], "news.test")
    assert f"Article {ids[0]} opens here." in second[0] and "now opens differently" in second[0]  # both versions
    assert second[1:] == first[1:]
    queries._SIBLING_CACHE.clear()
    with session_scope(url) as session:
        assert queries.sibling_texts(session, ids[3], "news.test") == second  # the same without the cache
        session.execute(text("UPDATE versions SET text_z = :z WHERE article_id = :a"), {"z": b"garbage", "a": ids[1]})
    queries._SIBLING_CACHE.clear()
    with session_scope(url) as session:  # a corrupt sibling is skipped, not cached
        assert queries.sibling_texts(session, ids[3], "news.test") == [second[0], second[2]]
    assert len(queries._SIBLING_CACHE) == 2


def test_the_host_migration_fills_every_article_and_siblings_are_found_by_it(db_url: str) -> None:
    from alembic import command

    from storage.db import alembic_config

    cfg = alembic_config(db_url)
    command.upgrade(cfg, "0003_text_deltas")
    urls = ["http://News.Test/1", "https://news.test/2", "http://news.test:8080/3", "http://other.test/4"]
    with get_engine(db_url).begin() as conn:
        for u in urls:
            conn.execute(
                text(
                    "INSERT INTO articles (url, status, first_seen_at, consecutive_failures, version_count) "
                    "VALUES (:url, 'active', '2026-01-01', 0, 0)"
                ),
                {"url": u},
            )
    command.upgrade(cfg, "heads")
    with session_scope(db_url) as session:
        hosts = [a.host for a in session.scalars(select(Article).order_by(Article.id))]
        assert hosts == ["news.test", "news.test", "news.test:8080", "other.test"]
        article, created = queries.get_or_create_article(session, "https://NEWS.test/5")
        assert created and article.host == "news.test"
    command.downgrade(cfg, "0003_text_deltas")
    with get_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM articles")).scalar() == 5
    command.upgrade(cfg, "heads")


def test_siblings_come_from_the_host_index_not_a_scan(tmp_path: Path) -> None:
    """The query learning boilerplate runs for every new version: its plan must
    search ix_articles_host_checked, never scan the articles table. (SQLite's
    plan; PostgreSQL's planner picks by table size: bench/query_scale.py times it.)"""
    url = open_database(f"sqlite:///{tmp_path / 'plan.db'}")
    with session_scope(url) as session:
        compiled = queries.siblings_query(1, "news.test", 40).compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        plan = " / ".join(row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_articles_host_checked" in plan and "SCAN articles" not in plan, plan


_OPEN_AT = """
import sys, time
from storage.db import open_database
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
open_database(sys.argv[1])
"""


def test_processes_started_together_on_a_new_database_all_open_it(db_url: str) -> None:
    """A scheduler, its standby and workers started at once all find a new, empty database:
    one of them creates the schema, the others wait for it and then find it at head."""
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    start = time.time() + 2  # every process imported and waiting by then
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_AT, db_url, str(start)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, "\n".join(errors)
    assert open_database(db_url) == db_url


def test_switching_to_wal_waits_out_a_lock_sqlite_will_not_wait_for() -> None:
    """SQLite may refuse the WAL switch at once ("database is locked") rather than
    risk a deadlock in its busy handler: the switch is tried again until the busy timeout."""
    import sqlite3
    import time

    from storage.db import _wal

    class Cursor:
        def __init__(self, refusals: int) -> None:
            self.refusals, self.tries = refusals, 0

        def execute(self, sql: str) -> None:
            self.tries += 1
            if self.tries <= self.refusals:
                raise sqlite3.OperationalError("database is locked")

    waited = Cursor(refusals=3)
    _wal(waited, time.monotonic() + 5)
    assert waited.tries == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _wal(Cursor(refusals=10**6), time.monotonic() + 0.2)  # locked past the timeout: raised

    class Broken(Cursor):
        def execute(self, sql: str) -> None:
            raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _wal(Broken(0), time.monotonic() + 5)  # another failure: at once
