"""How the CLI writes for a terminal and for everything else (a pipe, a file, a script).

On a terminal: colour, and tables as wide as the terminal. Anywhere else:
no colour, diffs with wdiff-style markers, and tables that never wrap (a
piped table wrapped at 80 columns into slivers is unreadable), or
``--format tsv``: one header line, then one tab-separated line per row.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console

# Wide enough that no row of a piped table is ever wrapped.
UNWRAPPED_WIDTH = 100_000


def console(*, stderr: bool = False) -> Console:
    """A console for stdout: the terminal's width on a terminal, no wrapping anywhere else."""
    probe = Console(stderr=stderr)
    if probe.is_terminal:
        return Console(highlight=False, soft_wrap=False, stderr=stderr)
    return Console(highlight=False, soft_wrap=False, stderr=stderr, width=UNWRAPPED_WIDTH, no_color=True)


def no_color() -> bool:
    """The NO_COLOR convention (https://no-color.org): set and not empty."""
    return bool(os.environ.get("NO_COLOR"))


def want_markers(out: Console, forced: bool = False) -> bool:
    """Diff markers instead of colour: asked for, NO_COLOR, or not a terminal."""
    return forced or no_color() or not out.is_terminal


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return " ".join(str(value).split()) if isinstance(value, str) else str(value)


def tsv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Tab-separated values: tabs and line breaks inside a value become spaces."""
    lines = ["\t".join(header)]
    lines.extend("\t".join(_cell(v) for v in row) for row in rows)
    return "\n".join(lines) + "\n"


def tsv_of(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """TSV of JSON-shaped rows, the named keys in order."""
    return tsv(columns, ([row.get(c) for c in columns] for row in rows))
