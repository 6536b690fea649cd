"""Queries at scale: 100,000 articles and 1,000,000 versions, SQLite and PostgreSQL.

    python bench/query_scale.py [--backend sqlite|postgres] [--scale 1.0]

Generates the rows straight into a fresh database built by the migrations
(SQLite: executemany in one transaction; PostgreSQL: COPY), ten versions per
article over the last 30 days, each version one revised figure away from the
one before and stored as the crawl stores it (reverse deltas, the latest in
full), and one ``number`` change per revision. Then, each in a fresh session as
a request would run it, the p95 of:

  article history   storage.queries.versions_of (every version, texts rebuilt)
  changes in 24 h   storage.review_queries.search_changes, the web UI's first page (200)
  figure timeline   review.views.article_figures (versions → figure series)

``--scale 0.1`` makes a tenth of everything, for a quick look.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import Row, emit, load, percentile  # noqa: E402

PG_ADMIN = os.environ.get("REDLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
VERSIONS_PER_ARTICLE = 10
NOW = dt.datetime(2026, 11, 25, 12, 0, 0)


def article_text(a: int, toll: int) -> tuple[str, str, str]:
    """(before the figure, the figure, after it): one article's text at one toll."""
    head = (
        f"Rescue teams in district {a % 731} worked through the night on Tuesday as rivers kept rising.\n"
        f"Officials said at least "
    )
    tail = (
        f" people were killed and {(a * 37) % 5000 + 120:,} homes destroyed in the flooding.\n"
        f"The regional governor, speaking to reporters in the capital, asked for {a % 90 + 10} more helicopters "
        f"and said the dams upstream were holding.\n"
        f"Aid agencies estimate that {(a * 13) % 900 + 100},000 people need shelter, food and clean water.\n"
        f"Forecasters expect more rain until the weekend, with {a % 40 + 20} millimetres in the hills.\n"
        f"The story {a} will be updated as more information becomes available."
    )
    return head, f"{toll:,}", tail


def generate(n_articles: int) -> Iterator[tuple[str, Any]]:
    """Rows as ("article" | "version" | "change", tuple) in insertion order."""
    from storage import versiontext

    rng = random.Random(5)
    version_id = change_id = 0
    for a in range(1, n_articles + 1):
        born = NOW - dt.timedelta(days=30) + dt.timedelta(seconds=rng.randrange(30 * 86400))
        tolls = [100 + a % 500]
        for _ in range(VERSIONS_PER_ARTICLE - 1):
            tolls.append(tolls[-1] + rng.randint(1, 40))
        times = [born]
        for _ in range(VERSIONS_PER_ARTICLE - 1):
            # Never past NOW, and not clamped onto it either: 30,000 changes on one instant are no real feed.
            later = times[-1] + dt.timedelta(minutes=rng.randint(20, 600))
            times.append(later if later < NOW else times[-1] + (NOW - times[-1]) * rng.random())
        parts = [article_text(a, t) for t in tolls]
        texts = ["".join(p) for p in parts]
        yield (
            "article",
            (
                a,
                f"http://outlet{a % 50}.example/news/{a}",
                f"outlet{a % 50}.example",
                "active",
                born,
                times[-1],
                times[-1] + dt.timedelta(hours=1),
                0,
                VERSIONS_PER_ARTICLE,
            ),
        )
        for i, (head, figure, tail) in enumerate(parts):
            version_id += 1
            seq = i + 1
            last = seq == VERSIONS_PER_ARTICLE
            if last or versiontext.is_keyframe(seq):
                text_z, delta = versiontext.compress(texts[i]), None
            else:
                # diff-match-patch's delta from the next text back to this one, built directly.
                newer = parts[i + 1][1]
                text_z, delta = None, f"d={len(head)}\t-{len(newer)}\t+{figure}\t={len(tail)}".encode()
            yield (
                "version",
                (
                    version_id,
                    a,
                    seq,
                    times[i],
                    versiontext.sha1(texts[i]),
                    f"Floods in district {a % 731}",
                    "Staff",
                    text_z,
                    delta,
                    versiontext.sha1(texts[i]),
                    "trafilatura",
                    "2",
                ),
            )
            if i:
                change_id += 1
                old = parts[i - 1][1]
                yield (
                    "change",
                    (
                        change_id,
                        a,
                        seq - 1,
                        seq,
                        times[i],
                        "number",
                        f"at least {old}",
                        f"at least {figure}",
                        float(tolls[i - 1]),
                        float(tolls[i]),
                        "people killed",
                        "high",
                        True,
                    ),
                )


ARTICLE_COLS = (
    "id, url, host, status, first_seen_at, last_checked_at, next_check_at, consecutive_failures, version_count"
)
VERSION_COLS = (
    "id, article_id, seq, fetched_at, content_hash, title, byline, text_z, text_delta, text_sha1, extractor,"
    " extractor_version"
)
CHANGE_COLS = (
    "id, article_id, from_version, to_version, detected_at, kind, old, new, old_value, new_value, context,"
    " severity, stealth"
)
COLS = {
    "article": ("articles", ARTICLE_COLS),
    "version": ("versions", VERSION_COLS),
    "change": ("changes", CHANGE_COLS),
}


