"""The offline demo, end to end: every scripted revision is reported, and nothing else of a content kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.kinds import CONTENT_KINDS
from review.demo.runner import run_demo
from review.demo.script import SCRIPT, verify
from tests.conftest import Redline

pytestmark = pytest.mark.slow

DRIVER = "daemon"


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
