"""The `redline` command line: a thin layer over storage/ and pipeline/.

`group.py` holds the click group and its `Context`; each other module adds its
commands to that group, and importing them here is what registers them. Domain
errors become one clear line and a non-zero exit (click.ClickException), never
a traceback.
"""

from __future__ import annotations

from review.cli import (  # noqa: F401  (they register)
    articles,
    daemon,
    demo,
    evidence,
    inspect_page,
    prune,
    reports,
    serve,
    sources,
    worker,
)
from review.cli.group import Context, cli

__all__ = ["Context", "cli", "main"]


def main() -> None:
    cli(prog_name="redline")
