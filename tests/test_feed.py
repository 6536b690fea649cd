"""The Atom feed read back as a feed reader reads it (feedparser): valid, edits by default, each with its word diff."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import feedparser

from pipeline.kinds import CONTENT_KINDS
from storage.models import utcnow
from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.reviewdata import _store, fill

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from review.web import create_app

REDATED_URL = "https://harbour.example/local/redated"


def _newsroom(tmp_path: Path) -> Redline:
    """The review newsroom plus an article whose only edit is its modified date (a signal, not an edit)."""
    room = fill(f"sqlite:///{tmp_path / 'f.db'}")
    for modified in ("2026-11-20T10:00:00Z", "2026-11-21T08:30:00Z"):
        _store(room.db_url, REDATED_URL, article_page("Quiet day", TRUCE_V1.paragraphs, modified=modified), utcnow())
    return Redline(room.db_url, tmp_path)


def _parse(body: str | bytes) -> Any:
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_feed_lists_edits_with_their_word_diff(tmp_path: Path) -> None:
    redline = _newsroom(tmp_path)
    everything = redline.json("changes", "--min-severity", "info")
    assert any(r["kind"] == "modified_date" for r in everything)
    edits = {r["id"] for r in everything if r["kind"] in CONTENT_KINDS}

    feed = _parse(redline("feed").stdout)
    assert {int(e.id.rsplit(":", 1)[1]) for e in feed.entries} == edits
    assert not any(t.term == "modified_date" for e in feed.entries for t in e.tags)

    toll = next(e for e in feed.entries if "20,057" in e.title)
    content = toll.content[0]
    assert content.type == "text/html"
    assert "<del>more than 20,000</del>" in content.value and "<ins>20,057</ins>" in content.value
    assert "Truce talks falter as Gaza death toll passes 20,000" in content.value  # the headline, linked
    assert "people killed" in content.value and "stealth" in content.value
    assert toll.summary.startswith("Article: https://harbour.example/world/truce-talks")

    # The kind filter still picks any kind, the signals included.
    dates = _parse(redline("feed", "--kind", "modified_date").stdout)
    assert [t.term for e in dates.entries for t in e.tags] == ["modified_date"]
    assert "2026-11-<del>20T10:00</del><ins>21T08:30</ins>:00Z" in dates.entries[0].content[0].value

    with TestClient(create_app(redline.db_url)) as client:
        served = _parse(client.get("/feed.atom").content)
        assert len(served.entries) == len(edits)
        assert len(_parse(client.get("/feed.atom?kind=modified_date").content).entries) == 1
