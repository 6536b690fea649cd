"""`redline track`, `crawl`, `changes`, `history`, `diff`, `checks`, `kinds`: one article at a time."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import TYPE_CHECKING

import click

from pipeline.kinds import KINDS
from review.cli.group import Context, cli, emit, setting_overrides, stdout, tracked_article
from review.cli.options import change_filter
from spiders.safety import url_problem

if TYPE_CHECKING:
    from pipeline.diff import Segment
    from pipeline.items import FetchedPage
    from review.filters import ChangeFilter
    from storage.models import Version

logger = logging.getLogger(__name__)

TABLE_FORMATS = click.Choice(["table", "json", "tsv"])
markers_option = click.option(
    "--markers", is_flag=True, help="Mark deletions [-so-] and insertions {+so+} (the default off a terminal)."
)


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@click.pass_obj
def track(obj: Context, urls: tuple[str, ...]) -> None:
    """Start tracking article URLs."""
    from spiders.urls import canonical_url
    from storage import queries
    from storage.db import session_scope

    refused = [(url, reason) for url in urls if (reason := url_problem(url))]
    if refused and len(urls) == 1:
        raise click.ClickException(f"refused {refused[0][0]}: {refused[0][1]}")
    for url, reason in refused:
        click.echo(f"refused {url}: {reason}", err=True)
    wanted = [url for url in urls if url not in dict(refused)]
    if not wanted:  # nothing to store: no database is opened, let alone created
        raise click.ClickException(f"no URL tracked: {len(refused)} refused")
    with session_scope(obj.writing().db) as session:
        for url in wanted:
            # The canonicaliser discovery uses: one article however the URL was decorated.
            canonical = canonical_url(url)
            article = queries.find_article(session, canonical) or queries.find_article(session, url)
            if article is not None:
                click.echo(f"already tracked {article.url}" + (f" (as {url})" if url != article.url else ""))
                continue
            queries.get_or_create_article(session, canonical)
            click.echo(f"tracking {canonical}" + (f" (from {url})" if url != canonical else ""))
    if refused:
        raise click.ClickException(f"{len(refused)} URL(s) refused; the others are tracked")


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Check every tracked article, due or not.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting override.")
@click.option("--limit", type=click.IntRange(min=1), help="Check at most this many articles.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="redline.toml whose [recheck] policy plans the next checks (default: redline --config, REDLINE_CONFIG).",
)
@click.pass_obj
def crawl(
    obj: Context,
    everything: bool,
    overrides: tuple[str, ...],
    limit: int | None,
    progress: bool | None,
    config_path: str | None,
) -> None:
    """Run one check cycle now: fetch due articles (or --all) and record changes."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from spiders.runner import CrawlError, build_settings, crawl_articles
    from storage import queries
    from storage.db import session_scope

    given = setting_overrides(overrides)
    # The daemon's [recheck] table: a crawl plans the next checks as the daemon would.
    recheck = obj.recheck(config_path)
    settings = build_settings(obj.writing().db, {"REDLINE_RECHECK": recheck, **given})
    if "LOG_LEVEL" not in given:
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
        except CrawlError as exc:
            raise click.ClickException(str(exc)) from None
    summary = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "no pages processed"
    click.echo(f"checked {sum(outcomes.values())} of {len(refs)}: {summary}; {changes} change(s)")


