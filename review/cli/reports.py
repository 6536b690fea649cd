"""`redline report`, `redline export`, `redline feed` and `redline alerts`: review surfaces as files and messages."""

from __future__ import annotations

import io
import json
import logging
import sys
import time
from pathlib import Path

import click

from review import export as exports
from review.alerts import RuleError, load_rules, run_alerts
from review.cli.group import Context, cli, emit
from review.cli.options import change_filter
from review.filters import ChangeFilter, FilterError, parse_since
from storage import review_queries
from storage.db import session_scope

logger = logging.getLogger(__name__)


def _write(output: str, data: str | bytes) -> None:
    emit(output, data)


@cli.command()
@change_filter(default_since="24h")
@click.option("-o", "--output", default="report.html", show_default=True, help="File to write ('-' for stdout).")
@click.pass_obj
def report(
    obj: Context,
    flt: ChangeFilter,
    output: str,
) -> None:
    """One self-contained HTML report of the changes (no script, no external request)."""
    from review.report import build_report

    with session_scope(obj.db) as session:
        _write(output, build_report(session, flt))


@cli.command()
@change_filter(limit=1_000_000)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*sorted(exports.FORMATS), "warc"]),
    default="jsonl",
    show_default=True,
    help="; ".join(f"{k}: {v.help}" for k, v in sorted(exports.FORMATS.items()))
    + "; warc: the fetches that made the versions, as web-archive records (with --since, --outlet, --url)",
)
@click.option("--url", help="warc: only this article's versions.")
@click.option("--version", "seq", type=int, help="warc: only this version of the --url article.")
@click.option("-o", "--output", default="-", show_default=True, help="File to write ('-' for stdout).")
@click.pass_obj
def export(
    obj: Context,
    flt: ChangeFilter,
    fmt: str,
    url: str | None,
    seq: int | None,
    output: str,
) -> None:
    """Export changes as CSV, JSON Lines, or NewsEdits-style aligned sentence pairs; or versions as WARC."""
    if fmt == "warc" or url or seq:
        from review.cli.evidence import export_warc

        export_warc(obj, fmt, flt, url, seq, output)
        return
    with session_scope(obj.db) as session:
        buffer = io.StringIO()
        count = exports.FORMATS[fmt].write(session, flt, buffer)
    _write(output, buffer.getvalue())
    click.echo(f"{count} row(s)", err=True)


@cli.command()
@change_filter(limit=200)
@click.option(
    "--base-url", default="http://127.0.0.1:8080/", show_default=True, help="Where `redline serve` answers (for links)."
)
@click.option("-o", "--output", default="-", show_default=True, help="File to write ('-' for stdout).")
@click.pass_obj
def feed(
    obj: Context,
    flt: ChangeFilter,
    base_url: str,
    output: str,
) -> None:
    """The Atom feed of changes, as a file (`redline serve` also serves it at /feed.atom)."""
    from review.feed import atom_feed, feed_changes

    with session_scope(obj.db) as session:
        body = atom_feed(feed_changes(session, flt), base_url=base_url, self_url=base_url.rstrip("/") + "/feed.atom")
    _write(output, body)


@cli.group()
def alerts() -> None:
    """Send changes to e-mail, chat or webhooks by rules (see review/alerts.py for the rules file)."""


_rules_option = click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="REDLINE_ALERT_RULES",
    default="alerts.toml",
    show_default=True,
    help="The rules file (TOML).",
)


@alerts.command("check")
@_rules_option
def alerts_check(rules_path: Path) -> None:
    """Validate a rules file and show what each rule sends where."""
    try:
        rules = load_rules(rules_path)
    except RuleError as exc:
        raise click.ClickException(str(exc)) from None
    from review.notifiers import kind_of, redact

    for rule in rules:
        targets = ", ".join(f"{kind_of(t)} {redact(t)}" for t in rule.targets)
        click.echo(
            f"{rule.name}: {rule.mode}, kinds {', '.join(rule.filter.kinds) or 'any'}, "
            f"severity ≥ {rule.filter.min_severity}, keywords {', '.join(rule.keywords) or 'any'} → {targets}"
        )


@alerts.command("run")
@_rules_option
@click.option(
    "--since",
    default="24h",
    show_default=True,
    help="Consider changes detected since (older ones are never announced).",
)
@click.option("--every", type=float, help="Keep running: a round every this many seconds (beside `redline run`).")
@click.option("--rounds", type=int, help="With --every: stop after this many rounds.")
@click.pass_obj
def alerts_run(obj: Context, rules_path: Path, since: str, every: float | None, rounds: int | None) -> None:
    """Match new changes against the rules and send what is due; failed sends are retried next run."""
    try:
        parse_since(since)
    except FilterError as exc:
        raise click.BadParameter(str(exc), param_hint="'--since'") from None
    try:
        rules = load_rules(rules_path)
    except RuleError as exc:
        raise click.ClickException(str(exc)) from None
    done = 0
    while True:
        try:
            summary = run_alerts(obj.db, rules, since=parse_since(since))
        except Exception as exc:  # the database went away: say so, try again next round
            if every is None:
                raise click.ClickException(f"alerts round failed: {exc}") from exc
            logger.exception("alerts round failed")
        else:
            click.echo(str(summary))
            if every is None and summary.failed:
                sys.exit(2)
        done += 1
        if every is None or (rounds is not None and done >= rounds):
            return
        time.sleep(every)


@alerts.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "failed", "gave_up"]))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "tsv"]), default="table")
@click.pass_obj
def alerts_list(obj: Context, status: str | None, fmt: str) -> None:
    """Recorded deliveries: what was sent where, what failed and why."""
    from review.notifiers import redact
    from review.render import iso

    with session_scope(obj.db) as session:
        rows = [
            {
                "change_id": d.change_id,
                "rule": d.rule,
                "target": redact(d.target),
                "mode": d.mode,
                "status": d.status,
                "attempts": d.attempts,
                "last_error": d.last_error,
                "sent_at": iso(d.sent_at),
            }
            for d in review_queries.list_deliveries(session, status=status)
        ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if fmt == "tsv":
        from review.output import tsv_of

        columns = ("change_id", "rule", "target", "mode", "status", "attempts", "last_error", "sent_at")
        click.echo(tsv_of(rows, columns), nl=False)
        return
    for r in rows:
        click.echo(
            f"{r['change_id']:>6} {r['status']:8} {r['attempts']}x {r['rule']} → {r['target']} {r['last_error'] or ''}"
        )
