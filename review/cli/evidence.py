"""`redline verify`, `redline backup`, `redline export --format warc` (in reports.py): evidence that holds up.

docs/evidence.md says how to hand a version to someone else and how they check it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from review.cli.group import Context, cli
from review.filters import ChangeFilter, parse_since
from storage import queries, warc
from storage import verify as verifying
from storage.backup import BackupError
from storage.backup import backup as make_backup
from storage.db import database_url, session_scope

logger = logging.getLogger(__name__)


def write_warc(
    db_url: str,
    *,
    output: str,
    since: Any = None,
    article_id: int | None = None,
    outlets: tuple[str, ...] = (),
    seq: int | None = None,
) -> int:
    """Write the WARC records of the versions asked for to ``output`` (a .warc.gz); return how many versions."""
    if output == "-":
        raise click.BadParameter("a WARC export is binary: give a file with -o FILE.warc.gz", param_hint="-o")
    path = Path(output)
    if not path.parent.is_dir():
        raise click.ClickException(f"no directory {path.parent}")
    count = 0
    # Written beside the target and renamed at the end: a file of this name is always whole.
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, session_scope(db_url) as session:
            out.write(warc.warcinfo(path.name, {"software": "redline", "format": "WARC File Format 1.1"}))
            for data in warc.fragments(
                session, since=since, article_id=article_id, hosts=list(outlets) or None, seq=seq
            ):
                out.write(data)
                count += 1
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    click.echo(f"wrote {path}: the WARC records of {count} version(s)", err=True)
    return count


def export_warc(obj: Context, fmt: str, flt: ChangeFilter, url: str | None, seq: int | None, output: str) -> None:
    """`redline export --format warc`: the options it takes checked, then :func:`write_warc`."""
    if fmt != "warc":
        raise click.BadParameter("--url and --version select versions: they go with --format warc", param_hint="--url")
    if flt.kinds or flt.q or flt.min_severity != "low":
        raise click.BadParameter(
            "--kind, --search and --min-severity filter changes; a WARC export takes --since, --outlet, --url",
            param_hint="--format warc",
        )
    if seq is not None and not url:
        raise click.BadParameter("--version needs --url (the article it is a version of)", param_hint="--version")
    article_id = None
    if url:
        with session_scope(obj.db) as session:
            article = queries.find_article(session, url)
            if article is None:
                raise click.ClickException(f"not tracked: {url}")
            article_id = article.id
            if seq is not None and not 1 <= seq <= article.version_count:
                raise click.ClickException(f"{url} has versions 1..{article.version_count}; asked for {seq}")
    write_warc(obj.db, output=output, since=parse_since(flt.since), article_id=article_id, outlets=flt.outlets, seq=seq)


@cli.command()
@click.option("--sample", type=int, help="Check this many versions picked at random (default: every one).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def verify(obj: Context, sample: int | None, fmt: str) -> None:
    """Re-hash every stored version: its text, delta chain and WARC records. Exit 1 on any mismatch."""
    if sample is not None and sample < 1:
        raise click.BadParameter("must be at least 1", param_hint="'--sample'")
    with session_scope(obj.db) as session:
        report = verifying.verify(session, sample=sample)
    if fmt == "json":
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        for problem in report.problems:
            click.echo(problem.line())
        click.echo(report.summary())
    if not report.ok:
        raise SystemExit(1)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def backup(obj: Context, file: Path) -> None:
    """A consistent copy of the SQLite database in FILE, whole on its own (PostgreSQL: use pg_dump)."""
    given = click.get_current_context().find_root().params.get("db")
    try:
        if not database_url(given).startswith("sqlite"):  # said before connecting: pg_dump is the answer
            make_backup(database_url(given), file)
        count = make_backup(obj.db, file)
    except (BackupError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up {count} version(s) to {file}")
