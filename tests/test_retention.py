"""Retention: old checks are pruned by `redline prune` and by the daemon; versions and their checks stay."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from storage import queries
from storage.db import open_database, session_scope
from storage.models import Check, CheckOutcome, Version, utcnow
from storage.retention import RetentionPolicy, count_prunable, prune_checks
from tests.conftest import ROOT, Redline


def _fill(db_url: str) -> None:
    """One article: a version fetched 200 days ago, then quiet checks 200, 120, 60 and 1 day(s) ago."""
    now = utcnow()
    with session_scope(open_database(db_url)) as session:
        article, _ = queries.get_or_create_article(session, "http://127.0.0.1:9/2026/05/01/old-story")
        article.next_check_at = now + dt.timedelta(days=30)  # not due: the daemon only prunes
        fetched = now - dt.timedelta(days=200)
        queries.add_version(
            session,
            article,
            fetched_at=fetched,
            content_hash="h1",
            title="Old story",
            text="An old story that has not changed since it was published, as far as anyone can tell.",
            extractor="trafilatura",
            extractor_version="2",
        )
        session.flush()
        queries.add_check(
            session, article.id, checked_at=fetched, http_status=200, outcome=CheckOutcome.NEW_VERSION, version_seq=1
        )
        for days in (200, 120, 60, 1):
            queries.add_check(
                session,
                article.id,
                checked_at=now - dt.timedelta(days=days),
                http_status=304,
                outcome=CheckOutcome.NOT_MODIFIED,
                version_seq=1,
            )


def _ages(db_url: str) -> list[tuple[str, int]]:
    now = utcnow()
    with session_scope(db_url) as session:
        rows = session.execute(select(Check.outcome, Check.checked_at).order_by(Check.checked_at, Check.id)).all()
        assert session.scalar(select(func.count()).select_from(Version)) == 1
    return [(str(outcome), round((now - at).total_seconds() / 86400)) for outcome, at in rows]


def test_prune_keeps_recent_checks_and_the_check_that_made_each_version(db_url: str) -> None:
    _fill(db_url)
    before = RetentionPolicy().cutoff()
    with session_scope(open_database(db_url)) as session:
        assert count_prunable(session, before) == 2
    with session_scope(db_url) as session:
        assert prune_checks(session, before, limit=1) == 1  # batches: never more than asked
    with session_scope(db_url) as session:
        assert prune_checks(session, before) == 1
        assert prune_checks(session, before) == 0
    assert _ages(db_url) == [("new_version", 200), ("not_modified", 60), ("not_modified", 1)]


def test_prune_command_dry_run_then_policy_from_config(redline: Redline, db_url: str, tmp_path: Path) -> None:
    _fill(db_url)
    out = redline("prune", "--dry-run").stdout
    assert "would delete 2 check(s) older than 90 days" in out
    assert len(_ages(db_url)) == 5
    config = tmp_path / "redline.toml"
    config.write_text('[retention]\nchecks = "30d"\n')
    assert "deleted 3 check(s) older than 30 days" in redline("prune", "--config", str(config)).stdout
    assert _ages(db_url) == [("new_version", 200), ("not_modified", 1)]
    config.write_text('[retention]\nchecks = "soon"\n')
    bad = redline("prune", "--config", str(config), check=False)
    assert bad.returncode == 1 and 'retention.checks: expected a duration like "90d"' in bad.stderr


def test_daemon_housekeeping_applies_the_retention_policy(db_url: str, tmp_path: Path) -> None:
    _fill(db_url)
    config = tmp_path / "redline.toml"
    config.write_text('[retention]\nchecks = "100d"\n')
    env = {**os.environ, "REDLINE_DB": db_url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "review.cli",
            "-v",
            "run",
            "--duration",
            "3",
            "--metrics-port",
            "0",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "retention: deleted 2 check(s)" in proc.stderr
    assert _ages(db_url) == [("new_version", 200), ("not_modified", 60), ("not_modified", 1)]
