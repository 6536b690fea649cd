"""`redline diff --format card|png`: the paste-able diff card."""

from __future__ import annotations

from pathlib import Path

import click

from review.card import CardError, card_html, screenshot
from review.cli.group import emit
from storage.models import Version


def write_card(url: str, old: Version, new: Version, fmt: str, output: str | None) -> None:
    html = card_html(url, old, new)
    if fmt == "card":
        emit(output, html if html.endswith("\n") else html + "\n")
        return
    if not output:
        raise click.ClickException("--format png needs -o FILE.png")
    if not Path(output).resolve().parent.is_dir():
        raise click.ClickException(f"cannot write {output}: No such file or directory")
    try:
        screenshot(html, Path(output))
    except CardError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {output}", err=True)
