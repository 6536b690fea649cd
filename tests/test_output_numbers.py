"""Numbers people read: exports without float noise, chart axes whose tick labels are distinct."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from review.svg import Point, Series, line_chart, ticks
from storage.db import open_database
from storage.models import utcnow
from tests.articles import article_page
from tests.conftest import Redline
from tests.reviewdata import _store

RIVER_URL = "https://harbour.example/weather/river"


def _river(tmp_path: Path) -> Redline:
    """4.2 metres revised to 3.8: 3.8 - 4.2 is -0.40000000000000036 in floating point."""
    url = open_database(f"sqlite:///{tmp_path / 'n.db'}")
    body = [
        "The river at Millford rose to {} metres by dawn, its highest level since records began.",
        "Residents of the lower town were told to move their cars to higher ground before the tide.",
        "The council said that sandbags would be handed out at the fire station until midnight.",
    ]
    for level in ("4.2", "3.8"):
        _store(url, RIVER_URL, article_page("River rises", [body[0].format(level), *body[1:]]), utcnow())
    return Redline(url, tmp_path)


def test_exports_carry_no_float_noise(tmp_path: Path) -> None:
    redline = _river(tmp_path)
    records = redline.json("changes", "--kind", "number")
    assert [(r["old_value"], r["new_value"], r["details"]["delta"]) for r in records] == [(4.2, 3.8, -0.4)]
    for args in (("changes", "--format", "json"), ("export", "--format", "jsonl"), ("export", "--format", "csv")):
        out = redline(*args).stdout
        assert "0000000" not in out and "9999999" not in out, args
    rows = list(csv.DictReader(io.StringIO(redline("export", "--format", "csv", "--kind", "number").stdout)))
    assert json.loads(rows[0]["details"])["delta"] == -0.4
    assert rows[0]["new_value"] == "3.8"


def _tick_labels(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end" font-size="11">([^<]*)</text>', svg)


def test_chart_ticks_are_distinct_and_whole_for_whole_numbers() -> None:
    captives = Series("captives held", [Point(i, v, None, "") for i, v in enumerate((130, 130, 129), 1)])
    labels = _tick_labels(line_chart([captives]))
    assert labels == ["129", "130"]
    toll = Series("people killed", [Point(1, 20000, None, ""), Point(2, 20057, None, ""), Point(3, 20258, None, "")])
    labels = _tick_labels(line_chart([toll]))
    assert len(set(labels)) == len(labels) >= 3 and all(re.fullmatch(r"[\d,]+", x) for x in labels)
    river = Series("metres", [Point(1, 4.2, None, ""), Point(2, 3.8, None, "")])
    labels = _tick_labels(line_chart([river]))
    assert len(set(labels)) == len(labels) >= 3 and "4.0" in labels


def test_ticks_cover_the_range_in_round_steps() -> None:
    assert ticks(128.9, 130.1, integer=True) == ([129.0, 130.0], 0)
    assert ticks(3.77, 4.23) == ([3.8, 3.9, 4.0, 4.1, 4.2], 1)
    assert ticks(0, 1) == ([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 1)
    assert ticks(5, 5, integer=True) == ([5], 0)
