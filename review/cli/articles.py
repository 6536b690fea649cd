"""`redline track`, `crawl`, `changes`, `history`, `diff`, `checks`, `kinds`: one article at a time."""

from __future__ import annotations

import dataclasses
import json
import logging

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.diff import word_diff
from pipeline.items import FetchedPage
from pipeline.kinds import KINDS
from review import render
from review.cli.group import Context, cli, parse_setting, stdout, tracked_article
from review.cli.options import change_filter
from review.filters import ChangeFilter
from spiders.safety import url_problem
from storage import queries, review_queries
from storage.db import session_scope
from storage.models import Version

logger = logging.getLogger(__name__)


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@click.pass_obj
def track(obj: Context, urls: tuple[str, ...]) -> None:
    """Start tracking article URLs."""
    refused = 0
    with session_scope(obj.db) as session:
        for url in urls:
            reason = url_problem(url)
            if reason:
                click.echo(f"refused {url}: {reason}", err=True)
                refused += 1
                continue
            _, created = queries.get_or_create_article(session, url)
            click.echo(f"{'tracking' if created else 'already tracked'} {url}")
    if refused:
        raise click.ClickException(f"{refused} URL(s) refused; the others are tracked")


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Check every tracked article, due or not.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting override.")
@click.option("--limit", type=int, help="Check at most this many articles.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.pass_obj
def crawl(obj: Context, everything: bool, overrides: tuple[str, ...], limit: int | None, progress: bool | None) -> None:
    """Run one check cycle now: fetch due articles (or --all) and record changes."""
    from scrapy.exceptions import UsageError

    from spiders.runner import build_settings, crawl_articles

    settings = build_settings(obj.db, dict(parse_setting(p) for p in overrides))
    if "LOG_LEVEL" not in dict(parse_setting(p) for p in overrides):
        settings.set("LOG_LEVEL", logging.getLevelName(logging.getLogger().level), priority="cmdline")
    with session_scope(obj.db) as session:
        refs = queries.articles_to_check(session, everything=everything, limit=limit)
    if not refs:
        click.echo("nothing due")
        return
    console = Console(stderr=True)
    show = console.is_terminal if progress is None else progress
    outcomes: dict[str, int] = {}
    changes = 0
    with Progress(
        TextColumn("checking"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
        disable=not show,
    ) as bar:
        task = bar.add_task("crawl", total=len(refs), note="")

        def on_item(item: FetchedPage) -> None:
            nonlocal changes
            outcome = str(item.outcome or "?")
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            changes += len(item.change_kinds)
            bar.update(task, advance=1, note=f"{changes} change(s)")

        try:
            crawl_articles(settings, on_item=on_item, refs=refs)
        except UsageError as exc:  # a -s NAME=VALUE a component refused
            raise click.ClickException(str(exc)) from exc
    summary = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "no pages processed"
    click.echo(f"checked {sum(outcomes.values())} of {len(refs)}: {summary}; {changes} change(s)")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@change_filter()
@click.option("--url", help="Only changes of this article.")
@click.pass_obj
def changes(obj: Context, fmt: str, flt: ChangeFilter, url: str | None) -> None:
    """List detected changes, oldest first."""
    with session_scope(obj.db) as session:
        article_id = tracked_article(session, url).id if url else None
        # Every matching change: the command has no paging.
        query = dataclasses.replace(flt.query(article_id=article_id, newest_first=False), limit=None)
        rows = review_queries.search_changes(session, query)
        if fmt == "json":
            click.echo(json.dumps([render.change_json(c, a) for c, a in rows], indent=2, ensure_ascii=False))
        else:
            stdout().print(render.changes_table(rows))


@cli.command()
@click.argument("url")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def history(obj: Context, url: str, fmt: str) -> None:
    """Every stored version of an article."""
    problems: list[str] = []
    with session_scope(obj.db) as session:
        article = tracked_article(session, url)
        versions = queries.versions_of(session, article.id, problems)
        if fmt == "json":
            click.echo(json.dumps(render.history_json(article, versions), indent=2, ensure_ascii=False))
        else:
            stdout().print(render.history_table(article.url, versions))
    if problems:  # the versions that still read are shown above; each one that does not, here
        for line in problems[:-1]:
            click.echo(f"Error: corrupted version: {line}", err=True)
        raise click.ClickException(f"corrupted version: {problems[-1]} (run `redline verify` for every problem)")


def _version_text(v: Version) -> str:
    return f"{v.title or ''}\n\n{v.text}"


@cli.command()
@click.argument("url")
@click.option("--from", "from_", type=int, help="Older version (default: the one before --to).")
@click.option("--to", type=int, help="Newer version (default: the latest).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html", "json", "card", "png"]),
    default="text",
    help="card: an HTML card of the edited sentences to paste into a story; png: the card as an image.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (needed for png).")
@click.pass_obj
def diff(obj: Context, url: str, from_: int | None, to: int | None, fmt: str, output: str | None) -> None:
    """Word diff between two versions of an article."""
    with session_scope(obj.db) as session:
        article = tracked_article(session, url)
        if article.version_count < 1:
            raise click.ClickException(f"no versions stored yet for {url}")
        to = to or article.version_count
        from_ = from_ or max(1, to - 1)
        old, new = queries.get_version(session, article.id, from_), queries.get_version(session, article.id, to)
        if old is None or new is None:
            raise click.ClickException(f"{url} has versions 1..{article.version_count}; asked for {from_} and {to}")
        if fmt in ("card", "png"):
            from review.cli.card import write_card

            write_card(article.url, old, new, fmt, output)
            return
        segments = word_diff(_version_text(old), _version_text(new))
        if fmt == "json":
            click.echo(
                json.dumps(
                    {
                        "url": article.url,
                        "from_version": from_,
                        "to_version": to,
                        "segments": [{"op": s.op, "text": s.text} for s in segments],
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )
        elif fmt == "html":
            import html as htmlmod

            title = htmlmod.escape(new.title or article.url)
            head = f"<h1>{title}</h1><p class=meta>{htmlmod.escape(article.url)} · version {from_} → {to}</p>"
            click.echo(
                render.diff_page(new.title or article.url, head + "<div>" + render.diff_html(segments) + "</div>")
            )
        else:
            console = stdout()
            console.print(f"[bold]{article.url}[/] version {from_} → {to}")
            console.print(render.diff_text(segments))


@cli.command()
@click.argument("url")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def checks(obj: Context, url: str, fmt: str) -> None:
    """Every fetch of an article and its outcome (new_version, unchanged, error…)."""
    with session_scope(obj.db) as session:
        article = tracked_article(session, url)
        out = render.checks_json(article, queries.checks_of(session, article.id))
        if fmt == "json":
            click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        else:
            stdout().print(render.checks_table(article.url, out["checks"]))


@cli.command()
def kinds() -> None:
    """The change kinds and what each means."""
    for name, info in KINDS.items():
        click.echo(f"{name:18} {info.severity:7} {'content' if info.content else 'signal '}  {info.help}")
