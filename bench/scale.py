"""Distributed crawling: pages/s with 1, 2 and 4 `redline worker` processes.

    python bench/scale.py [--pages 2000] [--workers 1,2,4]

For each worker count: a fresh PostgreSQL database tracks every page of the
benchmark site (bench/benchsite.py, 127.0.0.2–9), the leader's dispatch step
leases them all into Redis, N workers drain the queue, and the clock stops when
the last check is stored. Two rounds: a first crawl (extraction-bound) and a
recheck where the site answers 304 (network/database-bound). The machine's
core count bounds what more workers can give: the figures are reported, not
asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("REDLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("REDLINE_BENCH_REDIS", "redis://127.0.0.1:6379/13")


def fresh_database() -> str:
    import psycopg

    name = f"redline_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return "postgresql+psycopg://" + PG_ADMIN.split("://", 1)[1].rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    import psycopg

    from storage import db

    db.get_engine(url).dispose()
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def checks_stored(db_url: str) -> int:
    from sqlalchemy import func, select

    from storage.db import session_scope
    from storage.models import Check

    with session_scope(db_url) as session:
        return int(session.scalar(select(func.count()).select_from(Check)) or 0)


def drain(db_url: str, workers: int, expected: int) -> float:
    """Start ``workers`` workers; seconds until ``expected`` checks are stored."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDLINE_ALLOW_PRIVATE": "1"}
    cmd = [sys.executable, "-m", "review.cli", "--db", db_url, "worker", "--redis", REDIS, "--idle-exit", "3"]
    cmd += ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "-s", "LOG_LEVEL=WARNING"]
    started = time.monotonic()
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL) for _ in range(workers)]
    while checks_stored(db_url) < expected:
        if all(p.poll() is not None for p in procs):
            raise RuntimeError(f"workers exited with {checks_stored(db_url)} of {expected} checks stored")
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    for p in procs:
        p.wait(60)
    return elapsed


def run(pages: int, workers: int, site_urls: list[str], set_round: object) -> tuple[float, float]:
    import redis

    from spiders.distributed import dispatch_due
    from storage import queries
    from storage.db import open_database, session_scope
    from storage.models import utcnow

    client = redis.Redis.from_url(REDIS)
    client.flushdb()
    db_url = open_database(fresh_database())
    try:
        with session_scope(db_url) as session:
            for url in site_urls:
                queries.get_or_create_article(session, url)
        set_round(0)  # type: ignore[operator]
        dispatch_due(db_url, client, limit=pages)
        first = drain(db_url, workers, pages)
        set_round(1)  # type: ignore[operator]
        import datetime as dt

        dispatch_due(db_url, client, limit=pages, now=utcnow() + dt.timedelta(days=1))
        recheck = drain(db_url, workers, 2 * pages)
        return pages / first, pages / recheck
    finally:
        drop_database(db_url)
        client.flushdb()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    from bench.benchsite import BenchSite

    counts = [int(n) for n in args.workers.split(",")]
    results = {}
    with BenchSite(args.pages, port=18433) as site:
        for n in counts:
            results[n] = run(args.pages, n, site.urls, site.set_round)
            print(f"  {n} worker(s): first crawl {results[n][0]:.1f} pages/s, recheck {results[n][1]:.1f} pages/s")
    base = results[counts[0]]
    print(
        f"\n{args.pages} pages, PostgreSQL + Redis on this machine ({os.cpu_count()} cores), load average "
        + " / ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print(f"{'workers':>7} {'first crawl p/s':>16} {'speed-up':>9} {'recheck (304) p/s':>18} {'speed-up':>9}")
    for n in counts:
        first, recheck = results[n]
        print(f"{n:>7} {first:>16.1f} {first / base[0]:>8.2f}x {recheck:>18.1f} {recheck / base[1]:>8.2f}x")


if __name__ == "__main__":
    main()
