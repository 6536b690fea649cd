"""Daemon memory over time: RSS after 10 recheck cycles vs after 200 (target ≤ 1.1×).

    python bench/daemon_memory.py [--cycles 200] [--articles 40]

Runs the real daemon (scheduler.run_daemon) in this process against a local
site whose pages change now and then, with the clock sped up so every cycle
has work, and prints resident memory at checkpoints. A fresh crawler per cycle
is the design; this checks it does not leak.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--articles", type=int, default=40)
    args = parser.parse_args()
    os.environ["REDLINE_ALLOW_PRIVATE"] = "1"

    from scheduler import DaemonOptions, run_daemon
    from storage import queries
    from storage.db import open_database, session_scope
    from tests.articles import TRUCE_V1, article_page
    from tests.localsite import LocalSite

    checkpoints = sorted({1, 10, 50, 100, args.cycles})
    readings: dict[int, float] = {}
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp, LocalSite() as site:
        db = open_database(f"sqlite:///{tmp}/mem.db")
        urls = [
            site.put(f"/m{i}", article_page(f"{TRUCE_V1.title} {i}", TRUCE_V1.paragraphs)) for i in range(args.articles)
        ]
        with session_scope(db) as session:
            for url in urls:
                queries.get_or_create_article(session, url)
        state = {"cycles": 0}

        def on_cycle(info: dict[str, object]) -> None:
            state["cycles"] += 1
            n = state["cycles"]
            if rng.random() < 0.3:  # an edit somewhere, so versions and changes keep coming
                i = rng.randrange(args.articles)
                toll = f"{20000 + n:,}"
                site.put(
                    f"/m{i}",
                    article_page(f"{TRUCE_V1.title} {i}", [p.replace("20,000", toll) for p in TRUCE_V1.paragraphs]),
                )
            if n in checkpoints:
                readings[n] = rss_mib()
                print(f"  cycle {n:>4}: RSS {readings[n]:.1f} MiB", flush=True)
            if n >= args.cycles:
                os.kill(os.getpid(), signal.SIGTERM)

        options = DaemonOptions(db_url=db, time_scale=3600, metrics_port=0, on_cycle=on_cycle)
        code = run_daemon(options)
    from bench.report import Row, emit

    ratio = readings[args.cycles] / readings[10]
    print(
        f"\nRSS after 10 cycles {readings[10]:.1f} MiB, after {args.cycles} {readings[args.cycles]:.1f} MiB: "
        f"{ratio:.3f}x (target ≤ 1.1x); daemon exit status {code}"
    )
    emit(
        Row(
            "5 memory",
            f"daemon RSS after {args.cycles} cycles / after 10",
            f"{readings[args.cycles]:.1f} / {readings[10]:.1f} MiB = {ratio:.3f}x",
            "≤ 1.1x",
            ratio <= 1.1,
        )
    )


if __name__ == "__main__":
    main()
