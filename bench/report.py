"""What every benchmark hands to ``make bench``: summary rows on stdout.

A bench prints its own detail for people, then one ``BENCH-ROW`` line per
figure the summary table (bench/run_all.py, docs/performance.md) shows.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

MARK = "BENCH-ROW\t"


@dataclass
class Row:
    item: str  # "1 throughput", "2 storage", …
    measure: str
    figure: str
    target: str
    met: bool | None  # None: reported, no target


def emit(*rows: Row) -> None:
    for row in rows:
        print(MARK + json.dumps(asdict(row), ensure_ascii=False), flush=True)


def parse(stdout: str) -> list[Row]:
    return [Row(**json.loads(line[len(MARK) :])) for line in stdout.splitlines() if line.startswith(MARK)]


def load() -> str:
    """The machine's load averages, to print beside figures (the machine is shared)."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
