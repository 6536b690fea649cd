"""`redline demo`: the newsroom revises its stories while the real daemon watches.

The demo starts the newsroom site, registers its feed, news sitemap and front
page as sources, runs `redline run` (the daemon in scheduler.py) in a child
process with a compressed clock, and plays the revision script: each step is
played once redline has fetched every published story since the step before.
Then it prints the change report and writes an HTML copy.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.text import Text

from review.demo.newsroom import Newsroom
from review.demo.script import SCRIPT

logger = logging.getLogger(__name__)

# Seconds the demo waits for redline to see one step before it gives up on it.
STEP_TIMEOUT = 60.0


class DemoError(RuntimeError):
    pass


def redline_cmd(db_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "review.cli", "--db", db_url, *args]


@dataclass
class DemoResult:
    db_url: str
    steps_seen: int
    seconds: float
    timed_out: list[str]


class Daemon:
    """The real daemon in a child process: `redline run --time-scale N`."""

    def __init__(self, db_url: str, time_scale: float, log_path: Path):
        self.db_url = db_url
        self.time_scale = time_scale
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def add_sources(self, room: Newsroom) -> None:
        for path, kind in (("/rss.xml", "feed"), ("/sitemap-news.xml", "sitemap"), ("/", "front")):
            cmd = redline_cmd(self.db_url, "sources", "add", room.url(path), "--kind", kind, "--every", "10m")
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise DemoError(f"could not add source {path}: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> None:
        log = self.log_path.open("ab")
        cmd = redline_cmd(self.db_url, "-v", "run", "--time-scale", str(self.time_scale), "--metrics-port", "0")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def poll(self, room: Newsroom) -> None:
        time.sleep(0.1)  # the daemon works on its own clock

    def stop(self) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise DemoError("the daemon did not stop within 30 s of SIGTERM") from None
        return self.proc.returncode


class CrawlRounds:
    """The walk-through without the daemon: discover from the feed, then `redline crawl --all`, by hand."""

    def __init__(self, db_url: str, log_path: Path):
        self.db_url = db_url
        self.log_path = log_path

    def add_sources(self, room: Newsroom) -> None:
        pass

    def start(self) -> None:
        pass

    def alive(self) -> bool:
        return True

    def poll(self, room: Newsroom) -> None:
        import re
        import urllib.request

        with urllib.request.urlopen(room.url("/rss.xml"), timeout=10) as response:
            feed = response.read().decode("utf-8")
        urls = re.findall(r"<link>(http[^<]+/[a-z]+/[^<]+)</link>", feed)
        with self.log_path.open("ab") as log:
            subprocess.run(redline_cmd(self.db_url, "track", *urls), stdout=log, stderr=subprocess.STDOUT, check=True)
            crawl = redline_cmd(self.db_url, "crawl", "--all", "--no-progress", "-s", "AUTOTHROTTLE_ENABLED=False")
            subprocess.run(crawl, stdout=log, stderr=subprocess.STDOUT, check=True)

    def stop(self) -> int:
        return 0


def run_demo(
    db_url: str,
    *,
    time_scale: float = 150.0,
    log_path: Path = Path("demo-daemon.log"),
    console: Console | None = None,
    on_step: Callable[[int, str], None] | None = None,
    driver: str = "daemon",
) -> DemoResult:
    """Play the whole script against the real daemon; return once redline has seen every step."""
    console = console or Console(stderr=True)
    # The newsroom lives on 127.0.0.1, which redline refuses unless allowed (spiders/safety.py).
    os.environ["REDLINE_ALLOW_PRIVATE"] = "1"
    started = time.monotonic()
    timed_out: list[str] = []
    with Newsroom() as room:
        daemon: Daemon | CrawlRounds = (
            Daemon(db_url, time_scale, log_path) if driver == "daemon" else CrawlRounds(db_url, log_path)
        )
        daemon.add_sources(room)
        room.start_clock()
        daemon.start()
        try:
            with Live(console=console, transient=True, refresh_per_second=8) as live:
                for number, step in enumerate(SCRIPT, start=1):
                    step.play(room)
                    room.next_step()
                    if on_step:
                        on_step(number, step.title)
                    console.print(Text.assemble((f"step {number}/{len(SCRIPT)} ", "bold"), step.title))
                    deadline = time.monotonic() + STEP_TIMEOUT
                    while unseen := room.unseen():
                        if not daemon.alive():
                            raise DemoError(f"the daemon exited early; see {log_path}")
                        if time.monotonic() > deadline:
                            timed_out.append(step.title)
                            break
                        live.update(_progress(number, len(SCRIPT), room, unseen, started))
                        daemon.poll(room)
        finally:
            code = daemon.stop()
        if code != 0:
            raise DemoError(f"the daemon exited with status {code}; see {log_path}")
    return DemoResult(db_url, len(SCRIPT), time.monotonic() - started, timed_out)


def _progress(number: int, total: int, room: Newsroom, unseen: list[str], started: float) -> Text:
    return Text.assemble(
        ("  ⟳ ", "cyan"),
        f"step {number}/{total}: waiting for redline to re-check {len(unseen)} "
        f"stor{'y' if len(unseen) == 1 else 'ies'} · {room.hits} requests served · ",
        f"{time.monotonic() - started:.0f} s",
    )


def default_db_url(directory: Path) -> str:
    return f"sqlite:///{(directory / 'demo.db').resolve()}"


def fresh_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            os.remove(candidate)
