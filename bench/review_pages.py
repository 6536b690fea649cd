"""Review surfaces under load: how long each page, feed and export takes on a filled database.

    python bench/review_pages.py [--articles 300] [--db sqlite:///tmp/x.db]

Stores each article twice through the real pipeline (extract → record_page),
the second edition revising its death toll, then times every surface through
the ASGI app in-process (no network) and prints milliseconds per request.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.extract import extract  # noqa: E402
from pipeline.items import FetchedPage  # noqa: E402
from pipeline.recording import record_page  # noqa: E402
from storage import queries  # noqa: E402
from storage.db import open_database, session_scope  # noqa: E402
from tests.articles import TRUCE_V1, article_page  # noqa: E402

OUTLETS = ("harbour.example", "bay.example", "cove.example", "port.example")


def fill(db_url: str, articles: int) -> float:
    started = time.perf_counter()
    for i in range(articles):
        url = f"https://{OUTLETS[i % len(OUTLETS)]}/news/story-{i}"
        old = TRUCE_V1.paragraphs[3].replace("more than 20,000", f"more than {20_000 + i:,}")
        new = TRUCE_V1.paragraphs[3].replace("more than 20,000", f"{20_000 + i + 57:,}")
        for edition, para in enumerate((old, new)):
            paragraphs = [*TRUCE_V1.paragraphs[:3], para, *TRUCE_V1.paragraphs[4:]]
            html = article_page(f"{TRUCE_V1.title} ({i}.{edition})", paragraphs)
            with session_scope(db_url) as session:
                article, _ = queries.get_or_create_article(session, url)
                page = FetchedPage(article.id, url, url, 200, html, extracted=extract(html, url=url))
                record_page(session, page)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = open_database(args.db or f"sqlite:///{tmp}/bench.db")
        took = fill(db_url, args.articles)
        print(f"filled {args.articles} articles x 2 versions in {took:.1f} s")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient

        from review.web import create_app

        paths = [
            "/",
            "/?kind=number&outlet=bay.example",
            "/?q=20,05",
            "/api/changes?limit=1000",
            "/articles",
            "/articles/1?from=1&to=2",
            "/articles/1?view=side",
            "/figures?q=killed",
            "/api/figures?q=killed",
            "/feed.atom",
            "/export/changes.csv",
            "/export/newsedits.jsonl",
        ]
        with TestClient(create_app(db_url)) as client:
            print(f"{'path':40} {'median ms':>10} {'max ms':>8} {'bytes':>9}")
            for path in paths:
                times = []
                size = 0
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - t) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                    size = len(response.content)
                print(f"{path:40} {statistics.median(times):10.1f} {max(times):8.1f} {size:9d}")


if __name__ == "__main__":
    main()
