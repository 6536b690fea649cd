"""The `redline` click group and the `Context` every command receives.

Command modules import this one and register on `cli`; this module imports none
of them at start-up. `COMMANDS` names the module of each command and its
one-line help, so `redline --help` and `--version` answer without loading the
database, the crawler or the web app, and a command loads only its own module
(bench/cli_startup.py measures it; tests/test_cli_startup.py checks the list).
"""

from __future__ import annotations

import importlib
import logging
import logging.handlers
import re
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.orm import Session

    from storage.models import Article

# command name → (module under review.cli, the help line `redline --help` shows)
COMMANDS: dict[str, tuple[str, str]] = {
    "alerts": (
        "reports",
        "Send changes to e-mail, chat or webhooks by rules (see review/alerts.py for the rules file).",
    ),
    "changes": ("articles", "List detected changes, oldest first."),
    "checks": ("articles", "Every fetch of an article and its outcome (new_version, unchanged, error…)."),
    "crawl": ("articles", "Run one check cycle now: fetch due articles (or --all) and record changes."),
    "demo": ("demo", "Watch a local newsroom revise its stories, and redline catch every revision."),
    "backup": (
        "evidence",
        "A consistent copy of the SQLite database in FILE, whole on its own (PostgreSQL: use pg_dump).",
    ),
    "diff": ("articles", "Word diff between two versions of an article."),
    "discover": ("sources", "Read the sources once now and track the articles they list."),
    "export": (
        "reports",
        "Export changes as CSV, JSON Lines, or NewsEdits-style aligned sentence pairs; or versions as WARC.",
    ),
    "feed": ("reports", "The Atom feed of changes, as a file (`redline serve` also serves it at /feed.atom)."),
    "figures": ("figures", "One figure followed across articles and versions (the web UI's /figures)."),
    "history": ("articles", "Every stored version of an article."),
    "inspect": ("inspect_page", "Fetch a page once (or read a saved one) and show what redline would store."),
    "kinds": ("articles", "The change kinds and what each means."),
    "prune": ("prune", "Delete check rows older than the retention policy (default 90 days)."),
    "report": ("reports", "One self-contained HTML report of the changes (no script, no external request)."),
    "run": ("daemon", "Run the daemon: discover articles, re-check them as they age, record every change."),
    "schedule": ("daemon", "What is due next, and why (the recheck policy's reasoning for each article)."),
    "serve": ("serve", "Serve the changes, articles, diffs and figures in a browser, and the JSON API (read-only)."),
    "sources": ("sources", "Feeds, sitemaps and front pages redline reads to find articles."),
    "status": ("daemon", "Daemon and source health: last cycle, due backlog, errors per source."),
    "track": ("articles", "Start tracking article URLs."),
    "verify": (
        "evidence",
        "Re-hash every stored version: its text, delta chain and WARC records. Exit 1 on any mismatch.",
    ),
    "worker": ("worker", "Fetch the articles the scheduler hands out, and store what changed."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when one is run, not when the program starts;
    a corrupted stored version, met by any command, is one line naming it and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as exc:
            from storage.versiontext import CorruptText

            if isinstance(exc, CorruptText):
                raise click.ClickException(
                    f"corrupted version: {exc} (run `redline verify` for every problem)"
                ) from exc
            raise

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(f"review.cli.{COMMANDS[cmd_name][0]}")  # registers on `cli`
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click lists commands, from `COMMANDS` instead of importing each command."""
        names = [name for name in self.list_commands(ctx) if name in COMMANDS]
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = [(name, click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)) for name in names]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class Context:
    """What `redline --db … --config …` hands every command: the database, opened on first use,
    and the configuration file every command that schedules or explains reads."""

    def __init__(self, db: str | None, config: str | None = None):
        self._db = db
        self._url: str | None = None
        self.config = config
        self.creates = False  # set by the commands that may create a new database (track, crawl, run…)

    @property
    def db(self) -> str:
        if self._url is None:
            from storage.db import open_database

            wanted = self._db or self.configured_database()
            try:
                self._url = open_database(wanted, create=self.creates)
            except Exception as exc:  # the database itself is unusable: say so in one line
                raise click.ClickException(f"cannot open database {wanted or '(default)'}: {exc}") from exc
        return self._url

    def configured_database(self) -> str | None:
        """``[daemon] database`` of the configuration file: used when neither --db nor REDLINE_DB is given."""
        return self._table("daemon").get("database")

    def writing(self) -> Context:
        """This command stores what it is given: a missing SQLite file is created, not refused."""
        self.creates = True
        return self

    def config_path(self, explicit: str | None = None) -> str | None:
        """The command's own --config, else redline's --config, else REDLINE_CONFIG."""
        return explicit or self.config

    def recheck(self, explicit: str | None = None) -> dict[str, Any]:
        """The configured [recheck] table (empty: the default policy), as the daemon reads it."""
        return self._table("recheck", explicit)

    def _table(self, name: str, explicit: str | None = None) -> dict[str, Any]:
        path = self.config_path(explicit)
        if not path:
            return {}
        from config import ConfigError, load_config

        try:
            return dict(getattr(load_config(path), name) or {})
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None


def current() -> Context:
    """The `Context` of the command being run (for decorators that need the database)."""
    obj = click.get_current_context().find_object(Context)
    if obj is None:
        raise click.UsageError("redline commands run under the redline group")
    return obj


def stdout() -> Console:
    """stdout as the terminal's width on a terminal, never wrapped anywhere else (review/output.py)."""
    from review.output import console

    return console()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="REDLINE_DB", help="Database URL (default sqlite:///redline.db).")
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    envvar="REDLINE_CONFIG",
    help="redline.toml that every command reads: its [recheck] policy, sources and daemon options.",
)
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False),
    envvar="REDLINE_LOG_FILE",
    help="Log here instead of stderr; reopened when logrotate moves it.",
)
@click.version_option(package_name="redline")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config: str | None, verbose: int, log_file: str | None) -> None:
    """redline: track how news articles change after publication."""
    level = logging.WARNING - 10 * min(verbose, 2)
    # The level sits on our handler, not the root logger: Scrapy resets the root level.
    try:
        handler: logging.Handler = (
            logging.handlers.WatchedFileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
        )
    except OSError as exc:
        raise click.BadParameter(f"cannot open {log_file}: {exc.strerror}", param_hint="'--log-file'") from None
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    ctx.obj = Context(db, config)


