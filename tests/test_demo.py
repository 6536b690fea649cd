"""The offline demo, end to end: every scripted revision is reported, and nothing else of a content kind."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from pipeline.kinds import CONTENT_KINDS
from review.demo.report import _rows, closing_hint
from review.demo.runner import run_demo
from review.demo.script import SCRIPT, verify
from tests import forkserver
from tests.conftest import Redline

pytestmark = pytest.mark.slow

DRIVER = "daemon"


# The in-process demo runs on PostgreSQL; on SQLite the demo is run as `redline demo`
# below, which checks the same revisions (one demo per backend keeps `make test` short).
@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_demo_reports_every_scripted_revision(tmp_path: Path, redline: Redline) -> None:
    result = run_demo(redline.db_url, log_path=tmp_path / "daemon.log", driver=DRIVER)
    assert result.timed_out == [], (tmp_path / "daemon.log").read_text()[-3000:]

    records = redline.json("changes", "--min-severity", "info")
    verdict = verify(records, CONTENT_KINDS)
    print(f"caught {len(verdict.caught)} of {len(verdict.caught) + len(verdict.missed)} scripted revisions")
    assert verdict.missed == []
    assert verdict.unexpected == []
    # The A/B test is one record, not a stream.
    assert sum(r["kind"] == "headline_flipflop" for r in records) == 1
    assert len(SCRIPT) == result.steps_seen

    # The feed a reader subscribes to: valid Atom, one entry per scripted edit, no date signals.
    feed = feedparser.parse(redline("feed").stdout)
    assert not feed.bozo, feed.get("bozo_exception")
    edits = [r for r in records if r["kind"] in CONTENT_KINDS]
    assert sorted(int(e.id.rsplit(":", 1)[1]) for e in feed.entries) == sorted(r["id"] for r in edits)
    assert all(e.content[0].type == "text/html" for e in feed.entries)
    assert any("<ins>20,057</ins>" in e.content[0].value for e in feed.entries)
    print(f"feed: {len(feed.entries)} entries; changes: {len(records)} records at --min-severity info")

    # The closing hint accounts for every record `redline changes` would show.
    hint = closing_hint(redline.db_url, len(verify_rows(redline.db_url)), tmp_path / "demo-report.html")
    print("\n".join(hint))
    listed = len(redline.json("changes"))
    assert any(f"lists {listed}" in line for line in hint) or hint[0].startswith(f"{listed} records")


def verify_rows(db_url: str) -> list[object]:
    """The records the demo's own report prints."""
    return [c for _, _, changes in _rows(db_url) for c in changes]


def test_redline_demo_leaves_the_database_file_whole(tmp_path: Path) -> None:
    """After `redline demo`, demo.db alone (no -wal beside it), opened read-only and immutable, holds every version."""
    import os
    import shutil
    import sqlite3

    from tests.conftest import ROOT

    out = tmp_path / "demo-output"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = forkserver.run(["demo", "--dir", str(out)], env=env, cwd=tmp_path, timeout=280)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    alone = tmp_path / "alone" / "demo.db"
    alone.parent.mkdir()
    shutil.copyfile(out / "demo.db", alone)  # first: opening the original below may checkpoint it
    counts = []
    for uri in (f"file:{alone}?mode=ro&immutable=1", f"file:{out / 'demo.db'}"):  # alone; then file and log
        conn = sqlite3.connect(uri, uri=True)
        try:
            counts.append(conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0])
        finally:
            conn.close()
    assert counts[1] > 10 and counts[0] == counts[1], counts
    # The same demo, on SQLite, reported every scripted revision and nothing else.
    records = Redline(f"sqlite:///{alone}", tmp_path).json("changes", "--min-severity", "info")
    verdict = verify(records, CONTENT_KINDS)
    assert verdict.missed == [] and verdict.unexpected == []
