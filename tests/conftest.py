"""Shared fixtures: a fresh database per test, a local site, the CLI as a real process."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import forkserver
from tests.localsite import LocalSite

# Every test site lives on 127.0.0.1, which redline refuses by default
# (spiders/safety.py): the tests take the allowance explicitly, here.
os.environ["REDLINE_ALLOW_PRIVATE"] = "1"

ROOT = Path(__file__).resolve().parent.parent
REALPAGES = ROOT.parent / "shared" / "realpages"


PG_ADMIN = os.environ.get("REDLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _service_missing(what: str, error: Exception) -> None:
    """Skip when a server is not there, unless CI says it must be."""
    message = f"{what} is not answering: {error}"
    if os.environ.get("REDLINE_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (REDLINE_REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import uuid

    import psycopg

    name = f"redline_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _service_missing("PostgreSQL", exc)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    yield url.replace("postgresql://", "postgresql+psycopg://", 1)
    _dispose_engines(name)
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _dispose_engines(name: str) -> None:
    from storage import db

    for url in db.known_urls():
        if name in url:
            db.get_engine(url).dispose()


# REDLINE_TEST_DB=sqlite or =postgres runs the database tests on one backend; default both.
BACKENDS = [
    pytest.param(name, marks=[pytest.mark.postgres] if name == "postgres" else [])
    for name in ("sqlite", "postgres")
    if os.environ.get("REDLINE_TEST_DB", "both") in ("both", name)
]


def on_backend(name: str) -> pytest.MarkDecorator:
    """Run a test that takes ``db_url`` on one backend only: for the slow
    end-to-end tests whose subject is not the database (the browser, real
    pages), where both backends would double the time and test nothing more."""
    return pytest.mark.parametrize("db_url", [p for p in BACKENDS if p.values[0] == name], indirect=True)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path / 'redline.db'}"


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


# Commands that only read or write the database (no crawl, no reactor, no
# server) run in the test process; the others as a separate process, as a user runs them.
IN_PROCESS = {"track", "changes", "history", "checks", "diff", "kinds", "schedule", "status", "sources"}


class Redline:
    """The `redline` CLI run as a separate process, as a user runs it."""

    def __init__(self, db_url: str, cwd: Path):
        self.db_url = db_url
        self.cwd = cwd

    def __call__(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        # `sources add` without --kind (or with auto) searches the outlet: a crawl, so a process of its own.
        searches = args[:2] == ("sources", "add") and ("--kind" not in args or "auto" in args)
        if args and args[0] in IN_PROCESS and not searches:
            return self._in_process(args, check)
        env = {**os.environ, "REDLINE_DB": self.db_url, "PYTHONPATH": str(ROOT)}
        proc = forkserver.run(list(args), env=env, cwd=self.cwd, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"redline {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def _in_process(self, args: tuple[str, ...], check: bool) -> subprocess.CompletedProcess[str]:
        """The same click command a user runs, in this process: no second of imports each time."""
        from click.testing import CliRunner

        from review.cli import cli

        with contextlib.chdir(self.cwd):  # relative paths (-o card.png) as from a shell in cwd
            result = CliRunner().invoke(cli, ["--db", self.db_url, *args], catch_exceptions=True)
        if check and result.exit_code != 0:
            raise AssertionError(f"redline {' '.join(args)} exited {result.exit_code}\n{result.output}") from (
                result.exception
            )
        return subprocess.CompletedProcess(["redline", *args], result.exit_code, result.stdout, result.stderr)

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


def _cpu_seconds() -> float:
    """CPU of this test process, its reaped children and the fork server's children."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    server = forkserver.SERVER.proc
    if server is not None and server.poll() is None:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


if os.environ.get("REDLINE_TEST_CPU"):
    # REDLINE_TEST_CPU=FILE: append "cpu-seconds wall-seconds test" for every test (make test prints wall only).
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
        import time

        cpu, wall = _cpu_seconds(), time.monotonic()
        yield
        with open(os.environ["REDLINE_TEST_CPU"], "a", encoding="utf-8") as log:
            log.write(f"{_cpu_seconds() - cpu:.2f} {time.monotonic() - wall:.2f} {item.nodeid}\n")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest tests first (the proofs on real data, then the other slow
    ones), so that `make test`'s workers never wait on one long test at the end."""

    def weight(item: pytest.Item) -> int:
        marks = {m.name for m in item.iter_markers()}
        return 0 if {"slow", "realpages"} <= marks else 1 if "slow" in marks else 2

    items.sort(key=weight)