def parse_setting(pair: str) -> tuple[str, str]:
    """``-s NAME=VALUE``: one Scrapy setting override."""
    name, sep, value = pair.partition("=")
    if not sep or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
        raise click.BadParameter(
            f"expected NAME=VALUE with an upper-case Scrapy setting name, got {pair!r}", param_hint="'-s' / '--set'"
        )
    return name, value


def emit(output: str | None, data: str | bytes) -> None:
    """Write ``data`` to the file ``output`` (saying so on stderr), or to stdout when it is None or '-'."""
    from pathlib import Path

    if output is None or output == "-":
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            click.echo(data, nl=False)
        return
    path = Path(output)
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output}", err=True)


def setting_overrides(pairs: tuple[str, ...]) -> dict[str, str]:
    """``-s NAME=VALUE`` pairs, each checked against the type of its default (a usage error
    naming ``-s`` otherwise: Scrapy would fail later, in Twisted, with a traceback)."""
    from spiders.runner import override_problem

    out = dict(parse_setting(p) for p in pairs)
    for name, value in out.items():
        if problem := override_problem(name, value):
            raise click.BadParameter(problem, param_hint="'-s' / '--set'")
    return out


def tracked_article(session: Session, url: str) -> Article:
    """The tracked article at this URL, or one clear line saying it is not tracked."""
    from storage import queries

    article = queries.find_article(session, url)
    if article is None:
        raise click.ClickException(f"not tracked: {url}")
    return article
