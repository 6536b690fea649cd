"""`redline inspect URL|FILE`: what redline would store from a page, before trusting it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from review.cli.group import Context, cli, setting_overrides
from storage.db import session_scope
from storage.models import host_of

logger = logging.getLogger(__name__)


def _selectors(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    from pipeline.overrides import selector_problem

    for selector in [value] if isinstance(value, str) else list(value or ()):
        if problem := selector_problem(selector):
            raise click.BadParameter(problem)
    return value


def _page(obj: Context, target: str, render: str | None, overrides: tuple[str, ...]) -> tuple[str, str | None]:
    """(HTML, URL) of a saved file or of one fetch through the crawl's middlewares."""
    path = Path(target)
    if "://" not in target:
        if not path.is_file():
            raise click.ClickException(f"{target}: no such file (give a saved page or an http(s) URL)")
        from pipeline.extract import decode_html

        return decode_html(path.read_bytes()), None
    from spiders.runner import CrawlError, build_settings, fetch_once
    from spiders.safety import url_problem

    if problem := url_problem(target):
        raise click.ClickException(f"refused {target}: {problem}")
    settings = build_settings(obj.db, setting_overrides(overrides))
    settings.set("LOG_LEVEL", logging.getLevelName(logging.getLogger().level), priority="cmdline")
    try:
        got = fetch_once(settings, target, render)
    except CrawlError as exc:
        raise click.ClickException(str(exc)) from None
    if got["error"]:
        raise click.ClickException(f"{target}: {got['error']}")
    if got["status"] != 200 or got["html"] is None:
        raise click.ClickException(f"{target}: HTTP {got['status']}" + ("" if got["html"] else ", not a text page"))
    return str(got["html"]), str(got["final_url"] or target)


@cli.command("inspect")
@click.argument("target", metavar="URL|FILE")
@click.option("--body", callback=_selectors, help="Try this CSS (or XPath) as the article body.")
@click.option("--remove", multiple=True, callback=_selectors, help="Try dropping this block (repeatable).")
@click.option(
    "--render", type=click.Choice(["plain", "browser"]), help="Fetch through the browser (default: the source's)."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Scrapy setting override.")
@click.pass_obj
def inspect(
    obj: Context,
    target: str,
    body: str | None,
    remove: tuple[str, ...],
    render: str | None,
    fmt: str,
    settings: tuple[str, ...],
) -> None:
    """Fetch a page once (or read a saved one) and show what redline would store.

    Every headline surface, the byline, the dates, the body paragraph by
    paragraph, and what was pruned and why. Nothing is stored. --body and
    --remove try an override; the redline.toml lines that make it permanent
    are printed at the end."""
    from pipeline.extract import SiteOverrides
    from pipeline.inspect import inspect_page, toml_snippet
    from pipeline.overrides import OverrideTable
    from storage.sources import source_on_host, source_overrides

    host = host_of(target) if "://" in target else None
    source = None
    stored: dict[str, Any] | None = None
    with session_scope(obj.db) as session:
        if host:
            source = source_on_host(session, host)
            stored = OverrideTable.build(source_overrides(session), {}).lookup(target)
            if render is None and source is not None:
                render = source[2]
    html, url = _page(obj, target, None if render == "plain" else render, settings)
    tried = {**({"body": body} if body else {}), **({"remove": list(remove)} if remove else {})}
    overrides = SiteOverrides.from_mapping(tried or stored)
    try:
        result = inspect_page(html, url, overrides)
    except ValueError as exc:  # a selector lxml accepted to compile but not to run
        raise click.ClickException(str(exc)) from None
    snippet = None
    if tried:
        source_url, kind = (
            (source[0], source[1]) if source else (f"http://{host}/" if host else "https://outlet/", "front")
        )
        snippet = toml_snippet(source_url, kind, tried)
    if fmt == "json":
        click.echo(json.dumps({**result.as_json(), "toml": snippet}, indent=2, ensure_ascii=False))
        return
    console = Console(highlight=False, soft_wrap=True)
    _show(console, result, "the source's overrides" if stored and not tried else "the overrides tried" if tried else "")
    if snippet:
        console.print(Text("\nTo make this override permanent, in redline.toml:", style="bold"))
        console.print(Text(snippet.rstrip()))
        flags = (f" --body '{body}'" if body else "") + "".join(f" --remove '{r}'" for r in remove)
        console.print(Text(f"or: redline sources add {source_url} --kind {kind}{flags}"))


def _show(console: Console, r: Any, overridden: str) -> None:
    console.print(Text(r.url or "(saved page)", style="bold"))
    console.print(Text(r.verdict + (f", with {overridden} {json.dumps(r.overrides)}" if overridden else "")))
    console.print(Text("\nheadlines", style="bold"))
    for surface, headline in r.headlines.items():
        console.print(Text(f"  {surface:16} {headline}"))
    if not r.headlines:
        console.print(Text(f"  {'title':16} {r.title or '-'}"))
    for label, value in (
        ("byline", r.byline),
        ("published", r.published_at),
        ("modified", r.modified_at),
        ("canonical", r.canonical_url),
    ):
        console.print(Text(f"{label:18} {value or '-'}"))
    console.print(Text(f"\nbody: {len(r.paragraphs)} paragraph(s)", style="bold"))
    for i, paragraph in enumerate(r.paragraphs, 1):
        console.print(Text(f"{i:>3}  {paragraph}"))
    console.print(Text(f"\npruned: {len(r.pruned)} block(s)", style="bold"))
    for item in r.pruned:
        text = item["text"] if len(item["text"]) <= 110 else item["text"][:107] + "…"
        console.print(Text(f"  [{item['reason']}] {text}"))
