"""Bad input to every command: one clear line, a non-zero exit, never a traceback.

A row each: the arguments, the exit code (1: the input was understood and
refused; 2: a usage error), and the last line the user reads. ``{tmp}`` is
the test's directory, ``{url}`` a tracked article.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from tests.reviewdata import TRUCE_URL, fill

NOT_TRACKED = "https://nowhere.example/story"
SINCE = (
    "Error: Invalid value for '--since': unknown since 'yesterday'; allowed: a duration such as 90m, 24h, 7d, 2w, "
    "or an ISO date"
)

ROWS: list[tuple[list[str], int, str]] = [
    # track
    (["track", "not-a-url"], 1, "Error: refused not-a-url: scheme must be http or https, not 'missing'"),
    (["track", "ftp://a.example/x", "http://"], 1, "Error: no URL tracked: 2 refused"),
    # crawl
    (
        ["crawl", "-s", "lower=1"],
        2,
        "Error: Invalid value for '-s' / '--set': expected NAME=VALUE with an upper-case "
        "Scrapy setting name, got 'lower=1'",
    ),
    (
        ["crawl", "-s", "CONCURRENT_REQUESTS=abc"],
        2,
        "Error: Invalid value for '-s' / '--set': CONCURRENT_REQUESTS expects a number, got 'abc'",
    ),
    (
        ["crawl", "-s", "AUTOTHROTTLE_ENABLED=perhaps"],
        2,
        "Error: Invalid value for '-s' / '--set': AUTOTHROTTLE_ENABLED expects true or false, got 'perhaps'",
    ),
    (["crawl", "--limit", "0"], 2, "Error: Invalid value for '--limit': 0 is not in the range x>=1."),
    (
        ["crawl", "--config", "{tmp}/missing.toml"],
        1,
        "Error: {tmp}/missing.toml: cannot read: No such file or directory",
    ),
    # changes, history, checks, diff
    (
        ["changes", "--since", "yesterday"],
        2,
        SINCE,
    ),
    (["changes", "--url", NOT_TRACKED], 1, f"Error: not tracked: {NOT_TRACKED}"),
    (
        ["changes", "--format", "xml"],
        2,
        "Error: Invalid value for '--format': 'xml' is not one of 'table', 'json', 'tsv'.",
    ),
    (["history", NOT_TRACKED], 1, f"Error: not tracked: {NOT_TRACKED}"),
    (["checks", NOT_TRACKED], 1, f"Error: not tracked: {NOT_TRACKED}"),
    (["diff", NOT_TRACKED], 1, f"Error: not tracked: {NOT_TRACKED}"),
    (
        ["diff", "{url}", "--from", "0", "--to", "0"],
        2,
        "Error: Invalid value for '--from': 0 is not in the range x>=1.",
    ),
    (["diff", "{url}", "--from", "1", "--to", "5"], 1, f"Error: {TRUCE_URL} has versions 1..2; there is no version 5"),
    (["diff", "{url}", "--from", "2", "--to", "1"], 1, "Error: --from 2 must be older than --to 1"),
    (
        ["diff", "{url}", "--context", "some"],
        2,
        "Error: Invalid value for '--context': expected a number of sentences or 'all', got 'some'",
    ),
    (
        ["diff", "{url}", "-o", "/nonexistent/d.txt"],
        1,
        "Error: cannot write /nonexistent/d.txt: No such file or directory",
    ),
    (["diff", "{url}", "--format", "png"], 1, "Error: --format png needs -o FILE.png"),
    # the database
    (
        ["--db", "sqlite:///{tmp}/typo.db", "changes"],
        1,
        "Error: cannot open database sqlite:///{tmp}/typo.db: {tmp}/typo.db does not exist "
        "(redline track, sources add, crawl or run creates it)",
    ),
    (
        ["--db", "sqlite:////missing/dir/x.db", "status"],
        1,
        "Error: cannot open database sqlite:////missing/dir/x.db: the directory /missing/dir does not exist",
    ),
    (
        ["--db", "sqlite:////missing/dir/x.db", "track", "https://a.example/x"],
        1,
        "Error: cannot open database sqlite:////missing/dir/x.db: the directory /missing/dir does not exist",
    ),
    # the daemon
    (["run", "--time-scale", "0"], 2, "Error: Invalid value for '--time-scale': must be positive"),
    (["run", "--config", "{tmp}/missing.toml"], 1, "Error: {tmp}/missing.toml: cannot read: No such file or directory"),
    (
        ["status", "--format", "yaml"],
        2,
        "Error: Invalid value for '--format': 'yaml' is not one of 'table', 'json', 'tsv'.",
    ),
    (["schedule", "--limit", "0"], 2, "Error: Invalid value for '--limit': 0 is not in the range x>=1."),
    (
        ["schedule", "--config", "{tmp}/bad.toml"],
        1,
        "Error: {tmp}/bad.toml:2: recheck.jitter: expected a non-negative number, got 'lots'",
    ),
    (
        ["worker", "--redis", "redis://127.0.0.1:1/0"],
        1,
        "Error: cannot reach Redis at redis://127.0.0.1:1/0: Error 111 connecting to 127.0.0.1:1. Connection refused.",
    ),
    # sources
    (
        ["sources", "add", "ftp://a.example/feed", "--kind", "feed"],
        1,
        "Error: refused ftp://a.example/feed: scheme must be http or https, not 'ftp'",
    ),
    (
        ["sources", "add", "https://a.example/feed", "--kind", "feed", "--every", "soon"],
        2,
        'Error: Invalid value for \'--every\': expected a duration like "90s", "10m", "2h" or "1d", got \'soon\'',
    ),
    (["sources", "remove", "nope"], 1, "Error: no source 'nope' (see redline sources list)"),
    (
        ["sources", "list", "--config", "{tmp}/latin1.toml"],
        1,
        "Error: {tmp}/latin1.toml: cannot read: not UTF-8 text (byte 0xe9 at offset 23)",
    ),
    (["discover", "--source", "nope"], 1, "Error: no source 'nope' (see redline sources list)"),
    # reports
    (["report", "-o", "/nonexistent/r.html"], 1, "Error: cannot write /nonexistent/r.html: No such file or directory"),
    (
        ["report", "--since", "yesterday"],
        2,
        SINCE,
    ),
    (
        ["export", "-o", "/nonexistent/x.csv", "--format", "csv"],
        1,
        "Error: cannot write /nonexistent/x.csv: No such file or directory",
    ),
    (
        ["feed", "-o", "/nonexistent/feed.atom"],
        1,
        "Error: cannot write /nonexistent/feed.atom: No such file or directory",
    ),
    (
        ["alerts", "check", "--rules", "{tmp}/missing.toml"],
        1,
        "Error: cannot read {tmp}/missing.toml: No such file or directory",
    ),
    (
        ["alerts", "run", "--rules", "{tmp}/alerts.toml", "--since", "yesterday"],
        2,
        SINCE,
    ),
    (
        ["alerts", "list", "--status", "lost"],
        2,
        "Error: Invalid value for '--status': 'lost' is not one of 'pending', 'sent', 'failed', 'gave_up'.",
    ),
    (["figures"], 2, "Error: Missing argument 'QUERY'."),
    (
        ["figures", "killed", "--format", "xml"],
        2,
        "Error: Invalid value for '--format': 'xml' is not one of 'table', 'json', 'tsv'.",
    ),
    # evidence
    (["verify", "--sample", "0"], 2, "Error: Invalid value for '--sample': must be at least 1"),
    (
        ["backup", "/nonexistent/dir/copy.db"],
        1,
        "Error: no directory /nonexistent/dir",
    ),
    (
        ["inspect", "{tmp}/nothere.html"],
        1,
        "Error: {tmp}/nothere.html: no such file (give a saved page or an http(s) URL)",
    ),
    (
        ["inspect", "http://127.0.0.1:9/a", "-s", "CONCURRENT_REQUESTS=x"],
        2,
        "Error: Invalid value for '-s' / '--set': CONCURRENT_REQUESTS expects a number, got 'x'",
    ),
    (
        ["prune", "--config", "{tmp}/missing.toml"],
        1,
        "Error: {tmp}/missing.toml: cannot read: No such file or directory",
    ),
    # the rest
    (
        ["--log-file", "/nonexistent/x.log", "kinds"],
        2,
        "Error: Invalid value for '--log-file': cannot open /nonexistent/x.log: No such file or directory",
    ),
    (
        ["sources", "add", "https://a.example/f", "--kind", "feed", "--every", "99999999999999999999d"],
        2,
        "Error: Invalid value for '--every': at most 365d, got '99999999999999999999d'",
    ),
    (
        ["diff", "{url}", "--to", "99999999999999999999999"],
        1,
        f"Error: {TRUCE_URL} has versions 1..2; there is no version 99999999999999999999999",
    ),
    (["demo", "--dir", "/proc/redline-demo"], 1, "Error: cannot create /proc/redline-demo: No such file or directory"),
    (["serve", "--port", "99999"], 2, "Error: Invalid value for '--port': 99999 is not in the range 1<=x<=65535."),
    (["serve", "--host", "0.0.0.0"], 1, "Error: binding 0.0.0.0 exposes the database: give --token (or REDLINE_TOKEN)"),
    (["demo", "--time-scale", "0"], 2, "Error: Invalid value for '--time-scale': 0.0 is not in the range x>0."),
    (["kinds", "extra"], 2, "Error: Got unexpected extra argument (extra)"),
    (["nosuch"], 2, "Error: No such command 'nosuch'."),
]


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp("errors")
    (tmp / "latin1.toml").write_bytes('[[sources]]\nname = "caf\xe9"\n'.encode("latin-1"))
    (tmp / "bad.toml").write_text("[recheck]\njitter = 'lots'\n")
    (tmp / "alerts.toml").write_text("[[rule]]\nname = 'all'\ntargets = ['https://hooks.example/x']\n")
    return fill(f"sqlite:///{tmp / 'room.db'}").db_url, tmp


def _fill(value: str, tmp: Path) -> str:
    return value.replace("{tmp}", str(tmp)).replace("{url}", TRUCE_URL)


@pytest.mark.parametrize(("argv", "code", "line"), ROWS, ids=[" ".join(r[0]) for r in ROWS])
def test_bad_input(room: tuple[str, Path], argv: list[str], code: int, line: str) -> None:
    from review.cli import cli

    db_url, tmp = room
    args = [_fill(a, tmp) for a in argv]
    if args[0] != "--db":
        args = ["--db", db_url, *args]
    result = CliRunner().invoke(cli, args)
    output = result.stderr + result.stdout
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, output
    assert result.stderr.strip().splitlines()[-1] == _fill(line, tmp)
    assert not (tmp / "typo.db").exists()  # a read never creates a database


def test_every_command_has_a_row() -> None:
    import click

    from review.cli import cli

    commands = set(cli.list_commands(click.Context(cli)))
    covered = {next(a for a in argv if a in commands) for argv, _, _ in ROWS if any(a in commands for a in argv)}
    assert commands <= covered


def test_refused_track_creates_no_database(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "review.cli", "track", "not-a-url"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "redline.db").exists()


def test_crawl_bad_setting_is_one_line_and_non_zero(tmp_path: Path) -> None:
    """A real process: Scrapy and Twisted would print their own traceback and exit 0."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    subprocess.run(
        [sys.executable, "-m", "review.cli", "--db", db, "track", "http://127.0.0.1:9/a"],
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "REDLINE_ALLOW_PRIVATE": "1"},
    )
    proc = subprocess.run(
        [sys.executable, "-m", "review.cli", "--db", db, "crawl", "-s", "CONCURRENT_REQUESTS=abc"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].endswith("CONCURRENT_REQUESTS expects a number, got 'abc'")


def test_serve_on_a_busy_port_says_so_once(tmp_path: Path) -> None:
    """`serving on …` is printed only once the port is bound."""
    db_url = fill(f"sqlite:///{tmp_path / 's.db'}").db_url
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "review.cli", "--db", db_url, "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        )
    assert proc.returncode == 1, proc.stderr
    assert "serving" not in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [f"Error: cannot listen on 127.0.0.1:{port}: address already in use"]
