"""`redline prune`: apply the retention policy (storage/retention.py) now."""

from __future__ import annotations

import logging

import click

from review.cli.group import Context, cli
from storage.db import session_scope, transaction
from storage.retention import RetentionPolicy, count_prunable, prune_checks

logger = logging.getLogger(__name__)


def retention_from(path: str | None) -> RetentionPolicy:
    """The ``[retention]`` table of a redline.toml, or the defaults."""
    if not path:
        return RetentionPolicy()
    from config import ConfigError, load_config

    try:
        return RetentionPolicy.from_mapping(load_config(path).retention)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def prune_all(db_url: str, policy: RetentionPolicy) -> int:
    """Delete every prunable check, a batch per transaction; returns how many went."""
    before = policy.cutoff()
    total = 0
    while deleted := transaction(db_url, lambda session: prune_checks(session, before)):
        total += deleted
    return total


@cli.command()
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; delete nothing.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="redline.toml with a [retention] table.")
@click.pass_obj
def prune(obj: Context, dry_run: bool, config_path: str | None) -> None:
    """Delete check rows older than the retention policy (default 90 days).

    Every version, every change and the check that made each version are kept.
    The daemon does the same in its housekeeping."""
    policy = retention_from(obj.config_path(config_path))
    days = policy.keep_checks.total_seconds() / 86400
    if dry_run:
        with session_scope(obj.db) as session:
            n = count_prunable(session, policy.cutoff())
        click.echo(f"would delete {n} check(s) older than {days:g} days (versions and their checks are kept)")
        return
    n = prune_all(obj.db, policy)
    click.echo(f"deleted {n} check(s) older than {days:g} days (versions and their checks are kept)")
