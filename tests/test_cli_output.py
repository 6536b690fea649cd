"""What the CLI prints, on a terminal and anywhere else: diff markers, tables that
do not wrap when piped, TSV, readable status lines, diff context and files."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from rich.console import Console

from tests import forkserver
from tests.articles import TRUCE_V1, article_page
from tests.conftest import ROOT, Redline
from tests.localsite import LocalSite
from tests.reviewdata import TRUCE_URL, fill

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TOLL = "[-more than 20,000-]{+20,057+}"


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp("output")
    return fill(f"sqlite:///{tmp / 'room.db'}").db_url, tmp


def _env(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES", "FORCE_COLOR")}
    return {**env, "REDLINE_DB": db_url, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", **extra}


def piped(db_url: str, *args: str, **env: str) -> str:
    """`redline ARGS > file`: a real process whose stdout is not a terminal."""
    proc = forkserver.run(list(args), env=_env(db_url, **env), cwd=Path.cwd(), timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def on_terminal(db_url: str, *args: str, columns: int = 200, **env: str) -> str:
    """The same on a terminal ``columns`` wide (a pseudo-terminal)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "review.cli", *args], stdout=slave, stderr=subprocess.PIPE, env=_env(db_url, **env)
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other end is closed
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    os.close(master)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_piped_diff_and_changes_show_markers(room: tuple[str, Path]) -> None:
    db_url, _ = room
    diff = piped(db_url, "diff", TRUCE_URL)
    assert TOLL in diff and not ANSI.search(diff)
    assert "Truce talks [-stall-]{+falter+}" in diff or "[-" in diff.splitlines()[1]
    changes = piped(db_url, "changes")
    assert TOLL in changes and not ANSI.search(changes)
    assert "[-more than 19,800-]{+20,100+}" in changes  # the other outlet's revision


def test_demo_report_piped_shows_markers(room: tuple[str, Path]) -> None:
    from review.demo.report import print_report

    db_url, _ = room
    out = io.StringIO()
    print_report(db_url, Console(file=out, width=200))
    assert "[-" in out.getvalue() and "{+" in out.getvalue()


def test_terminal_gets_colour_unless_no_color_or_markers(room: tuple[str, Path]) -> None:
    db_url, _ = room
    coloured = on_terminal(db_url, "diff", TRUCE_URL)
    assert ANSI.search(coloured) and TOLL not in ANSI.sub("", coloured)
    assert TOLL in ANSI.sub("", on_terminal(db_url, "diff", TRUCE_URL, NO_COLOR="1"))
    assert TOLL in ANSI.sub("", on_terminal(db_url, "diff", TRUCE_URL, "--markers"))
    assert TOLL in ANSI.sub("", on_terminal(db_url, "changes", "--markers"))


def test_url_column_never_wraps(room: tuple[str, Path]) -> None:
    db_url, _ = room
    wide = ANSI.sub("", on_terminal(db_url, "changes", columns=200))
    assert max(map(len, wide.splitlines())) <= 200
    assert sum(TRUCE_URL in line for line in wide.splitlines()) >= 2  # whole, on the rows' own lines
    piped_out = piped(db_url, "changes", COLUMNS="80")
    assert sum(TRUCE_URL in line for line in piped_out.splitlines()) >= 2
    rows = json.loads(piped(db_url, "changes", "--format", "json"))
    data_lines = [line for line in piped_out.splitlines() if line.startswith("│")]
    assert len(data_lines) == len(rows)  # piped: one line per row, nothing wrapped into slivers
    assert all(f"│ {r['article_url']} " in line for r, line in zip(rows, data_lines, strict=True))


def test_tsv_for_scripts(room: tuple[str, Path]) -> None:
    db_url, _ = room
    changes = piped(db_url, "changes", "--format", "tsv").splitlines()
    header = changes[0].split("\t")
    assert header[:3] == ["id", "detected_at", "article_url"]
    assert all(len(line.split("\t")) == len(header) for line in changes[1:])
    numbers = [dict(zip(header, line.split("\t"), strict=True)) for line in changes[1:]]
    assert {"old": "more than 20,000", "new": "20,057"}.items() <= next(
        r for r in numbers if r["kind"] == "number" and r["article_url"] == TRUCE_URL
    ).items()
    for argv in (
        ("history", TRUCE_URL),
        ("checks", TRUCE_URL),
        ("status",),
        ("schedule",),
        ("sources", "list"),
        ("alerts", "list"),
        ("figures", "killed"),
    ):
        lines = piped(db_url, *argv, "--format", "tsv").splitlines()
        width = len(lines[0].split("\t"))
        assert width > 1 and all(len(line.split("\t")) == width for line in lines), argv


def test_status_reads_as_lines(room: tuple[str, Path]) -> None:
    db_url, _ = room
    out = piped(db_url, "status")
    assert "{" not in out and "'" not in out
    assert "articles: 3 active" in out