@cli.command()
@click.option("--format", "fmt", type=TABLE_FORMATS, default="table", help="tsv: one tab-separated line a change.")
@change_filter()
@click.option("--url", help="Only changes of this article.")
@markers_option
@click.pass_obj
def changes(obj: Context, fmt: str, flt: ChangeFilter, url: str | None, markers: bool) -> None:
    """List detected changes, oldest first."""
    from review import render
    from review.output import tsv_of, want_markers
    from storage import review_queries
    from storage.db import session_scope

    with session_scope(obj.db) as session:
        article_id = tracked_article(session, url).id if url else None
        # Every matching change: the command has no paging.
        query = dataclasses.replace(flt.query(article_id=article_id, newest_first=False), limit=None)
        rows = review_queries.search_changes(session, query)
        if fmt == "json":
            click.echo(json.dumps([render.change_json(c, a) for c, a in rows], indent=2, ensure_ascii=False))
        elif fmt == "tsv":
            click.echo(tsv_of([render.change_json(c, a) for c, a in rows], render.CHANGE_COLUMNS), nl=False)
        else:
            out = stdout()
            url_width = max(24, out.width // 3) if out.is_terminal else None
            out.print(render.changes_table(rows, markers=want_markers(out, markers), url_width=url_width))


@cli.command()
@click.argument("url")
@click.option("--format", "fmt", type=TABLE_FORMATS, default="table")
@click.pass_obj
def history(obj: Context, url: str, fmt: str) -> None:
    """Every stored version of an article."""
    from review import render
    from review.output import tsv
    from storage import queries
    from storage.db import session_scope

    problems: list[str] = []
    with session_scope(obj.db) as session:
        article = tracked_article(session, url)
        versions = queries.versions_of(session, article.id, problems)
        if fmt == "json":
            click.echo(json.dumps(render.history_json(article, versions), indent=2, ensure_ascii=False))
        elif fmt == "tsv":
            columns = ("version", "fetched_at", "title", "byline", "modified_at", "chars", "content_hash", "reverts_to")
            rows = [
                (
                    v.seq,
                    render.iso(v.fetched_at),
                    v.title,
                    v.byline,
                    v.modified_at,
                    len(v.text),
                    v.content_hash,
                    v.reverts_to,
                )
                for v in versions
            ]
            click.echo(tsv(columns, rows), nl=False)
        else:
            stdout().print(render.history_table(article.url, versions))
    if problems:  # the versions that still read are shown above; each one that does not, here
        for line in problems[:-1]:
            click.echo(f"Error: corrupted version: {line}", err=True)
        raise click.ClickException(f"corrupted version: {problems[-1]} (run `redline verify` for every problem)")


def _version_text(v: Version) -> str:
    return f"{v.title or ''}\n\n{v.text}"


def _context(ctx: click.Context, param: click.Parameter, value: str) -> int | None:
    if value.strip().lower() == "all":
        return None
    try:
        sentences = int(value)
    except ValueError:
        sentences = -1
    if sentences < 0:
        raise click.BadParameter(f"expected a number of sentences or 'all', got {value!r}")
    return sentences


@cli.command()
@click.argument("url")
@click.option("--from", "from_", type=click.IntRange(min=1), help="Older version (default: the one before --to).")
@click.option("--to", type=click.IntRange(min=1), help="Newer version (default: the latest).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html", "json", "card", "png"]),
    default="text",
    help="card: an HTML card of the edited sentences to paste into a story; png: the card as an image.",
)
@click.option(
    "--context",
    default="1",
    show_default=True,
    callback=_context,
    help="Sentences shown around each change (text and html); 'all' for the whole article. JSON is always whole.",
)
@markers_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (needed for png).")
@click.pass_obj
def diff(
    obj: Context,
    url: str,
    from_: int | None,
    to: int | None,
    fmt: str,
    context: int | None,
    markers: bool,
    output: str | None,
) -> None:
    """Word diff between two versions of an article."""
    from pipeline.diff import word_diff
    from storage import queries
    from storage.db import session_scope

    with session_scope(obj.db) as session:
        article = tracked_article(session, url)
        if article.version_count < 1:
            raise click.ClickException(f"no versions stored yet for {url}")
        to = to or article.version_count
        from_ = from_ or max(1, to - 1)
        for seq in (to, from_):
            if seq > article.version_count:
                raise click.ClickException(f"{url} has versions 1..{article.version_count}; there is no version {seq}")
        if from_ >= to and article.version_count > 1:
            raise click.ClickException(f"--from {from_} must be older than --to {to}")
        old, new = queries.get_version(session, article.id, from_), queries.get_version(session, article.id, to)
        if old is None or new is None:
            raise click.ClickException(f"{url} has versions 1..{article.version_count}; asked for {from_} and {to}")
        if fmt in ("card", "png"):
            from review.cli.card import write_card

            write_card(article.url, old, new, fmt, output)
            return
        segments = word_diff(_version_text(old), _version_text(new))
        if fmt == "json":
            body = {
                "url": article.url,
                "from_version": from_,
                "to_version": to,
                "segments": [{"op": s.op, "text": s.text} for s in segments],
            }
            emit(output, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        elif fmt == "html":
            emit(output, _diff_html(article.url, new.title, from_, to, segments, context))
        else:
            _diff_text(article.url, from_, to, segments, context, markers, output)


def _diff_html(url: str, title: str | None, from_: int, to: int, segments: list[Segment], context: int | None) -> str:
    import html

    from review import render
    from review.textdiff import hunks

    head = f"<h1>{html.escape(title or url)}</h1><p class=meta>{html.escape(url)} · version {from_} → {to}</p>"
    parts = [
        "<p class=meta>…</p>" if run is None else "<div>" + render.diff_html(run) + "</div>"
        for run in hunks(segments, context)
    ]
    return render.diff_page(title or url, head + "".join(parts))


def _diff_text(
    url: str, from_: int, to: int, segments: list[Segment], context: int | None, markers: bool, output: str | None
) -> None:
    from rich.text import Text

    from review.output import want_markers
    from review.textdiff import hunks, render_hunks

    body = Text.assemble((url, "bold"), f" version {from_} → {to}\n")
    if output is None:
        out = stdout()
        body.append_text(render_hunks(hunks(segments, context), markers=want_markers(out, markers)))
        out.print(body)
        return
    body.append_text(render_hunks(hunks(segments, context), markers=True))  # a file is never a terminal
    emit(output, body.plain + "\n")


@cli.command()
@click.argument("url")
@click.option("--format", "fmt", type=TABLE_FORMATS, default="table")
@click.pass_obj
def checks(obj: Context, url: str, fmt: str) -> None:
    """Every fetch of an article and its outcome (new_version, unchanged, error…)."""
    from review import render
    from review.output import tsv_of
    from storage import queries
    from storage.db import session_scope

    with session_scope(obj.db) as session:
        article = tracked_article(session, url)
        out = render.checks_json(article, queries.checks_of(session, article.id))
        if fmt == "json":
            click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        elif fmt == "tsv":
            columns = ("checked_at", "http_status", "outcome", "version", "duration_ms", "error")
            click.echo(tsv_of(out["checks"], columns), nl=False)
        else:
            stdout().print(render.checks_table(article.url, out["checks"]))


@cli.command()
def kinds() -> None:
    """The change kinds and what each means."""
    for name, info in KINDS.items():
        click.echo(f"{name:18} {info.severity:7} {'content' if info.content else 'signal '}  {info.help}")
