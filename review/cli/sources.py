"""`redline sources …` and `redline discover`: where articles come from."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import click
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from pipeline import jsshell
from pipeline.durations import parse_duration
from review import render
from review.cli.group import Context, cli, setting_overrides, stdout
from spiders.source_kinds import SOURCE_KINDS, kinds_help
from storage.db import session_scope
from storage.health import articles_with_error
from storage.models import Source
from storage.schedule import articles_by_source
from storage.sources import (
    add_source,
    all_sources,
    find_source,
    forget_fetch_state,
    remove_source,
    source_at,
    source_ids,
)

logger = logging.getLogger(__name__)

MAX_EVERY = 365 * 86400  # a source read less than once a year is not being watched


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> int:
    try:
        seconds = int(parse_duration(value))
    except ValueError:
        raise click.BadParameter(f'expected a duration like "90s", "10m", "2h" or "1d", got {value!r}') from None
    if seconds > MAX_EVERY:
        raise click.BadParameter(f"at most 365d, got {value!r}")
    return seconds


def _patterns(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise click.BadParameter(f"bad regular expression {pattern!r}: {exc}") from None
    return list(value)


def _selector(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from pipeline.overrides import selector_problem

    if value is not None and (problem := selector_problem(value)):
        raise click.BadParameter(problem)
    return value


def _selectors(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    return [v for v in value if _selector(ctx, param, v)]


def _apply_config(obj: Context, explicit: str | None) -> None:
    """Sync the sources of the command's --config (else redline --config, else REDLINE_CONFIG)."""
    path = obj.config_path(explicit)
    if not path:
        return
    from config import ConfigError, apply_config, load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    with session_scope(obj.writing().db) as session:
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
@click.option(
    "--kind",
    type=click.Choice([*SOURCE_KINDS, "auto"]),
    default="auto",
    show_default=True,
    help="auto: find the outlet's news sitemap, feed or front page from its home page. " + kinds_help(),
)
@click.option(
    "--dry-run", is_flag=True, help="With --kind auto: list what was found and its article URLs; save nothing."
)
@click.option("--name", help="A short name to refer to it.")
@click.option("--every", default="10m", show_default=True, callback=_duration, help="How often to read it.")
@click.option("--allow", multiple=True, callback=_patterns, help="Regex an article URL must match (repeatable).")
@click.option("--deny", multiple=True, callback=_patterns, help="Regex that excludes an article URL (repeatable).")
@click.option(
    "--render",
    type=click.Choice(["plain", "browser"]),
    default="plain",
    show_default=True,
    help="browser: fetch its pages through headless Chromium (sites that build the article with JavaScript).",
)
@click.option("--body", callback=_selector, help="CSS (or XPath) of the article body, when extraction misses it.")
@click.option(
    "--remove", multiple=True, callback=_selectors, help="CSS (or XPath) of a block to drop from the body (repeatable)."
)
@click.pass_obj
def add(
    obj: Context,
    url: str,
    kind: str,
    name: str | None,
    every: int,
    allow: list[str],
    deny: list[str],
    render: str,
    body: str | None,
    remove: list[str],
    dry_run: bool,
) -> None:
    """Add a source (or update the one with this URL).

    Without --kind (or with --kind auto) URL is the outlet's home page: redline
    reads it, its robots.txt and the usual news-sitemap paths, and chooses a
    Google News sitemap, else a feed, else the front page itself; it says what
    it chose and why. --dry-run lists the candidates without saving.

    --body and --remove are extraction overrides for its articles and every
    other article on its host (docs/overrides.md); try them first with
    `redline inspect URL --body … --remove …`."""
    from spiders.safety import url_problem

    if problem := url_problem(url):
        raise click.ClickException(f"refused {url}: {problem}")
    if dry_run and kind != "auto":
        raise click.UsageError("--dry-run lists what --kind auto would find: leave out --kind")
    obj.writing()  # the first source of a new database creates it
    found: tuple[str, str, str] | None = None
    if kind == "auto":
        found = _search(obj, url, render, dry_run)
        if found is None:
            return
    with session_scope(obj.db) as session:
        source = source_at(session, url)
        verb = "updated" if source else "added"
        if source is None:
            source = add_source(session, url, kind)
        source.kind, source.name, source.every_seconds = kind, name, every
        source.allow, source.deny = allow or None, deny or None
        overrides = {**({"body": body} if body else {}), **({"remove": remove} if remove else {})}
        refetch = source.id is not None and (
            (source.render or "plain") != render or (source.overrides or None) != (overrides or None)
        )
        source.render = render if render != "plain" else None
        source.overrides = overrides or None
        source.found_url, source.found_kind, source.found_why = found or (None, None, None)
        if refetch:  # its pages must be fetched and extracted afresh under the new settings
            forget_fetch_state(session, source.id)
    rendered = ", through the browser" if render == "browser" else ""
    overridden = f", overrides {json.dumps(overrides)}" if overrides else ""
    click.echo(f"{verb} {kind} {url} (every {every} s{rendered}{overridden})")


