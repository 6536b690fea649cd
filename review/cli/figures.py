"""`redline figures QUERY`: one figure followed across articles and versions, as the web UI's /figures."""

from __future__ import annotations

import json

import click
from rich.table import Table
from rich.text import Text

from review.cli.group import Context, cli, stdout

COLUMNS = ("series", "article_id", "version", "fetched_at", "figure", "value", "sentence")


@cli.command()
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "tsv"]),
    default="table",
    help="json: the shape of GET /api/figures?q=QUERY; tsv: one line a point.",
)
@click.option(
    "--max-articles", type=click.IntRange(min=1), default=200, show_default=True, help="Read at most this many."
)
@click.pass_obj
def figures(obj: Context, query: str, fmt: str, max_articles: int) -> None:
    """One figure followed across articles and versions (the web UI's /figures).

    QUERY names what is counted: killed, death toll, hostages… Each article
    whose figures match is one series, a point per version.
    """
    from review import views
    from review.inert import inert
    from review.output import tsv
    from storage.db import session_scope

    with session_scope(obj.db) as session:
        series = [views.series_json(s) for s in views.figures_across(session, query, max_articles=max_articles)]
    if fmt == "json":
        click.echo(json.dumps({"query": query, "series": series}, indent=2, ensure_ascii=False))
        return
    points = [
        (s["label"], p["article_id"], p["version"], p["fetched_at"], p["text"], p["value"], p["sentence"])
        for s in series
        for p in s["points"]
    ]
    if fmt == "tsv":
        click.echo(tsv(COLUMNS, points), nl=False)
        return
    if not series:
        click.echo(f"no figure matches {query!r}")
        return
    table = Table(header_style="bold")
    table.add_column("series", overflow="fold")
    for col in ("v", "fetched_at", "figure"):
        table.add_column(col, no_wrap=True)
    table.add_column("sentence", overflow="fold")
    for label, _article, version, fetched_at, text, _value, sentence in points:
        sentence = " ".join(inert(sentence).split())
        table.add_row(Text(inert(label)), f"v{version}", fetched_at or "", Text(inert(text)), Text(sentence))
    stdout().print(table)
