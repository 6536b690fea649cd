"""`redline report` and the demo's HTML copy as a reader takes them in: summary first, times readable, links, legend."""

from __future__ import annotations

import re
from pathlib import Path

from review.demo.report import write_html
from tests.conftest import Redline
from tests.reviewdata import BAY_URL, TRUCE_URL, TRUCE_V2_TITLE, fill
from tests.test_review_surfaces import _no_live_markup


def _check(html: str) -> None:
    _no_live_markup(html)
    summary = html.split('<section class="summary"', 1)[1].split("</section>", 1)[0]
    assert "6 change(s) in 3 edit(s) of 3 article(s)" in summary
    assert "6 stealth" in summary
    assert re.search(r'<span class="kind">number</span> 2', summary)
    assert f"{TRUCE_V2_TITLE}</a>" in summary  # the articles, each linked to its section
    # No raw ISO timestamp, let alone microseconds: minutes and the zone, as people write them.
    assert not re.search(r"\d\d:\d\d:\d\d(\.\d+)?", html), re.findall(r"\S*\d\d:\d\d:\d\d\S*", html)[:3]
    assert re.search(r"detected \d{4}-\d\d-\d\d \d\d:\d\d UTC", html)
    for url in (TRUCE_URL, BAY_URL):
        assert f'<a class="url" href="{url}">{url}</a>' in html
    assert "<th>what the figure counts</th>" in html and "<th>counts</th>" not in html
    legend = html.split('id="legend"', 1)[1]
    assert "stealth" in legend and "no correction or update note" in legend
    assert "A figure was revised" in legend and "The headline was rewritten" in legend


def test_report_has_summary_legend_links_and_readable_times(tmp_path: Path) -> None:
    room = fill(f"sqlite:///{tmp_path / 'r.db'}")
    html = Redline(room.db_url, tmp_path)("report", "-o", "-").stdout
    _check(html)


def test_demo_report_is_the_same_report(tmp_path: Path) -> None:
    room = fill(f"sqlite:///{tmp_path / 'd.db'}")
    write_html(room.db_url, tmp_path / "demo-report.html")
    html = (tmp_path / "demo-report.html").read_text(encoding="utf-8")
    _check(html)
    assert "What redline caught in the demo" in html
