"""Storage: bytes per stored version for small edits, against zlib-compressed full text.

    python bench/storage_size.py [--versions 40]

Every article text (the real pages of ../shared/realpages, else generated ones)
gets a history of ``--versions`` versions, each one small edit away from the
one before (a figure revised, a word changed, a sentence added), stored through
``storage.queries.add_version`` one transaction per version in SQLite, as the
crawl stores them. Figures: stored text bytes per version (full copies, deltas
and the 40-byte hash that verifies every rebuild) against zlib level 9 of each
full text (target ≤ 0.1×); and the time to read any one version back in a fresh
session (target ≤ 5 ms).
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

        read_ms = []
        for article_id, history in zip(ids, histories, strict=True):
            for seq in rng.sample(range(1, len(history) + 1), 8):
                with session_scope(url) as session:
                    started = time.perf_counter()
                    version = queries.get_version(session, article_id, seq)
                    assert version is not None and version.text == history[seq - 1]
                    read_ms.append((time.perf_counter() - started) * 1000)

    chars = sum(len(h[0]) for h in histories) / len(histories)
    print(f"{len(histories)} articles ({chars:.0f} characters mean) x {args.versions} versions; {load()}")
    print(f"  stored text per version  {per_version:8.0f} bytes (full copies + deltas + hash)")
    print(f"  zlib -9 of the full text {zlib_per_version:8.0f} bytes")
    print(f"  ratio                    {per_version / zlib_per_version:8.3f}x (target ≤ 0.1x)")
    print(f"  write                    {write_ms:8.2f} ms per version (one transaction each)")
    print(
        f"  read one version         median {percentile(read_ms, 50):.2f} ms, p95 {percentile(read_ms, 95):.2f} ms, "
        f"max {max(read_ms):.2f} ms (target ≤ 5 ms)"
    )
    emit(
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
            "≤ 5 ms",
            max(read_ms) <= 5,  # "any version": the slowest one counts
        ),
    )


if __name__ == "__main__":
    main()
