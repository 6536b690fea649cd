"""Storage: bytes per stored version for small edits, against zlib-compressed full text.

    python bench/storage_size.py [--versions 40]

Every article text (the real pages of ../shared/realpages, else generated ones)
gets a history of ``--versions`` versions, each one small edit away from the
one before (a figure revised, a word changed, a sentence added), stored through
``storage.queries.add_version`` one transaction per version in SQLite, as the
crawl stores them. Figures: stored text bytes per version (full copies, deltas
and the 40-byte hash that verifies every rebuild) against zlib level 9 of each
full text (target ≤ 0.1×); and the time to read any one version back in a fresh
session (target p95 ≤ 1 ms, max ≤ 3 ms), after one read that compiles the statements (its time
is printed on its own line).

Then the raw page: each page (the real pages' bytes as saved, else generated
ones) is stored as a crawl stores it, as WARC records (storage/warc.py: the
request, the response with its headers, the metadata record), against what
the old ``versions.raw_html_z`` column held (the page, zlib level 3). The raw
page is stored once: the figure counts every byte of the records, and no other
column holds the page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import Row, emit, load, percentile  # noqa: E402

REALPAGES = ROOT.parent / "shared" / "realpages"


def article_texts() -> list[str]:
    from pipeline.extract import extract

    if (REALPAGES / "ground-truth.json").exists():
        from tests.churn import load_pages

        texts = [extract(p.html, p.url).text for p in load_pages(REALPAGES)]
        return [t for t in texts if len(t) >= 200]
    from tests.articles import TRUCE_V1

    return ["\n".join(f"Story {i}. {p}" for p in TRUCE_V1.paragraphs * 6) for i in range(60)]


def raw_pages() -> list[tuple[str, bytes]]:
    """(url, body as served) of each real page, else of generated ones."""
    truth = REALPAGES / "ground-truth.json"
    if truth.exists():
        import gzip
        import json

        entries = json.loads(truth.read_text())
        return [
            (entry["url"], gzip.decompress((REALPAGES / "html" / f"{page_id}.html.gz").read_bytes()))
            for page_id, entry in sorted(entries.items())
        ]
    from tests.articles import TRUCE_V1, article_page

    return [
        (f"http://127.0.0.1/p/{i}", article_page(f"{TRUCE_V1.title} {i}", TRUCE_V1.paragraphs * 6).encode())
        for i in range(60)
    ]


def raw_page_figures(tmp: str) -> tuple[int, float, float, float, float]:
    """(pages, bytes a version before, after, ms a version before, after)."""
    from sqlalchemy import func, inspect, select

    from storage import queries, warc
    from storage.db import get_engine, open_database, session_scope
    from storage.models import Version, WarcRecord

    url = open_database(f"sqlite:///{tmp}/raw.db")
    pages = raw_pages()
    before_bytes = 0
    before_s = after_s = 0.0
    for i, (page_url, body) in enumerate(pages):
        started = time.perf_counter()
        before_bytes += len(zlib.compress(body, 3))  # what versions.raw_html_z held
        before_s += time.perf_counter() - started
        exchange = warc.Exchange(
            url=page_url,
            status=200,
            reason="OK",
            response_headers=[
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Date", "Tue, 01 Dec 2026 10:00:00 GMT"),
                ("Etag", f'"{i:016x}"'),
                ("Cache-Control", "max-age=60"),
                ("Server", "nginx"),
            ],
            body=body,
            request_headers=[
                ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                ("Accept-Language", "en"),
                ("User-Agent", "redline (+https://example.org/bot)"),
                ("Accept-Encoding", "gzip, deflate, br"),
            ],
            ip_address="127.0.0.1",
        )
        with session_scope(url) as session:
            article, _ = queries.get_or_create_article(session, page_url)
            version = queries.add_version(
                session,
                article,
                fetched_at=dt.datetime(2026, 12, 1),
                content_hash=f"{i:064x}",
                text=f"text {i}",
                extractor="bench",
                extractor_version="1",
            )
            started = time.perf_counter()
            warc.keep(session, article, version, exchange, None)  # builds the records; the insert is at commit
            after_s += time.perf_counter() - started
    with session_scope(url) as session:
        after_bytes = session.scalar(select(func.sum(func.length(WarcRecord.warc_gz)))) or 0
        assert session.scalar(select(func.count()).select_from(WarcRecord)) == len(pages)
    columns = {c["name"] for c in inspect(get_engine(url)).get_columns(Version.__tablename__)}
    assert not any("raw" in c for c in columns), columns  # the page has no second home
    n = len(pages)
    return n, before_bytes / n, after_bytes / n, before_s * 1000 / n, after_s * 1000 / n


def small_edit(text: str, rng: random.Random, step: int) -> str:
    """One edit a newsroom makes: a figure, a word, or an added sentence."""
    kind = step % 3
    numbers = list(re.finditer(r"\d+", text))
    if kind == 0 and numbers:
        m = rng.choice(numbers)
        return f"{text[: m.start()]}{int(m.group()) + rng.randint(1, 9)}{text[m.end() :]}"
    words = list(re.finditer(r"[A-Za-z]{5,}", text))
    if kind == 1 and words:
        m = rng.choice(words)
        return f"{text[: m.start()]}{m.group()[::-1]}{text[m.end() :]}"
    lines = text.split("\n")
    at = rng.randrange(len(lines))
    lines[at] += f" Update {step}: officials confirmed the figures on Tuesday."
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=40)
    args = parser.parse_args()
    from sqlalchemy import func, select

    from storage import queries
    from storage.db import open_database, session_scope
    from storage.models import Article, Version

    rng = random.Random(8)
    texts = article_texts()
    histories: list[list[str]] = []
    for text in texts:
        history = [text]
        for step in range(1, args.versions):
            history.append(small_edit(history[-1], rng, step))
        histories.append(history)

    with tempfile.TemporaryDirectory() as tmp:
        url = open_database(f"sqlite:///{tmp}/storage.db")
        ids = []
        started = time.perf_counter()
        for i, history in enumerate(histories):
            with session_scope(url) as session:
                article, _ = queries.get_or_create_article(session, f"http://127.0.0.1/s/{i}")
                ids.append(article.id)
            for text in history:
                with session_scope(url) as session:
                    found = session.get(Article, ids[-1])
                    assert found is not None
                    queries.add_version(
                        session,
                        found,
                        fetched_at=dt.datetime(2026, 1, 1),
                        content_hash=str(hash(text)),
                        text=text,
                        extractor="bench",
                        extractor_version="1",
                    )
        write_ms = (time.perf_counter() - started) * 1000 / sum(len(h) for h in histories)
        with session_scope(url) as session:
            count, stored = session.execute(
                select(
                    func.count(),
                    func.sum(
                        func.coalesce(func.length(Version.text_z), 0)
                        + func.coalesce(func.length(Version.text_delta), 0)
                        + func.length(Version.text_sha1)
                    ),
                )
            ).one()
        zlib_bytes = sum(len(zlib.compress(t.encode("utf-8"), 9)) for h in histories for t in h)
        per_version, zlib_per_version = stored / count, zlib_bytes / count

        # The process's first read compiles its two statements (SQLAlchemy caches
        # them): reported on its own, as query_scale.py warms before it times.
        with session_scope(url) as session:
            started = time.perf_counter()
            assert queries.get_version(session, ids[0], 1) is not None
            first_ms = (time.perf_counter() - started) * 1000
        read_ms = []
        for article_id, history in zip(ids, histories, strict=True):
            for seq in rng.sample(range(1, len(history) + 1), 8):
                with session_scope(url) as session:
                    started = time.perf_counter()
                    version = queries.get_version(session, article_id, seq)
                    assert version is not None and version.text == history[seq - 1]
                    read_ms.append((time.perf_counter() - started) * 1000)
        raw = raw_page_figures(tmp)

    chars = sum(len(h[0]) for h in histories) / len(histories)
    print(f"{len(histories)} articles ({chars:.0f} characters mean) x {args.versions} versions; {load()}")
    print(f"  stored text per version  {per_version:8.0f} bytes (full copies + deltas + hash)")
    print(f"  zlib -9 of the full text {zlib_per_version:8.0f} bytes")
    print(f"  ratio                    {per_version / zlib_per_version:8.3f}x (target ≤ 0.1x)")
    print(f"  write                    {write_ms:8.2f} ms per version (one transaction each)")
    print(
        f"  read one version         median {percentile(read_ms, 50):.2f} ms, p95 {percentile(read_ms, 95):.2f} ms, "
        f"max {max(read_ms):.2f} ms (target p95 ≤ 1 ms, max ≤ 3 ms)"
    )
    print(f"  the process's first read {first_ms:8.2f} ms (compiles the statements; not in the figures above)")
    pages, raw_before, raw_after, raw_before_ms, raw_after_ms = raw
    print(f"raw page, {pages} pages ({'real' if (REALPAGES / 'ground-truth.json').exists() else 'generated'}):")
    print(f"  before: versions.raw_html_z  {raw_before:8.0f} bytes per version, {raw_before_ms:.2f} ms (zlib -3)")
    print(
        f"  after:  WARC records         {raw_after:8.0f} bytes per version, {raw_after_ms:.2f} ms "
        f"(request + response with headers + metadata, gzip -3; raw_html_z no longer exists)"
    )
    print(f"  ratio                        {raw_after / raw_before:8.3f}x")
    emit(
        Row(
            "2 storage",
            "raw page per version: WARC records vs the old raw_html_z",
            f"{raw_after:.0f} vs {raw_before:.0f} bytes = {raw_after / raw_before:.3f}x, stored once",
            "stored once",
            True,
        ),
        Row(
            "2 storage",
            "bytes per version, small edits, vs zlib full text",
            f"{per_version:.0f} vs {zlib_per_version:.0f} bytes = {per_version / zlib_per_version:.3f}x",
            "≤ 0.1x",
            per_version / zlib_per_version <= 0.1,
        ),
        Row(
            "2 storage",
            "read any version (p95 / max)",
            f"{percentile(read_ms, 95):.2f} / {max(read_ms):.2f} ms",
            "≤ 1 / 3 ms",
            percentile(read_ms, 95) <= 1 and max(read_ms) <= 3,  # "any version": the slowest one counts
        ),
    )


if __name__ == "__main__":
    main()
