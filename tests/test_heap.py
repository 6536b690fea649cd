"""pipeline/heap.py: a crawl process and its extraction workers keep what they
loaded out of the garbage collector's walks and collect young objects less often."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.heap import YOUNG

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, sys
import pipeline.pipelines  # what a crawl loads
from pipeline.heap import settle
from pipeline.workers import start

def state():
    return gc.get_freeze_count(), gc.get_threshold()[0]

if __name__ == "__main__":
    before = state()
    settle()
    pool = start(1)
    print(before, state(), pool.submit(state).result(timeout=60))
    pool.shutdown()
"""


def test_settle_freezes_the_loaded_heap_here_and_in_every_worker(tmp_path: Path) -> None:
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    before, here, worker = (eval(part) for part in out.stdout.strip().replace(") (", ")|(").split("|"))
    assert before == (0, 700)  # CPython's defaults
    assert here[0] > 50_000 and here[1] == YOUNG  # what a crawl loaded (Scrapy, SQLAlchemy, trafilatura): frozen
    assert worker[0] > 50_000 and worker[1] == YOUNG


def test_a_crawl_settles_its_heap_before_its_reactor_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from spiders import runner

    calls: list[str] = []
    monkeypatch.setattr(runner.heap, "settle", lambda: calls.append("settle"))

    class Process:
        def crawl(self, crawler: object, **kwargs: object) -> object:
            calls.append("crawl")
            from twisted.internet.defer import succeed

            return succeed(None)

        def start(self) -> None:
            calls.append("start")

    runner._run(Process(), None)  # type: ignore[arg-type]
    assert calls == ["crawl", "settle", "start"]
