"""Storing quiet pages: the batch door against one page per transaction, no network.

    python bench/quiet_store.py [--pages 640] [--db URL] [--rounds 3]

Tracks ``--pages`` articles with one version each, then stores a recheck of
all of them (half 304s, half the same bytes resent with a new ETag) twice from
the same state: in batches of 64 (what StorePipeline does with quiet pages)
and one page per transaction. Prints pages/s, best of ``--rounds``. This is
the database half of the "unchanged" rows of bench/crawl_throughput.py,
without the fetching, so a change to deciding or writing a page shows alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load  # noqa: E402
from pipeline.items import FetchedPage  # noqa: E402
from storage.db import open_database, session_scope, transaction  # noqa: E402
from storage.queries import get_or_create_article  # noqa: E402

BATCH = 64
T0 = dt.datetime(2026, 11, 25, 9, 0)


def _doors() -> tuple[Callable[[Any, FetchedPage], Any], Callable[[Any, Sequence[FetchedPage]], Any]]:
    """(store one page, store a batch) in this checkout."""
    from pipeline.recording import record_page, record_quiet
    from pipeline.rules import project_rules

    rules = project_rules()
    return (lambda s, p: record_page(s, p, rules)), (lambda s, pages: record_quiet(s, pages, rules))


def _track(url: str, n: int, prefix: str, store_one: Callable[[Any, FetchedPage], Any]) -> list[int]:
    from pipeline.extract import extract
    from tests.articles import TRUCE_V1, article_page

    html = article_page(TRUCE_V1.title, TRUCE_V1.paragraphs)
    extracted = extract(html)
    with session_scope(url) as session:
        ids = [get_or_create_article(session, f"http://news.test/{prefix}/{i}-truce")[0].id for i in range(n)]
    for i in ids:
        page = FetchedPage(
            i, f"http://news.test/{i}", http_status=200, html=html, etag='"v1"', body_hash="a" * 40,
            extracted=extracted, fetched_at=T0,
        )  # fmt: skip
        transaction(url, lambda s, page=page: store_one(s, page))  # type: ignore[misc]
    return ids


def _recheck(ids: list[int], at: dt.datetime) -> list[FetchedPage]:
    pages = []
    for n, i in enumerate(ids):
        u = f"http://news.test/{i}"
        if n % 2:
            pages.append(FetchedPage(i, u, http_status=304, duration_ms=3.0, fetched_at=at))
        else:
            pages.append(
                FetchedPage(
                    i, u, final_url=u, http_status=200, etag='"v1b"', body_hash="a" * 40,
                    previous_body_hash="a" * 40, duration_ms=4.0, fetched_at=at,
                )
            )  # fmt: skip
    return pages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=640)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    store_one, store_batch = _doors()
    with tempfile.TemporaryDirectory() as tmp:
        url = open_database(args.db or f"sqlite:///{tmp}/quiet.db")
        best = {"batch": 0.0, "one by one": 0.0}
        for r in range(args.rounds):
            ids = _track(url, args.pages, f"r{r}", store_one)
            at = T0 + dt.timedelta(minutes=20 + r)
            pages = _recheck(ids, at)
            started = time.perf_counter()
            for k in range(0, len(pages), BATCH):
                settled, left = transaction(url, lambda s, chunk=pages[k : k + BATCH]: store_batch(s, chunk))  # type: ignore[misc]
                assert not left and len(settled) == len(pages[k : k + BATCH])
            best["batch"] = max(best["batch"], len(pages) / (time.perf_counter() - started))
            started = time.perf_counter()
            for page in _recheck(ids, at + dt.timedelta(seconds=30)):
                transaction(url, lambda s, page=page: store_one(s, page))  # type: ignore[misc]
            best["one by one"] = max(best["one by one"], len(pages) / (time.perf_counter() - started))
    print(f"{args.pages} quiet pages (half 304, half the same bytes), {url.split(':')[0]}, best of {args.rounds}")
    print(load())
    for name, rate in best.items():
        print(f"  {name:12} {rate:8.1f} pages/s")


if __name__ == "__main__":
    main()
