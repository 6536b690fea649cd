"""`redline --help` and `--version` load no database, crawler or web code; `changes` loads no crawler,
web app or migrations (start-up time is measured by bench/cli_startup.py, never asserted here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.reviewdata import TRUCE_URL, fill

HEAVY = {"sqlalchemy", "scrapy", "twisted", "fastapi", "uvicorn", "alembic", "trafilatura", "apprise", "rich"}
CRAWL_AND_WEB = HEAVY - {"sqlalchemy", "rich"}


def imported(*args: str, db_url: str | None = None) -> set[str]:
    """The top-level packages `redline ARGS` imports."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if db_url:
        env["REDLINE_DB"] = db_url
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "review.cli", *args], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_help_and_version_load_nothing_heavy(args: tuple[str, ...]) -> None:
    assert not imported(*args) & HEAVY


def test_read_commands_load_no_crawler_or_web_app(tmp_path: Path) -> None:
    db_url = fill(f"sqlite:///{tmp_path / 'r.db'}").db_url
    assert not imported("changes", db_url=db_url) & CRAWL_AND_WEB
    assert not imported("history", TRUCE_URL, db_url=db_url) & CRAWL_AND_WEB


def test_console_script_and_module_agree() -> None:
    script = Path(sys.executable).parent / "redline"
    if not script.exists():
        pytest.skip("no console script next to this interpreter")
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True).stdout
    module = subprocess.run(
        [sys.executable, "-m", "review.cli", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version == module and "0.1.0" in version


def test_lazy_command_list_matches_the_commands() -> None:
    """`redline --help` lists commands from group.COMMANDS without importing them: it must say what they say."""
    import importlib

    import click

    from review.cli.group import COMMANDS, cli

    for name, (module, help_line) in COMMANDS.items():
        importlib.import_module(f"review.cli.{module}")
        command = cli.commands[name]
        assert click.Command(name, help=help_line).get_short_help_str(1000) == command.get_short_help_str(1000), name
    assert set(cli.commands) == set(COMMANDS)  # every registered command is listed
