"""Distributed mode: leases handed out through Redis, scrapy-redis workers, one leader."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline.items import FetchedPage
from pipeline.recording import record_page
from spiders.distributed import QUEUE_KEY, dispatch_due
from storage import queries
from storage.db import open_database, session_scope
from storage.models import Article, utcnow
from tests import forkserver
from tests.articles import TRUCE_V1, article_page, truce_report
from tests.conftest import ROOT, Redline, _service_missing
from tests.localsite import LocalSite

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url() -> Iterator[str]:
    """An empty Redis database of its own for one test."""
    import redis

    # One database per pytest-xdist worker (gw0 → 1, gw1 → 2, …): parallel tests never share a queue.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = f"redis://127.0.0.1:6379/{1 + int(worker.removeprefix('gw') or 0) % 11}"
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        _service_missing("Redis", exc)
    yield url
    client.flushdb()


def _worker(db_url: str, redis_url: str, idle_exit: int = 3) -> forkserver.Process:
    cmd = [sys.executable, "-m", "review.cli", "--db", db_url, "worker", "--redis", redis_url]
    cmd += ["--idle-exit", str(idle_exit), "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return forkserver.popen(cmd[3:], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(procs: list[forkserver.Process]) -> None:
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        # scrapy-redis 0.9.1 uses APIs Scrapy 2.19 deprecates; spiders/distributed.py wraps them.
        assert "DeprecationWarning" not in err, err[-3000:]


@pytest.mark.postgres
def test_dispatch_leases_each_due_article_once(pg_url: str, redis_url: str, site: LocalSite) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    db = open_database(pg_url)
    urls = [site.put(f"/a{i}", "x") for i in range(5)]
    with session_scope(db) as session:
        for url in urls:
            queries.get_or_create_article(session, url)
    now = utcnow()
    assert dispatch_due(db, client, now=now) == 5
    assert dispatch_due(db, client, now=now) == 0, "a leased article must not be handed out twice"
    assert client.llen(QUEUE_KEY) == 5
    # Nobody stored a check within the lease (a worker died): the articles come back.
    assert dispatch_due(db, client, now=now + dt.timedelta(minutes=6)) == 5


@pytest.mark.postgres
def test_workers_store_every_revision_exactly_once(pg_url: str, redis_url: str, site: LocalSite) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    redline = Redline(pg_url, ROOT)
    urls = [site.put(f"/story-{i}", article_page(f"{TRUCE_V1.title} (part {i})", truce_report(i))) for i in range(24)]
    redline("track", *urls)
    db = open_database(pg_url)
    assert dispatch_due(db, client) == 24
    _finish([_worker(pg_url, redis_url), _worker(pg_url, redis_url)])

    revised = urls[::4]
    for url in revised:
        path = "/" + url.rsplit("/", 1)[-1]
        site.put(path, article_page(f"{TRUCE_V1.title} (part {path[7:]})", truce_report(int(path[7:]), "20,057")))
    assert dispatch_due(db, client, now=utcnow() + dt.timedelta(hours=1)) == 24
    _finish([_worker(pg_url, redis_url), _worker(pg_url, redis_url)])

    for url in urls:
        versions = redline.json("history", url)["versions"]
        assert [v["version"] for v in versions] == ([1, 2] if url in revised else [1]), url
    figures = [(c["old_value"], c["new_value"]) for c in redline.json("changes", "--kind", "number")]
    assert figures == [(20000.0, 20057.0)] * len(revised)


def _page(article_id: int, url: str, title: str, fetched_at: dt.datetime) -> FetchedPage:
    from pipeline.extract import extract

    html = article_page(title, TRUCE_V1.paragraphs)
    page = FetchedPage(article_id=article_id, url=url, http_status=200, html=html, fetched_at=fetched_at)
    page.extracted = extract(html, url)
    return page


def test_a_late_stale_fetch_is_superseded_not_a_revert(db_url: str) -> None:
    db = open_database(db_url)
    with session_scope(db) as session:
        article, _ = queries.get_or_create_article(session, "https://news.example.org/a")
        article_id = article.id
    t0 = utcnow()
    old = _page(article_id, "https://news.example.org/a", TRUCE_V1.title, t0)
    new = _page(article_id, "https://news.example.org/a", "Truce talks collapse", t0 + dt.timedelta(seconds=5))
    stale = _page(article_id, "https://news.example.org/a", TRUCE_V1.title, t0 + dt.timedelta(seconds=2))
    outcomes: list[Any] = []
    for page in (old, new, stale):  # the stale fetch reaches the database last
        with session_scope(db) as session:
            outcomes.append(record_page(session, page).outcome.value)
    assert outcomes == ["new_version", "new_version", "superseded"]
    with session_scope(db) as session:
        assert [v.title for v in queries.versions_of(session, article_id)] == [TRUCE_V1.title, "Truce talks collapse"]
        assert session.get(Article, article_id).last_checked_at == new.fetched_at  # type: ignore[union-attr]


@pytest.mark.postgres
def test_leadership_passes_to_the_standby_when_the_leader_dies(pg_url: str) -> None:
    import psycopg

    from storage.leader import LeaderLock

    leader, standby = LeaderLock(pg_url, "test-leader"), LeaderLock(pg_url, "test-leader")
    assert leader.try_acquire()
    assert not standby.try_acquire()
    # The leader's connection dies as it does with kill -9: the server ends the session.
    pid = leader._conn.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    assert not leader.held
    assert standby.try_acquire()
    standby.release()


def test_scrapy_redis_is_the_tested_release() -> None:
    """An upgrade must be re-tested: this fails until the pin and the wrappers are revisited."""
    from importlib.metadata import version

    from scrapy_redis.spiders import RedisMixin

    assert version("scrapy-redis") == "0.9.1"
    assert not hasattr(RedisMixin, "start"), "scrapy-redis now has start(): drop our wrapper in spiders/distributed.py"
