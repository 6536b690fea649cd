"""The `redline` click group and the `Context` every command receives.

Command modules import this one and register on `cli`; this module imports none
of them, so the CLI has one direction of imports (review/cli/__init__.py lists
the command modules).
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from typing import Any

import click
from rich.console import Console
from sqlalchemy.orm import Session

from storage import queries
from storage.db import open_database
from storage.models import Article
from storage.versiontext import CorruptText


class Context:
    """What `redline --db …` hands every command: the database, opened on first use."""

    def __init__(self, db: str | None):
        self._db = db
        self._url: str | None = None

    @property
    def db(self) -> str:
        if self._url is None:
            try:
                self._url = open_database(self._db)
            except Exception as exc:  # the database itself is unusable: say so in one line
                raise click.ClickException(f"cannot open database {self._db or '(default)'}: {exc}") from exc
        return self._url


def current() -> Context:
    """The `Context` of the command being run (for decorators that need the database)."""
    obj = click.get_current_context().find_object(Context)
    if obj is None:
        raise click.UsageError("redline commands run under the redline group")
    return obj


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=False)


class RedlineGroup(click.Group):
    """A corrupted stored version, met by any command, is one line naming it and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CorruptText as exc:
            raise click.ClickException(f"corrupted version: {exc} (run `redline verify` for every problem)") from exc


@click.group(cls=RedlineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="REDLINE_DB", help="Database URL (default sqlite:///redline.db).")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False),
    envvar="REDLINE_LOG_FILE",
    help="Log here instead of stderr; reopened when logrotate moves it.",
)
@click.version_option(package_name="redline")
@click.pass_context
def cli(ctx: click.Context, db: str | None, verbose: int, log_file: str | None) -> None:
    """redline: track how news articles change after publication."""
    level = logging.WARNING - 10 * min(verbose, 2)
    # The level sits on our handler, not the root logger: Scrapy resets the root level.
    handler: logging.Handler = (
        logging.handlers.WatchedFileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    ctx.obj = Context(db)


def parse_setting(pair: str) -> tuple[str, str]:
    """``-s NAME=VALUE``: one Scrapy setting override."""
    name, sep, value = pair.partition("=")
    if not sep or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
        raise click.BadParameter(f"expected NAME=VALUE with an upper-case Scrapy setting name, got {pair!r}")
    return name, value


def tracked_article(session: Session, url: str) -> Article:
    """The tracked article at this URL, or one clear line saying it is not tracked."""
    article = queries.find_article(session, url)
    if article is None:
        raise click.ClickException(f"not tracked: {url}")
    return article
