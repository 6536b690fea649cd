"""The `redline` command line: a thin layer over storage/ and pipeline/.

`group.py` holds the click group and its `Context`; each other module adds its
commands to that group when it is imported, which happens when one of its
commands is run (`group.COMMANDS`), so start-up loads only what the command
needs. Domain errors become one clear line and a non-zero exit
(click.ClickException), never a traceback.
"""

from __future__ import annotations

from review.cli.group import Context, cli

__all__ = ["Context", "cli", "main"]


def main() -> None:
    cli(prog_name="redline")
