"""Crash consistency: kill -9 at random moments of a crawl, then check nothing is partial or doubled.

`make test` runs a few kills; `make soak` runs 20 (REDLINE_CRASH_ITERATIONS).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from storage.db import open_database, session_scope
from tests import forkserver
from tests.articles import TRUCE_V1, article_page
from tests.conftest import ROOT, Redline
from tests.localsite import LocalSite

ITERATIONS = int(os.environ.get("REDLINE_CRASH_ITERATIONS", "5"))
ARTICLES = 60


def _publish(site: LocalSite, round_: int) -> list[str]:
    urls = []
    for i in range(ARTICLES):
        toll = f"{20000 + round_ * 57 + i:,}"
        paragraphs = [p.replace("20,000", toll) for p in TRUCE_V1.paragraphs]
        urls.append(site.put(f"/story-{i}", article_page(f"{TRUCE_V1.title} ({i})", paragraphs)))
    return urls


def _served(site: LocalSite) -> int:
    with site.lock:
        return sum(site.hits.get(f"/story-{i}", 0) for i in range(ARTICLES))


def _start_crawl(db_url: str, cwd: Path) -> forkserver.Process:
    cmd = [sys.executable, "-m", "review.cli", "--db", db_url, "crawl", "--all", "-s", "AUTOTHROTTLE_ENABLED=False"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return forkserver.popen(cmd[3:], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def check_consistency(db_url: str) -> dict[str, int]:
    """The invariants a crash must never break; returns counts for the report."""
    with session_scope(db_url) as session:
        q = lambda sql: session.execute(text(sql)).all()  # noqa: E731
        duplicated = q("SELECT article_id, seq FROM versions GROUP BY article_id, seq HAVING COUNT(*) > 1")
        gaps = q("SELECT article_id FROM versions GROUP BY article_id HAVING MAX(seq) <> COUNT(*) OR MIN(seq) <> 1")
        # One transaction per page: a version always has its new_version check.
        partial = q(
            "SELECT v.article_id, v.seq FROM versions v LEFT JOIN checks c ON c.article_id = v.article_id "
            "AND c.version_seq = v.seq AND c.outcome = 'new_version' WHERE c.id IS NULL"
        )
        same_twice = q(
            "SELECT a.article_id, a.seq FROM versions a JOIN versions b ON a.article_id = b.article_id "
            "AND b.seq = a.seq + 1 AND a.content_hash = b.content_hash"
        )
        versions = q("SELECT COUNT(*) FROM versions")[0][0]
    assert duplicated == [], f"duplicate versions: {duplicated}"
    assert gaps == [], f"version numbers with gaps: {gaps}"
    assert partial == [], f"versions without their check (a partial write): {partial}"
    assert same_twice == [], f"the same content stored twice in a row: {same_twice}"
    return {"versions": versions}


def test_kill_9_mid_crawl_loses_and_doubles_nothing(tmp_path: Path, site: LocalSite) -> None:
    db_file = tmp_path / "crash.db"
    db_url = open_database(f"sqlite:///{db_file}")
    redline = Redline(db_url, tmp_path)
    urls = _publish(site, 0)
    redline("track", *urls)
    rng = random.Random(20261125)
    kills = 0
    for round_ in range(1, ITERATIONS + 1):
        _publish(site, round_)
        served = _served(site)
        proc = _start_crawl(db_url, tmp_path)
        # After a random number of this round's pages, wherever the crawl then is
        # (fetching, extracting, storing): a kill timed by the clock missed fast crawls.
        wanted = served + rng.randint(1, ARTICLES - 1)
        deadline = time.monotonic() + 120
        while proc.poll() is None and _served(site) < wanted and time.monotonic() < deadline:
            time.sleep(0.005)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        with sqlite3.connect(db_file) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        check_consistency(db_url)

    # The restart resumes: one uninterrupted crawl brings every article to the latest round.
    redline("crawl", "--all", "-s", "AUTOTHROTTLE_ENABLED=False")
    counts = check_consistency(db_url)
    latest = f"{20000 + ITERATIONS * 57:,}"
    first = redline.json("history", urls[0])["versions"][-1]["text"]
    assert latest in first
    print(f"{ITERATIONS} rounds, {kills} kill -9, {counts['versions']} versions, 0 duplicated, 0 partial")
    assert kills >= ITERATIONS // 2, "the kills must land mid-crawl to mean anything"
