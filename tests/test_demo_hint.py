"""The demo's last words: what its report left out, and commands that work as printed, piped or not."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from review.cli import cli
from review.demo.report import display_db_url, print_closing_hint, print_report
from storage import queries
from storage.db import session_scope
from storage.models import utcnow
from tests.articles import TRUCE_V1, article_page
from tests.reviewdata import _store, fill


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    """The review newsroom, a modified-date signal and a metadata record: each kind of thing the demo leaves out."""
    (tmp_path / "demo-output").mkdir()
    room = fill(f"sqlite:///{tmp_path / 'demo-output' / 'demo.db'}")
    for modified in ("2026-11-20T10:00:00Z", "2026-11-21T08:30:00Z"):
        html = article_page("Quiet day", TRUCE_V1.paragraphs, modified=modified)
        _store(room.db_url, "https://harbour.example/local/redated", html, utcnow())
    with session_scope(room.db_url) as session:
        queries.add_change(
            session, room.ids["truce"], from_version=1, to_version=2, detected_at=utcnow(), kind="metadata",
            old="3 comments", new="9 comments", severity="info", details={"reason": "counter"},
        )  # fmt: skip
    return room.db_url


def test_closing_hint_explains_the_counts_and_stays_on_one_line(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=False)  # piped: no terminal, 80 columns
    shown = print_report(demo_db, console)
    print_closing_hint(console, demo_db, shown, Path("demo-output/demo-report.html"))
    hint = out.getvalue().split("╯")[-1].strip().splitlines()

    assert hint[0].startswith(f"{shown} records above")
    assert f"`redline changes` lists {shown + 1}: also 1 low-severity signal(s) (modified_date" in hint[1]
    assert "1 metadata record(s)" in hint[2] and "--min-severity info" in hint[2]
    assert "HTML report: demo-output/demo-report.html" in hint
    commands = [line.strip() for line in hint if line.strip().startswith("redline ")]
    assert commands == [
        "redline --db sqlite:///demo-output/demo.db changes",
        "redline --db sqlite:///demo-output/demo.db changes --min-severity info",
        "redline --db sqlite:///demo-output/demo.db serve",
    ]  # whole lines though longer than 80 columns, and the same relative path as the README

    # The commands work as printed, and count what the hint says.
    runner = CliRunner()
    listed = runner.invoke(cli, [*shlex.split(commands[0])[1:], "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.count('"kind"') == shown + 1
    everything = runner.invoke(cli, [*shlex.split(commands[1])[1:], "--format", "json"])
    assert everything.output.count('"kind"') == shown + 2
    serve = runner.invoke(cli, [*shlex.split(commands[2])[1:], "--help"])
    assert serve.exit_code == 0, serve.output


def test_display_db_url_is_relative_below_the_working_directory(tmp_path: Path) -> None:
    inside = f"sqlite:///{tmp_path / 'demo-output' / 'demo.db'}"
    assert display_db_url(inside, tmp_path) == "sqlite:///demo-output/demo.db"
    assert display_db_url("sqlite:////elsewhere/demo.db", tmp_path) == "sqlite:////elsewhere/demo.db"
    assert display_db_url("postgresql://u@h/db", tmp_path) == "postgresql://u@h/db"
