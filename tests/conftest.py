"""Shared fixtures: a fresh database per test, a local site, the CLI as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.localsite import LocalSite

ROOT = Path(__file__).resolve().parent.parent
REALPAGES = ROOT.parent / "shared" / "realpages"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'redline.db'}"


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


class Redline:
    """The `redline` CLI run as a separate process, as a user runs it."""

    def __init__(self, db_url: str, cwd: Path):
        self.db_url = db_url
        self.cwd = cwd

    def __call__(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "REDLINE_DB": self.db_url, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [sys.executable, "-m", "review.cli", *args],
            capture_output=True,
            text=True,
            cwd=self.cwd,
            env=env,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"redline {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--format", "json").stdout)


@pytest.fixture
def redline(db_url: str, tmp_path: Path) -> Redline:
    return Redline(db_url, tmp_path)


@pytest.fixture
def realpages() -> Path:
    if not (REALPAGES / "ground-truth.json").exists():
        pytest.skip("../shared/realpages is not present")
    return REALPAGES