def test_diff_context(room: tuple[str, Path]) -> None:
    db_url, _ = room
    whole = piped(db_url, "diff", TRUCE_URL, "--context", "all")
    around = piped(db_url, "diff", TRUCE_URL)  # default: one sentence either side
    only = piped(db_url, "diff", TRUCE_URL, "--context", "0")
    assert TOLL in whole and TOLL in around and TOLL in only
    assert len(only) < len(around) < len(whole)
    assert "…" in around and "…" not in whole
    assert "Negotiators" in whole and "Negotiators" not in only
    html = piped(db_url, "diff", TRUCE_URL, "--format", "html", "--context", "0")
    assert "<ins>20,057</ins>" in html and "Negotiators" not in html
    segments = json.loads(piped(db_url, "diff", TRUCE_URL, "--format", "json", "--context", "0"))["segments"]
    assert "Negotiators" in "".join(s["text"] for s in segments)  # the JSON contract keeps every segment


@pytest.mark.parametrize("fmt", ["text", "html", "json", "card"])
def test_diff_output_file(room: tuple[str, Path], fmt: str) -> None:
    db_url, tmp = room
    target = tmp / f"diff.{fmt}"
    assert piped(db_url, "diff", TRUCE_URL, "--format", fmt, "-o", str(target)) == ""
    written = target.read_text(encoding="utf-8")
    assert "20,057" in written
    if fmt == "text":
        assert TOLL in written


def test_figures_command(room: tuple[str, Path]) -> None:
    from fastapi.testclient import TestClient

    from review.web import create_app

    db_url, tmp = room
    data = json.loads(piped(db_url, "figures", "killed", "--format", "json"))
    with TestClient(create_app(db_url)) as client:
        assert data == client.get("/api/figures", params={"q": "killed"}).json()
    assert {s["label"].split(":")[0] for s in data["series"]} == {"harbour.example", "bay.example"}
    table = piped(db_url, "figures", "killed")
    assert "more than 20,000" in table and "20,057" in table and "bay.example" in table
    assert "no figure matches" in Redline(db_url, tmp)("figures", "unicorns").stdout


def test_track_canonicalises(tmp_path: Path) -> None:
    """The canonicaliser discovery uses: tracking a tracking-parameter or fragment variant is no new article."""
    redline = Redline(f"sqlite:///{tmp_path / 't.db'}", tmp_path)
    canonical = "http://harbour.example/news/bridge.html"
    assert redline("track", canonical).stdout.strip() == f"tracking {canonical}"
    for variant in (f"{canonical}?utm_source=rss", "HTTP://Harbour.Example/news/bridge.html#comments"):
        assert redline("track", variant).stdout.strip() == f"already tracked {canonical} (as {variant})"
    variant = "http://harbour.example/news/ferry.html?utm_medium=x#top"
    new = redline("track", variant).stdout.strip()
    assert new == f"tracking http://harbour.example/news/ferry.html (from {variant})"
    from sqlalchemy import func, select

    from storage.db import session_scope
    from storage.models import Article

    with session_scope(redline.db_url) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 2


def test_crawl_reschedules_with_the_configured_policy(site: LocalSite, tmp_path: Path) -> None:
    """A crawl plans the next check as the daemon would, from the same [recheck] table."""
    from sqlalchemy import select

    from storage.db import session_scope
    from storage.models import Article

    redline = Redline(f"sqlite:///{tmp_path / 'c.db'}", tmp_path)
    redline("track", site.put("/a", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs)))
    config = tmp_path / "redline.toml"
    config.write_text('[recheck]\nladder = [["1d", "7h"]]\njitter = 0\nafter_change = 1.0\n')
    redline("--config", str(config), "crawl", "--all")
    with session_scope(redline.db_url) as session:
        article = session.scalars(select(Article)).one()
        assert article.next_check_at is not None and article.last_checked_at is not None
        gap = (article.next_check_at - article.last_checked_at).total_seconds()
    assert abs(gap - 7 * 3600) < 60, gap  # the default policy says 15 minutes


def test_schedule_explains_with_the_configured_policy(room: tuple[str, Path], tmp_path: Path) -> None:
    db_url, _ = room
    default = json.loads(piped(db_url, "schedule", "--format", "json"))
    assert all("every 15 min" in r["why"] for r in default)
    config = tmp_path / "redline.toml"
    config.write_text('[recheck]\nladder = [["3h", "7m"], ["1d", "1h"]]\n')
    for args, env in ((("--config", str(config)), {}), ((), {"REDLINE_CONFIG": str(config)})):
        rows = json.loads(piped(db_url, *args, "schedule", "--format", "json", **env))
        assert rows and all("every 7 min" in r["why"] for r in rows), rows
