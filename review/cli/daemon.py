"""`redline run`, `redline status`, `redline schedule`: the daemon and what it is doing."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from pipeline import jsshell
from review import render
from review.cli.group import Context, cli, setting_overrides, stdout
from storage.db import session_scope
from storage.health import articles_with_error
from storage.models import utcnow
from storage.schedule import (
    articles_by_source,
    articles_by_status,
    daemon_state,
    due_count,
    failing_by_source,
    next_due_at,
    upcoming,
)
from storage.sources import all_sources

logger = logging.getLogger(__name__)

DEFAULT_METRICS_PORT = 9311


@cli.command()
@click.option("--once", is_flag=True, help="One cycle (discovery, then every due article), then exit: for cron.")
@click.option(
    "--time-scale", type=float, default=1.0, show_default=True, help="Divide every interval by this (demos and tests)."
)
@click.option("--duration", type=float, help="Stop cleanly after this many seconds.")
@click.option(
    "--metrics-port", type=int, help=f"Prometheus metrics on 127.0.0.1 (default {DEFAULT_METRICS_PORT}; 0: off)."
)
@click.option("--batch-size", type=int, help="Articles per recheck batch (default 500).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="redline.toml: sources, policy, daemon.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting override.")
@click.option(
    "--role",
    type=click.Choice(["single", "scheduler"]),
    default="single",
    show_default=True,
    help="scheduler: lead `redline worker` processes through Redis (needs PostgreSQL).",
)
@click.option("--redis", "redis_url", envvar="REDLINE_REDIS", help="Redis URL for --role scheduler.")
@click.option(
    "--alerts",
    "alerts_path",
    type=click.Path(dir_okay=False, exists=True),
    help="Alert rules (TOML, see `redline alerts`): sent every minute from the daemon itself.",
)
@click.pass_obj
def run(
    obj: Context,
    once: bool,
    time_scale: float,
    duration: float | None,
    metrics_port: int | None,
    batch_size: int | None,
    config_path: str | None,
    overrides: tuple[str, ...],
    role: str,
    redis_url: str | None,
    alerts_path: str | None,
) -> None:
    """Run the daemon: discover articles, re-check them as they age, record every change."""
    from scheduler import DaemonOptions, run_daemon

    if time_scale <= 0:
        raise click.BadParameter("must be positive", param_hint="'--time-scale'")
    obj.writing()  # the daemon may start on a new database
    # Its own --config counts as redline's: [daemon] database among the rest.
    config_path = obj.config = obj.config_path(config_path)
    alerts: Callable[[dt.datetime], str | None] | None = None
    if alerts_path:
        from review.alerts import RuleError, alert_round, load_rules

        try:
            rules = load_rules(Path(alerts_path))
        except RuleError as exc:
            raise click.ClickException(str(exc)) from None
        alerts = alert_round(obj.db, rules) if rules else None
    recheck: dict[str, Any] = {}
    daemon_conf: dict[str, Any] = {}
    retention: dict[str, Any] = {}
    if config_path:
        recheck, daemon_conf, retention = _apply_config(obj.db, config_path)
    options = DaemonOptions(
        db_url=obj.db,
        once=once,
        time_scale=time_scale,
        duration=duration,
        metrics_port=metrics_port
        if metrics_port is not None
        else daemon_conf.get("metrics_port", DEFAULT_METRICS_PORT),
        batch_size=batch_size or daemon_conf.get("batch_size", 500),
        settings={"LOG_LEVEL": logging.getLevelName(logging.getLogger().level), **setting_overrides(overrides)},
        recheck=recheck,
        role=role,
        redis_url=redis_url,
        alerts=alerts,
        retention=retention,
    )
    if role == "scheduler" and not obj.db.startswith("postgresql"):
        raise click.ClickException("--role scheduler needs PostgreSQL (leadership is a PostgreSQL advisory lock)")
    raise SystemExit(run_daemon(options))


def _apply_config(db_url: str, path: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    from config import ConfigError, apply_config, load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    with session_scope(db_url) as session:
        apply_config(session, config, path)
    return dict(config.recheck or {}), dict(config.daemon or {}), dict(config.retention or {})


def status_data(db_url: str) -> dict[str, Any]:
    now = utcnow()
    with session_scope(db_url) as session:
        state = daemon_state(session)
        counts = articles_by_status(session)
        due = due_count(session, now)
        next_due = next_due_at(session)
        failing = failing_by_source(session)
        per_source = articles_by_source(session)
        shells = articles_with_error(session, jsshell.HINT)
        sources = [
            {
                "id": s.id,
                "name": s.name,
                "url": s.url,
                "kind": s.kind,
                "every_seconds": s.every_seconds,
                "last_run_at": render.iso(s.last_run_at),
                "next_run_at": render.iso(s.next_run_at),
                "articles": per_source.get(s.id, 0),
                "articles_found": s.articles_found,
                "errors": s.error_count,
                "last_error": s.last_error,
                "failing_articles": failing.get(s.id, 0),
                "edit_rate": s.edit_rate,
                "render": s.render or "plain",
                "hint": f"{shells[s.id]} article(s) {jsshell.HINT}" if s.id in shells else None,
            }
            for s in all_sources(session)
        ]
    daemon: dict[str, Any] = {"status": "never started", "alive": False}
    if state is not None:
        beat_limit = dt.timedelta(seconds=max(90.0, 3 * 30.0 / (state.time_scale or 1)))
        alive = state.status == "running" and state.heartbeat_at is not None and now - state.heartbeat_at < beat_limit
        daemon = {
            "status": state.status if alive or state.status != "running" else "not responding",
            "alive": alive,
            "pid": state.pid,
            "host": state.host,
            "role": state.role,
            "started_at": render.iso(state.started_at),
            "heartbeat_at": render.iso(state.heartbeat_at),
            "stopped_at": render.iso(state.stopped_at),
            "time_scale": state.time_scale,
            "cycles": state.cycles,
            "last_cycle_at": render.iso(state.last_cycle_at),
            "last_cycle_seconds": state.last_cycle_seconds,
            "last_cycle_pages": state.last_cycle_pages,
            "job_errors": state.job_errors,
            "last_job_error": state.last_job_error,
            # Housekeeping's sampled `redline verify` (docs/evidence.md).
            "verify": {
                "at": render.iso(state.verify_at),
                "checked_versions": state.verify_checked,
                "problems": state.verify_problems,
                "first_problem": state.verify_first_problem,
            },
        }
    return {
        "daemon": daemon,
        "articles": counts,
        "due": due,
        "next_due_at": render.iso(next_due),
        "failing_articles": sum(failing.values()),
        "sources": sources,
    }


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "tsv"]), default="table", help="tsv: the sources.")
@click.pass_obj
def status(obj: Context, fmt: str) -> None:
    """Daemon and source health: last cycle, due backlog, errors per source."""
    from review.output import tsv_of

    data = status_data(obj.db)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if fmt == "tsv":
        columns = ("id", "name", "url", "kind", "articles", "last_run_at", "next_run_at", "errors", "last_error")
        click.echo(tsv_of(data["sources"], columns), nl=False)
        return
    d = data["daemon"]
    console = stdout()
    console.print(
        Text.assemble(
            ("daemon ", "bold"),
            (d["status"], "green" if d["alive"] else "yellow"),
            f"  cycles {d.get('cycles', 0)}, last {_when(d.get('last_cycle_at'))}"
            f" ({d.get('last_cycle_pages') or 0} pages in {d.get('last_cycle_seconds') or 0:.1f} s),"
            f" job errors {d.get('job_errors', 0)}",
        )
    )
    by_status = ", ".join(f"{n} {name}" for name, n in sorted(data["articles"].items())) or "none"
    console.print(
        f"articles: {by_status}; due now {data['due']}, next due {_when(data['next_due_at'])};"
        f" failing {data['failing_articles']}"
    )
    check = d.get("verify") or {}
    if check.get("at"):
        problems = check["problems"] or 0
        console.print(
            Text.assemble(
                "sampled verify ",
                (f"{problems} problem(s)", "red" if problems else "green"),
                f" in {check['checked_versions']} version(s) at {check['at']}",
                f": {check['first_problem']}" if check["first_problem"] else "",
            )
        )
    table = Table(header_style="bold")
    table.add_column("source", overflow="fold")
    for col in ("kind", "articles", "last run", "next run", "errors"):
        table.add_column(col, no_wrap=True)
    table.add_column("last error", overflow="fold")
    for s in data["sources"]:
        table.add_row(
            Text(s["name"] or s["url"]),
            s["kind"],
            str(s["articles"]),
            _when(s["last_run_at"]),
            _when(s["next_run_at"]),
            str(s["errors"]),
            Text("; ".join(x for x in (s["last_error"], s["hint"]) if x)),
        )
    console.print(table)


@cli.command()
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "tsv"]), default="table")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="redline.toml whose [recheck] policy explains (default: redline --config, REDLINE_CONFIG).",
)
@click.pass_obj
def schedule(obj: Context, limit: int, fmt: str, config_path: str | None) -> None:
    """What is due next, and why (the recheck policy's reasoning for each article)."""
    from pipeline.recheck import RecheckPolicy
    from review.output import tsv_of

    recheck = obj.recheck(config_path)  # the daemon's own policy, so the why is the daemon's
    now = utcnow()
    rows: list[dict[str, Any]] = []
    with session_scope(obj.db) as session:
        state = daemon_state(session)
        policy = RecheckPolicy.from_mapping(recheck, time_scale=state.time_scale if state else 1.0)
        for a in upcoming(session, limit):
            born = min(a.first_seen_at, a.listed_published_at or a.first_seen_at)
            if a.last_checked_at is None:
                why = "new: never checked"
            else:
                _, why = policy.plan(
                    born=born,
                    now=a.last_checked_at,
                    failures=a.consecutive_failures,
                    last_changed=a.last_changed_at,
                    edit_rate=a.source.edit_rate if a.source else None,
                )
            rows.append(
                {
                    "url": a.url,
                    "next_check_at": render.iso(a.next_check_at),
                    "due_in_seconds": None if a.next_check_at is None else (a.next_check_at - now).total_seconds(),
                    "age_seconds": (now - born).total_seconds(),
                    "versions": a.version_count,
                    "why": why,
                }
            )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if fmt == "tsv":
        columns = ("url", "next_check_at", "due_in_seconds", "age_seconds", "versions", "why")
        rounded = [
            {**r, "due_in_seconds": _round(r["due_in_seconds"]), "age_seconds": _round(r["age_seconds"])} for r in rows
        ]
        click.echo(tsv_of(rounded, columns), nl=False)
        return
    table = Table(header_style="bold")
    table.add_column("due", no_wrap=True)
    table.add_column("article", no_wrap=True, overflow="ellipsis")
    table.add_column("versions", no_wrap=True)
    table.add_column("why", overflow="fold")
    for r in rows:
        due = r["due_in_seconds"]
        when = "now" if due is None or due <= 0 else f"in {_human(due)}"
        table.add_row(when, Text(r["url"]), str(r["versions"]), Text(r["why"]))
    stdout().print(table)


def _when(iso: str | None) -> str:
    """An ISO timestamp as a person reads it: to the second, in UTC ("-" when there is none)."""
    return f"{iso[:19].replace('T', ' ')} UTC" if iso else "-"


def _round(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
