"""``make bench``: every benchmark in one run, one summary table.

    python bench/run_all.py [--quick] [--only diff,storage,…]

Runs each bench in its own process (in the order below), shows its own output
as it goes, then prints the summary table and writes it, with the machine's
load, into docs/performance.md between the ``bench:table`` markers. The
machine is shared, so every figure sits beside the load it was measured under.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import Row, load, parse  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:table -->", "<!-- /bench:table -->"

BENCHES: dict[str, tuple[list[str], list[str]]] = {
    # name: (full arguments, --quick arguments)
    "diff": (["bench/diff_speed.py"], ["bench/diff_speed.py", "--repeat", "3"]),
    "storage": (["bench/storage_size.py"], ["bench/storage_size.py", "--versions", "34"]),
    "throughput": (["bench/crawl_throughput.py", "--pages", "2000"], ["bench/crawl_throughput.py", "--pages", "300"]),
    "queries-sqlite": (
        ["bench/query_scale.py", "--backend", "sqlite"],
        ["bench/query_scale.py", "--backend", "sqlite", "--scale", "0.05"],
    ),
    "queries-postgres": (
        ["bench/query_scale.py", "--backend", "postgres"],
        ["bench/query_scale.py", "--backend", "postgres", "--scale", "0.05"],
    ),
    "revisions": (
        ["bench/revisions.py", "--samples", "20"],
        ["bench/revisions.py", "--articles", "40", "--samples", "5"],
    ),
    "replay": (["bench/replay.py"], ["bench/replay.py", "--articles", "40"]),
    "memory": (["bench/daemon_memory.py"], ["bench/daemon_memory.py", "--cycles", "30"]),
}


def table(rows: list[Row]) -> str:
    lines = ["| item | measure | figure | target | met |", "|---|---|---|---|---|"]
    for r in rows:
        met = "—" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(f"| {r.item} | {r.measure} | {r.figure} | {r.target} | {met} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a look (not for the docs)")
    parser.add_argument("--only", help="comma-separated: " + ",".join(BENCHES))
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHES)
    rows: list[Row] = []
    loads = []
    started = time.monotonic()
    for name in names:
        full, quick = BENCHES[name]
        print(f"\n== {name} ({load()})", flush=True)
        bench_started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, *(quick if args.quick else full)], cwd=ROOT, capture_output=True, text=True
        )
        sys.stdout.write("".join(line + "\n" for line in proc.stdout.splitlines() if not line.startswith("BENCH-ROW")))
        if proc.returncode:
            sys.stdout.write(proc.stderr[-3000:])
            rows.append(Row(name, "the bench failed", f"exit status {proc.returncode}", "", False))
        rows.extend(parse(proc.stdout))
        loads.append(f"{name}: {load()} after {time.monotonic() - bench_started:.0f} s")
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"Measured {when} on {platform.node() or 'this machine'} ({os.cpu_count()} cores, shared), "
        f"{time.monotonic() - started:.0f} s in all{' (--quick sizes)' if args.quick else ''}.\n\n"
        "Machine load when each bench finished:\n\n" + "\n".join(f"- {line}" for line in loads)
    )
    summary = f"{header}\n\n{table(rows)}\n"
    print("\n" + summary)
    if not args.quick and not args.only and DOC.exists():
        text = DOC.read_text()
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            DOC.write_text(f"{head}{BEGIN}\n{summary}{END}{rest.split(END, 1)[1]}")
            print(f"written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
