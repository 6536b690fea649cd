"""How long the `redline` command takes to answer: start-up is most of a short command.

    python bench/cli_startup.py [--runs 7]

Fills a small database (three articles, two versions each, through the real
pipeline), then runs each command as a fresh process, as a user does, and
prints the median wall-clock and CPU time of ``--runs`` runs. Targets (issue
16): ``--help`` and ``--version`` ≤ 0.3 s, ``changes`` and ``history`` ≤ 0.6 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"--version": 0.3, "--help": 0.3, "changes": 0.6, "history": 0.6}


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``redline argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "review.cli", *argv], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"redline {' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="Runs per command (the median is printed).")
    args = parser.parse_args()

    os.environ["REDLINE_ALLOW_PRIVATE"] = "1"
    from tests.reviewdata import TRUCE_URL, fill

    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'redline.db'}"
        fill(db_url)
        env = {**os.environ, "REDLINE_DB": db_url, "PYTHONPATH": str(ROOT)}
        commands = {
            "--version": ["--version"],
            "--help": ["--help"],
            "changes": ["changes"],
            "history": ["history", TRUCE_URL],
        }
        print(f"redline start-up, median of {args.runs} runs (python -m review.cli, a fresh process each)")
        print(f"{'command':12} {'wall s':>8} {'cpu s':>8} {'target s':>9}  met")
        for name, argv in commands.items():
            run_once(argv, env)  # warm the file cache
            runs = [run_once(argv, env) for _ in range(args.runs)]
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            target = TARGETS[name]
            print(f"{name:12} {wall:8.2f} {cpu:8.2f} {target:9.1f}  {'yes' if wall <= target else 'no'}")


if __name__ == "__main__":
    main()