def _search(obj: Context, url: str, render: str, dry_run: bool) -> tuple[str, str, str] | None:
    """Search the outlet at ``url``; print what was found; (URL, kind, why) to read, None for a dry run."""
    from spiders.outlet import candidates, choose
    from spiders.runner import CrawlError, build_settings, find_outlet

    settings = build_settings(obj.db)
    settings.set("LOG_LEVEL", logging.getLevelName(logging.getLogger().level), priority="cmdline")
    try:
        found = candidates(find_outlet(settings, url, None if render == "plain" else render))
    except CrawlError as exc:
        raise click.ClickException(str(exc)) from None
    chosen, why = choose(found)
    if dry_run:
        click.echo(f"candidates for {url}:")
        for c in sorted(found, key=lambda c: (c.problem is not None, -c.articles)):
            state = f"{c.articles} article URL(s)" if not c.problem else c.problem
            click.echo(f"  {c.label:20} {c.url}  {state}  (from {c.found})")
    if chosen is None:
        raise click.ClickException(f"{url}: {why}; add a feed, sitemap or front page with --kind")
    verb = "would read" if dry_run else "reading"
    click.echo(f"{verb} the {chosen.label} {chosen.url}: {why}")
    return None if dry_run else (chosen.url, chosen.kind, why)


def _health(last_error: str | None, shells: int) -> str:
    """One line on what is wrong with a source, or "ok"."""
    problems = [last_error] if last_error else []
    if shells:
        problems.append(f"{shells} article(s) {jsshell.HINT}")
    return "; ".join(problems) or "ok"


def _find(session: Session, ref: str) -> Source:
    source = find_source(session, ref)
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
        remove_source(session, source)
    click.echo(f"removed {url}")


@sources.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "tsv"]), default="table")
@config_option
@click.pass_obj
def list_(obj: Context, fmt: str, config_path: str | None) -> None:
    """Every source and its health."""
    _apply_config(obj, config_path)
    with session_scope(obj.db) as session:
        counts = articles_by_source(session)
        shells = articles_with_error(session, jsshell.HINT)
        rows: list[dict[str, Any]] = [
            {
                "id": s.id,
                "name": s.name,
                "url": s.url,
                "kind": s.kind,
                "render": s.render or "plain",
                "found": {"url": s.found_url, "kind": s.found_kind, "why": s.found_why} if s.found_url else None,
                "overrides": s.overrides,
                "every_seconds": s.every_seconds,
                "allow": s.allow or [],
                "deny": s.deny or [],
                "articles": counts.get(s.id, 0),
                "last_run_at": render.iso(s.last_run_at),
                "next_run_at": render.iso(s.next_run_at),
                "errors": s.error_count,
                "last_error": s.last_error,
                "from_config": s.from_config,
                "health": _health(s.last_error, shells.get(s.id, 0)),
            }
            for s in all_sources(session)
        ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if fmt == "tsv":
        from review.output import tsv_of

        columns = ("id", "name", "kind", "url", "every_seconds", "articles", "last_run_at", "errors", "health")
        click.echo(tsv_of(rows, columns), nl=False)
        return
    table = Table(header_style="bold")
    for col in ("id", "name", "kind", "url", "every", "articles", "last run", "errors", "health"):
        table.add_column(col, overflow="fold", no_wrap=col not in ("name", "health"))
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
            Text(r["health"]),
        )
    stdout().print(table)


@cli.command()
@click.option("--source", "refs", multiple=True, help="Only this source (URL, name or id); repeatable.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting override.")
@config_option
@click.pass_obj
def discover(obj: Context, refs: tuple[str, ...], overrides: tuple[str, ...], config_path: str | None) -> None:
    """Read the sources once now and track the articles they list."""
    from spiders.runner import CrawlError, build_settings, discover_sources

    setting_overrides(overrides)  # a bad -s is a usage error before anything is read
    _apply_config(obj, config_path)
    obj.writing()
    with session_scope(obj.db) as session:
        ids = [_find(session, ref).id for ref in refs] or source_ids(session)
    if not ids:
        click.echo(f"no sources (redline sources add URL --kind {'|'.join(SOURCE_KINDS)})")
        return
    settings = build_settings(obj.db, setting_overrides(overrides))
    settings.set("LOG_LEVEL", logging.getLevelName(logging.getLogger().level), priority="cmdline")
    try:
        found = discover_sources(settings, ids)
    except CrawlError as exc:
        raise click.ClickException(str(exc)) from None
    new = sum(item.new for item in found)
    errors = [item for item in found if item.error]
    click.echo(f"read {len(found)} of {len(ids)} source(s): {new} new article(s), {len(errors)} error(s)")
    for item in errors:
        click.echo(f"  source {item.source_id}: {item.error}", err=True)
