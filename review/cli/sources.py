"""`redline sources …` and `redline discover`: where articles come from."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from review import render
from review.cli.group import Context, cli, parse_setting
from storage.db import session_scope
from storage.models import Article, Source

logger = logging.getLogger(__name__)


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> int:
    from config import parse_duration

    try:
        return int(parse_duration(value))
    except ValueError:
        raise click.BadParameter(f'expected a duration like "90s", "10m", "2h" or "1d", got {value!r}') from None


def _patterns(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise click.BadParameter(f"bad regular expression {pattern!r}: {exc}") from None
    return list(value)


def _apply_config(db: str, path: str | None) -> None:
    if not path:
        return
    from config import ConfigError, apply_config, load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    with session_scope(db) as session:
        counts = apply_config(session, config, path)
    logger.info("%s: %s", path, counts)


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), help="Sync sources from this redline.toml first."
)


@cli.group()
def sources() -> None:
    """Feeds, sitemaps and front pages redline reads to find articles."""


@sources.command("add")
@click.argument("url")
@click.option("--kind", type=click.Choice(["feed", "sitemap", "front"]), required=True)
@click.option("--name", help="A short name to refer to it.")
@click.option("--every", default="10m", show_default=True, callback=_duration, help="How often to read it.")
@click.option("--allow", multiple=True, callback=_patterns, help="Regex an article URL must match (repeatable).")
@click.option("--deny", multiple=True, callback=_patterns, help="Regex that excludes an article URL (repeatable).")
@click.pass_obj
def add(obj: Context, url: str, kind: str, name: str | None, every: int, allow: list[str], deny: list[str]) -> None:
    """Add a source (or update the one with this URL)."""
    from spiders.safety import url_problem

    if problem := url_problem(url):
        raise click.ClickException(f"refused {url}: {problem}")
    with session_scope(obj.db) as session:
        source = session.scalar(select(Source).where(Source.url == url))
        verb = "updated" if source else "added"
        if source is None:
            source = Source(url=url, kind=kind, error_count=0, articles_found=0)
            session.add(source)
        source.kind, source.name, source.every_seconds = kind, name, every
        source.allow, source.deny = allow or None, deny or None
    click.echo(f"{verb} {kind} {url} (every {every} s)")


def _find(session: Session, ref: str) -> Source:
    conditions = [Source.url == ref, Source.name == ref]
    if ref.isdigit():
        conditions.append(Source.id == int(ref))
    source = session.scalar(select(Source).where(or_(*conditions)))
    if source is None:
        raise click.ClickException(f"no source {ref!r} (see redline sources list)")
    return source


@sources.command("remove")
@click.argument("ref")
@click.pass_obj
def remove(obj: Context, ref: str) -> None:
    """Remove a source (by URL, name or id). Its articles stay tracked."""
    with session_scope(obj.db) as session:
        source = _find(session, ref)
        url = source.url
        session.delete(source)
    click.echo(f"removed {url}")


@sources.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@config_option
@click.pass_obj
def list_(obj: Context, fmt: str, config_path: str | None) -> None:
    """Every source and its health."""
    _apply_config(obj.db, config_path)
    with session_scope(obj.db) as session:
        counts = dict(session.execute(select(Article.source_id, func.count()).group_by(Article.source_id)).all())
        rows: list[dict[str, Any]] = [
            {
                "id": s.id,
                "name": s.name,
                "url": s.url,
                "kind": s.kind,
                "every_seconds": s.every_seconds,
                "allow": s.allow or [],
                "deny": s.deny or [],
                "articles": counts.get(s.id, 0),
                "last_run_at": render.iso(s.last_run_at),
                "next_run_at": render.iso(s.next_run_at),
                "errors": s.error_count,
                "last_error": s.last_error,
                "from_config": s.from_config,
            }
            for s in session.scalars(select(Source).order_by(Source.id))
        ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(header_style="bold")
    for col in ("id", "name", "kind", "url", "every", "articles", "last run", "errors", "last error"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["id"]),
            Text(r["name"] or ""),
            r["kind"],
            Text(r["url"]),
            f"{r['every_seconds']} s",
            str(r["articles"]),
            r["last_run_at"] or "never",
            str(r["errors"]),
            Text(r["last_error"] or ""),
        )
    Console(highlight=False).print(table)


@cli.command()
@click.option("--source", "refs", multiple=True, help="Only this source (URL, name or id); repeatable.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting override.")
@config_option
@click.pass_obj
def discover(obj: Context, refs: tuple[str, ...], overrides: tuple[str, ...], config_path: str | None) -> None:
    """Read the sources once now and track the articles they list."""
    from spiders.runner import build_settings, discover_sources

    _apply_config(obj.db, config_path)
    with session_scope(obj.db) as session:
        ids = [_find(session, ref).id for ref in refs] or list(session.scalars(select(Source.id)))
    if not ids:
        click.echo("no sources (redline sources add URL --kind feed|sitemap|front)")
        return
    settings = build_settings(obj.db, dict(parse_setting(p) for p in overrides))
    settings.set("LOG_LEVEL", logging.getLevelName(logging.getLogger().level), priority="cmdline")
    found = discover_sources(settings, ids)
    new = sum(item.__dict__.get("counts", {}).get("new", 0) for item in found)
    errors = [item for item in found if item.error]
    click.echo(f"read {len(found)} of {len(ids)} source(s): {new} new article(s), {len(errors)} error(s)")
    for item in errors:
        click.echo(f"  source {item.source_id}: {item.error}", err=True)