def load_sqlite(url: str, n_articles: int) -> None:
    from storage.db import get_engine

    raw = get_engine(url).raw_connection()
    cur = raw.cursor()
    cur.execute("PRAGMA synchronous=OFF")
    batches: dict[str, list[Any]] = {k: [] for k in COLS}

    def flush() -> None:
        for kind, (table, cols) in COLS.items():
            marks = ", ".join("?" * len(cols.split(",")))
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batches[kind])
            batches[kind].clear()

    for kind, row in generate(n_articles):
        batches[kind].append(row)
        if len(batches["version"]) >= 50_000:
            flush()
    flush()
    raw.commit()
    cur.execute("ANALYZE")
    raw.commit()
    raw.close()


def load_postgres(url: str, n_articles: int) -> None:
    import psycopg

    conninfo = "postgresql://" + url.split("://", 1)[1]
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        rows: dict[str, list[Any]] = {k: [] for k in COLS}
        for kind, row in generate(n_articles):
            rows[kind].append(row)
        for kind, (table, cols) in COLS.items():
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows[kind]:
                    copy.write_row(row)
            rows[kind].clear()
        for table in ("articles", "versions", "changes"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def p95_ms(url: str, fn: Callable[[Any, int], object], ids: list[int]) -> list[float]:
    from storage.db import session_scope

    out = []
    for i in ids:
        with session_scope(url) as session:
            started = time.perf_counter()
            fn(session, i)
            out.append((time.perf_counter() - started) * 1000)
    return out


def measure(url: str, n_articles: int) -> dict[str, list[float]]:
    from review import views
    from storage import queries, review_queries
    from storage.models import Article

    rng = random.Random(9)
    ids = [rng.randint(1, n_articles) for _ in range(200)]

    def history(session: Any, i: int) -> None:
        versions = queries.versions_of(session, i)
        assert len(versions) == VERSIONS_PER_ARTICLE and all(v.text for v in versions)

    def changes_24h(session: Any, _: int) -> None:
        q = review_queries.ChangeQuery(since=NOW - dt.timedelta(hours=24), limit=200)
        assert len(review_queries.search_changes(session, q)) == 200

    def timeline(session: Any, i: int) -> None:
        article = session.get(Article, i)
        series = views.article_figures(session, article)
        assert any(s.changed for s in series)

    def siblings(session: Any, i: int) -> None:
        # What every new version reads to learn its site's boilerplate (storage/record.py site_history),
        # cold: the per-process cache of rebuilt texts is emptied first.
        queries._SIBLING_CACHE.clear()
        article = session.get(Article, i)
        assert len(queries.sibling_texts(session, article.id, article.host)) == 40

    p95_ms(url, history, ids[:5])  # warm the caches and the connection pool
    return {
        "article history": p95_ms(url, history, ids),
        "changes in 24 h": p95_ms(url, changes_24h, ids[:50]),
        "figure timeline": p95_ms(url, timeline, ids),
        "sibling texts": p95_ms(url, siblings, ids[:50]),
    }


def fresh_pg() -> str:
    import psycopg

    name = f"redline_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return "postgresql+psycopg://" + PG_ADMIN.split("://", 1)[1].rsplit("/", 1)[0] + "/" + name


def drop_pg(url: str) -> None:
    import psycopg

    from storage.db import get_engine

    get_engine(url).dispose()
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


TARGETS = {"article history": 20.0, "changes in 24 h": 50.0, "figure timeline": 20.0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    from storage.db import open_database

    n_articles = int(100_000 * args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        url = open_database(f"sqlite:///{tmp}/scale.db" if args.backend == "sqlite" else fresh_pg())
        try:
            started = time.perf_counter()
            (load_sqlite if args.backend == "sqlite" else load_postgres)(url, n_articles)
            generated = time.perf_counter() - started
            results = measure(url, n_articles)
        finally:
            if args.backend == "postgres":
                drop_pg(url)
    n_versions = n_articles * VERSIONS_PER_ARTICLE
    print(
        f"{args.backend}: {n_articles:,} articles, {n_versions:,} versions, {n_versions - n_articles:,} changes "
        f"generated in {generated:.0f} s; {load()}"
    )
    print(f"  {'query':18} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'target':>8}")
    rows = []
    for name, ms in results.items():
        p95 = percentile(ms, 95)
        target = TARGETS.get(name)  # sibling texts: no target in the issue, reported for scale
        shown = f"{target:>6.0f} ms" if target is not None else f"{'—':>9}"
        print(f"  {name:18} {percentile(ms, 50):>10.2f} {p95:>8.2f} {max(ms):>8.2f} {shown}")
        rows.append(
            Row(
                "3 queries",
                f"{name}, {args.backend}, {n_articles:,} articles / {n_versions:,} versions (p95)",
                f"{p95:.2f} ms",
                f"≤ {target:.0f} ms" if target is not None else "",
                p95 <= target if target is not None else None,
            )
        )
    rows.append(Row("3 queries", f"generate the rows, {args.backend}", f"{generated:.0f} s", "", None))
    emit(*rows)


if __name__ == "__main__":
    main()
