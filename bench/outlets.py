"""The outlet filter and the outlet list: the indexed ``articles.host`` against the URL scans they replaced.

    python bench/outlets.py [--articles 50000] [--hosts 40] [--db sqlite:///tmp/x.db]

Fills a database with articles spread over ``--hosts`` sites (a change on
every seventh article), then times, in the same run and on the same rows:

* ``known_outlets`` (every request of the web UI and API validates ``outlet=``
  against it): ``SELECT DISTINCT host`` now, every article URL read and parsed
  before;
* ``search_changes`` for one outlet: ``articles.host IN (o, www.o)`` now, eight
  ``LIKE`` patterns over ``articles.url`` before.

The "before" queries are written out here, as they were in
storage/review_queries.py, to compare against; both give the same rows (checked).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import ColumnElement, insert, or_, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from storage import review_queries  # noqa: E402
from storage.db import open_database, session_scope  # noqa: E402
from storage.models import Article, Change  # noqa: E402
from storage.review_queries import ChangeQuery  # noqa: E402
from storage.sites import host_of, outlet_of  # noqa: E402


def fill(db_url: str, articles: int, hosts: int) -> None:
    now = dt.datetime(2026, 12, 1)
    with session_scope(db_url) as session:
        rows = []
        for i in range(articles):
            www = "www." if i % 3 == 0 else ""
            url = f"https://{www}site{i % hosts}.example/news/{i}-story-about-the-harbour"
            rows.append({"url": url, "host": host_of(url), "status": "active", "version_count": 2})
        session.execute(insert(Article), rows)
        ids = list(session.scalars(select(Article.id).order_by(Article.id)))
        changes = [
            {
                "article_id": aid,
                "from_version": 1,
                "to_version": 2,
                "detected_at": now - dt.timedelta(minutes=n),
                "kind": "number",
                "old": "more than 20,000",
                "new": "20,057",
                "severity": "high",
            }
            for n, aid in enumerate(ids[::7])
        ]
        session.execute(insert(Change), changes)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _outlet_clause_before(outlet: str) -> ColumnElement[bool]:
    host = _like_escape(outlet)
    return or_(
        *(
            Article.url.like(f"{scheme}://{www}{host}{tail}", escape="\\")
            for scheme in ("http", "https")
            for www in ("", "www.")
            for tail in ("/%", "")
        )
    )


def known_outlets_before(session: Session) -> list[str]:
    return sorted({outlet_of(u) for u in session.scalars(select(Article.url))})


def search_before(session: Session, outlet: str, limit: int) -> list[int]:
    query = (
        select(Change, Article)
        .join(Article, Change.article_id == Article.id)
        .where(_outlet_clause_before(outlet))
        .order_by(Change.detected_at.desc(), Change.id.desc())
        .offset(0)
        .limit(limit)
    )
    return [change.id for change, _ in session.execute(query).all()]


def search_after(session: Session, outlet: str, limit: int) -> list[int]:
    rows = review_queries.search_changes(session, ChangeQuery(outlets=(outlet,), limit=limit))
    return [change.id for change, _ in rows]


def timed(db_url: str, fn: Callable[[Session], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        with session_scope(db_url) as session:
            started = time.perf_counter()
            result = fn(session)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = open_database(args.db or f"sqlite:///{tmp}/outlets.db")
        started = time.perf_counter()
        fill(db_url, args.articles, args.hosts)
        print(f"{args.articles} articles on {args.hosts} sites, filled in {time.perf_counter() - started:.1f} s")
        print(f"{'query':48} {'before ms':>10} {'after ms':>9}")
        before, old = timed(db_url, known_outlets_before, args.repeat)
        after, new = timed(db_url, review_queries.known_outlets, args.repeat)
        assert old == new, "known_outlets differ"
        print(f"{'known_outlets (' + str(len(new)) + ' outlets)':48} {before:10.1f} {after:9.1f}")
        for limit in (200, 1_000_000):
            old_way = functools.partial(search_before, outlet="site7.example", limit=limit)
            new_way = functools.partial(search_after, outlet="site7.example", limit=limit)
            before, old = timed(db_url, old_way, args.repeat)
            after, new = timed(db_url, new_way, args.repeat)
            assert old == new, "outlet filter results differ"
            label = f"changes of one outlet, limit {limit} ({len(new)} rows)"
            print(f"{label:48} {before:10.1f} {after:9.1f}")


if __name__ == "__main__":
    main()
