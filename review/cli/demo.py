"""`redline demo`: the whole loop offline, against a local newsroom that revises its stories."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from review.cli.group import cli
from review.demo.report import print_closing_hint, print_report, write_html
from review.demo.runner import DemoError, default_db_url, fresh_db, run_demo


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Where the demo database, log and report go.",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=150.0,
    show_default=True,
    help="Divide every interval of the daemon by this much.",
)
@click.option(
    "--driver",
    type=click.Choice(["daemon", "crawl"]),
    default="daemon",
    show_default=True,
    help="daemon: the real `redline run`; crawl: discover and `redline crawl --all` step by step.",
)
def demo(directory: Path, time_scale: float, driver: str) -> None:
    """Watch a local newsroom revise its stories, and redline catch every revision."""
    console = Console(highlight=False)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot create {directory}: {exc.strerror}") from None
    fresh_db(directory / "demo.db")
    db_url = default_db_url(directory)
    console.print(
        "[bold]redline demo[/]: The Harbour Courier (a local site on 127.0.0.1) publishes ten stories and "
        f"revises them; redline's daemon watches with its clock sped up {time_scale:g}×.\n"
    )
    try:
        result = run_demo(
            db_url, time_scale=time_scale, log_path=directory / "daemon.log", console=console, driver=driver
        )
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(f"\n[bold]What redline caught[/] in {result.seconds:.0f} s:\n")
    count = print_report(db_url, console)
    report = directory / "demo-report.html"
    write_html(db_url, report)
    if result.timed_out:
        console.print(f"[yellow]redline did not see every story in time at: {', '.join(result.timed_out)}[/]")
    console.print()
    print_closing_hint(console, db_url, count, report)
