"""The daemon as users run it: `redline run` in its own process, with a compressed clock."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import forkserver
from tests.articles import TRUCE_V1, article_page
from tests.conftest import ROOT, Redline
from tests.localsite import LocalSite

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Daemon:
    """`redline run` in a child process; its log goes to a file (a pipe nobody reads would block it)."""

    def __init__(self, db_url: str, cwd: Path, *args: str):
        self.log = cwd / f"daemon-{time.monotonic_ns()}.log"
        cmd = [sys.executable, "-m", "review.cli", "--db", db_url, "-v", "run", *args]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with self.log.open("w") as out:
            self.proc = forkserver.popen(cmd[3:], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)

    def stop(self, timeout: float = 60) -> tuple[int, float, str]:
        """SIGTERM; (exit status, seconds it took, log)."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - started, self.log.read_text()

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)


def _daemon(db_url: str, cwd: Path, *args: str) -> Daemon:
    return Daemon(db_url, cwd, *args)


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def _versions(redline: Redline, url: str) -> int:
    return len(redline.json("history", url)["versions"]) if redline("checks", url, check=False).returncode == 0 else 0


def test_daemon_catches_a_revision_serves_metrics_alerts_and_stops_on_sigterm(
    site: LocalSite, redline: Redline, tmp_path: Path
) -> None:
    from tests.test_alerts import Receiver

    urls = [site.put(f"/s{i}", article_page(f"{TRUCE_V1.title} ({i})", TRUCE_V1.paragraphs)) for i in range(3)]
    redline("track", *urls)
    port = _free_port()
    receiver = Receiver()
    rules = tmp_path / "alerts.toml"
    rules.write_text(f'[[rule]]\nname = "tolls"\nkinds = ["number"]\ntargets = ["{receiver.url}"]\n')
    # 15-minute rechecks at 600x: every 1.5 s.
    # One extraction worker from the first page: the cycles share it (REDLINE_EXTRACT_KEEP_WORKERS).
    args = (
        "--time-scale",
        "600",
        "--metrics-port",
        str(port),
        "--alerts",
        str(rules),
        "-s",
        "REDLINE_EXTRACT_PROCESSES=1",
    )
    daemon = _daemon(redline.db_url, tmp_path, *args)
    try:
        _wait(lambda: all(_versions(redline, u) == 1 for u in urls), 60, "first versions")
        paragraphs = [p.replace("20,000", "20,057") for p in TRUCE_V1.paragraphs]
        site.put("/s1", article_page(f"{TRUCE_V1.title} (1)", paragraphs))
        _wait(lambda: bool(redline.json("changes", "--kind", "number")), 60, "the revision")

        def metrics() -> str:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()

        # A page is counted as it leaves the crawl's pipelines, just after its
        # transaction commits (and `redline changes` can see it): wait for it.
        _wait(lambda: 'redline_changes_total{kind="number"}' in metrics(), 10, "the change's count")
        text = metrics()
        assert 'redline_pages_fetched_total{outcome="new_version"}' in text
        assert "redline_cycle_seconds_count" in text and "redline_due_articles" in text
        # The change is stored mid-cycle; the cycle is counted when it ends.
        _wait(lambda: redline.json("status")["daemon"].get("cycles", 0) >= 2, 30, "the second cycle's end")
        assert redline.json("status")["daemon"]["alive"]
        _wait(lambda: bool(receiver.messages), 30, "the alert")
        time.sleep(1)  # a few more alert rounds: the change must not be announced again
    finally:
        code, seconds, log = daemon.stop()
        receiver.close()
    assert [m["changes"][0]["new"] for m in receiver.messages] == ["more than 20,057"]
    assert code == 0, log[-3000:]
    assert seconds < 30
    assert "Traceback" not in log, log[-3000:]
    # The first versions and the revision were extracted in different cycles, by the one worker.
    assert log.count("extracting in 1 worker processes") == 1, log[-3000:]
    change = redline.json("changes", "--kind", "number")[0]
    assert (change["old_value"], change["new_value"]) == (20000.0, 20057.0)
    assert redline.json("status")["daemon"]["status"] == "stopped"


def test_sigterm_mid_cycle_finishes_the_pages_in_flight(site: LocalSite, redline: Redline, tmp_path: Path) -> None:
    paths = [f"/slow{i}" for i in range(8)]
    urls = [site.put(p, article_page(f"{TRUCE_V1.title} {p}", TRUCE_V1.paragraphs), delay=1.5) for p in paths]
    redline("track", *urls)
    daemon = _daemon(redline.db_url, tmp_path, "--metrics-port", "0")
    _wait(lambda: sum(site.hits.get(p, 0) for p in paths) >= 2, 60, "the cycle to start")
    code, seconds, log = daemon.stop()
    assert code == 0, log[-3000:]
    assert seconds < 30
    fetched = {u for u, p in zip(urls, paths, strict=True) if site.hits.get(p)}
    checked = {u for u in urls if redline.json("checks", u)["checks"]}
    assert fetched == checked, "every page fetched before the stop has its result committed"


def test_restart_resumes_from_the_schedule_in_the_database(site: LocalSite, redline: Redline, tmp_path: Path) -> None:
    urls = [site.put(f"/r{i}", article_page(f"{TRUCE_V1.title} r{i}", TRUCE_V1.paragraphs)) for i in range(3)]
    redline("track", *urls)
    first = _daemon(redline.db_url, tmp_path, "--once", "--metrics-port", "0")
    assert first.wait(60) == 0
    hits = dict(site.hits)
    assert all(hits.get(f"/r{i}") == 1 for i in range(3))
    # A new process: nothing is due yet, so nothing is fetched again.
    again = _daemon(redline.db_url, tmp_path, "--once", "--metrics-port", "0")
    assert again.wait(60) == 0
    assert {p: n for p, n in site.hits.items() if p != "/robots.txt"} == {
        p: n for p, n in hits.items() if p != "/robots.txt"
    }
    due = redline.json("schedule")
    assert len(due) == 3 and all(r["due_in_seconds"] > 600 and "every 15 min" in r["why"] for r in due)


RAISING_JOB = """
import sys
from scheduler import Daemon, DaemonOptions, run_daemon

calls = {"n": 0}
original = Daemon.housekeeping

async def flaky(self):
    calls["n"] += 1
    if calls["n"] == 1:
        raise RuntimeError("housekeeping broke")
    await original(self)

Daemon.housekeeping = flaky
sys.exit(run_daemon(DaemonOptions(db_url=sys.argv[1], time_scale=600, duration=6)))
"""


def test_a_job_that_raises_is_counted_and_the_daemon_goes_on(site: LocalSite, redline: Redline, tmp_path: Path) -> None:
    redline("track", site.put("/a", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs)))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", RAISING_JOB, redline.db_url], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = redline.json("status")["daemon"]
    assert state["job_errors"] == 1 and "housekeeping broke" in state["last_job_error"]
    assert state["cycles"] >= 1 and len(redline.json("history", site.url("/a"))["versions"]) == 1
