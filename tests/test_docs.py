"""Every `redline …` command the README and docs/*.md show works as written (after sqlite-utils' test_docs).

Each command, from a code block or an inline code span, is parsed by the real
click command tree: a usage error (exit 2) fails here. Commands that need
only the database then run for real, in the test process, against one
newsroom database built once (tests/reviewdata.py, plus a third version of
the truce story), and must exit 0 without a traceback. Commands that would
fetch from the internet or never return (`NETWORK` below) are parsed only.
A block fenced as ```` ```text ```` is output pasted as printed, not commands.

The database also tracks the README's example article (the truce story
stored under https://example.org/news/truce-talks, three versions).
Placeholders are filled the way a reader would: ``URL`` becomes that article,
``--config FILE`` and /etc/redline/redline.toml a valid redline.toml
(deploy.md's own), any other FILE a new file, alerts.toml a valid rules file,
and any other database URL the test database. A bare command name in prose
(`redline history`) is a reference: it must name a command, and may leave out
the arguments that command requires.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from review.cli import cli
from storage.models import utcnow
from tests.articles import TRUCE_V1, article_page
from tests.conftest import ROOT
from tests.reviewdata import TRUCE_V2_TITLE, _store, fill, truce_v2_paragraphs

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Parsed, not run: they fetch from the network (no internet in tests) or run until stopped.
NETWORK = {
    ("crawl",): "fetches the articles",
    ("run",): "the daemon: runs until stopped",
    ("serve",): "serves until stopped",
    ("worker",): "a crawl worker: runs until stopped",
    ("discover",): "reads the sources over the network",
    ("demo",): "plays the whole demo (tests/test_demo.py does)",
    ("alerts", "run"): "sends to the documented webhooks and mailboxes",
    ("sources", "add"): "resolves the source's host name",
    ("track",): "resolves the article's host name",
    ("inspect",): "fetches the page",
}

RULES = """[[rule]]
name = "death tolls"
kinds = ["number"]
targets = ["https://hooks.example.org/redline"]
"""


EXAMPLE_URL = "https://example.org/news/truce-talks"


@dataclass(frozen=True)
class Shown:
    where: str  # file:line
    text: str  # the command as written
    inline: bool = False  # from a code span in prose, not a code block

    @property
    def reference(self) -> bool:
        """Only command names (`redline alerts run`): prose naming a command, not a command line."""
        words = self.text.split()[1:]
        return self.inline and bool(words) and all(re.fullmatch(r"[a-z][a-z-]*", w) for w in words)

    def __str__(self) -> str:
        return f"{self.where}: {self.text}"


_COMMAND = re.compile(r"^\s*(?:\$ )?(?:\S*/)?redline(?:\s+(?P<rest>.*))?$")


def _is_command(line: str) -> str | None:
    """The command on a line, if it is one: `redline` then an option or a subcommand name."""
    match = _COMMAND.match(line)
    if not match or not match.group("rest"):
        return None
    first = match.group("rest").split()[0]
    if not (first.startswith("-") or first in cli.list_commands(click.Context(cli))):  # commands load lazily
        return None  # prose such as "redline demo: The Harbour Courier…"
    return line.strip().removeprefix("$ ")


def shown_commands() -> list[Shown]:
    found: list[Shown] = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        name = doc.relative_to(ROOT)
        blocks = list(re.finditer(r"^```([^\n]*)\n(.*?)^```", text, re.MULTILINE | re.DOTALL))
        for block in blocks:
            if block.group(1).strip() == "text":
                continue  # a program's output pasted as printed ("redline crawl  5223 pages ..."), not commands
            start = text.count("\n", 0, block.start(2)) + 1
            lines = block.group(2).split("\n")
            i = 0
            while i < len(lines):
                line, at = lines[i], start + i
                while line.rstrip().endswith("\\") and i + 1 < len(lines):  # a continued shell line
                    i += 1
                    line = line.rstrip()[:-1] + " " + lines[i].strip()
                if (command := _is_command(line.split("=", 1)[-1] if "ExecStart=" in line else line)) is not None:
                    found.append(Shown(f"{name}:{at}", command))
                i += 1
        prose = re.sub(r"^```.*?^```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.M | re.S)
        for span in re.finditer(r"`([^`\n]*(?:\n[^`\n]*)?)`", prose):
            command = _is_command(" ".join(span.group(1).split()))
            if command is not None:
                found.append(Shown(f"{name}:{prose.count(chr(10), 0, span.start()) + 1}", command, inline=True))
    return found


SHOWN = shown_commands()


@pytest.fixture(scope="session")
def docs_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The review newsroom, and the truce story at the README's example URL in three versions."""
    directory = tmp_path_factory.mktemp("docs")
    room = fill(f"sqlite:///{directory / 'docs.db'}")
    third = [p.replace("20,057", "20,258") for p in truce_v2_paragraphs()]
    for title, paragraphs in (
        (TRUCE_V1.title, TRUCE_V1.paragraphs),
        (TRUCE_V2_TITLE, truce_v2_paragraphs()),
        (TRUCE_V2_TITLE, third),
    ):
        _store(room.db_url, EXAMPLE_URL, article_page(title, paragraphs), utcnow())
    return room.db_url


def argv(command: str, db_url: str, cwd: Path) -> list[str]:
    """The command's arguments as a shell would pass them, placeholders filled in."""
    config = cwd / "redline.toml"
    words = shlex.split(command, comments=True)
    words = words[: words.index("|")] if "|" in words else words
    out: list[str] = []
    skip = False
    for previous, word in itertools.pairwise(words):
        if skip:
            skip = False
            continue
        if word in (">", ">>", "2>"):
            skip = True  # the shell's redirection, not an argument
            continue
        if word == "URL":
            word = EXAMPLE_URL
        elif word == "/etc/redline/redline.toml" or (word == "FILE" and previous == "--config"):
            word = str(config)
        elif word == "FILE":
            word = str(cwd / "new-file")
        elif word == "N":
            word = "60"
        elif re.fullmatch(r"(sqlite|postgresql)(\+\w+)?://\S+", word):
            word = db_url
        elif word.startswith("/var/log/"):
            word = str(cwd / Path(word).name)
        elif "|" in word and not word.startswith(("-", "/")):
            word = word.split("|")[0]  # one of the alternatives written as a|b|c
        out.append(word)
    if "--db" not in out:
        out = ["--db", db_url, *out]
    return out


def command_path(args: list[str]) -> tuple[str, ...]:
    """The subcommand names in an argv (`alerts run`), after the group's own options."""
    ctx = cli.make_context("redline", list(args), resilient_parsing=True)
    rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
    names: list[str] = []
    group: click.Command = cli
    while isinstance(group, click.Group) and rest and (sub := group.get_command(ctx, rest[0])) is not None:
        names.append(rest[0])
        group = sub
        rest = rest[1:]
    return tuple(names)


def parse(args: list[str]) -> None:
    """Parse the argv through every level of the command tree, converting and checking every value."""
    ctx = cli.make_context("redline", list(args))
    command: click.Command = cli
    while isinstance(command, click.Group):
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None and name is not None
        ctx = sub.make_context(name, rest, parent=ctx)
        command = sub


def test_docs_show_commands() -> None:
    assert len(SHOWN) > 40
    where = {s.where.split(":")[0] for s in SHOWN}
    assert {"README.md", "docs/deploy.md", "docs/review.md", "docs/scaling.md"} <= where


@pytest.mark.parametrize("shown", SHOWN, ids=str)
def test_documented_command_works(shown: Shown, docs_db: str, tmp_path: Path) -> None:
    (tmp_path / "redline.toml").write_text(_deploy_toml(), encoding="utf-8")
    (tmp_path / "alerts.toml").write_text(RULES, encoding="utf-8")
    args = argv(shown.text, docs_db, tmp_path)
    path = command_path(args)
    assert path or {"--help", "-h", "--version"} & set(args), f"{shown}: names no command"
    with contextlib.chdir(tmp_path):
        if shown.reference:
            assert len(path) == len(shown.text.split()) - 1, f"{shown}: names no command"
        try:
            parse(args)
        except click.exceptions.Exit:
            pass  # --help, --version
        except click.MissingParameter:
            if not shown.reference:
                raise
            return  # `redline history` in prose: the command, without the URL it takes
        except click.UsageError as exc:
            pytest.fail(f"{shown}: usage error (exit 2): {exc.format_message()}")
        needs_network = any(path[: len(k)] == k for k in NETWORK)
        if needs_network or ("png" in args and not shutil.which("chromium")):
            return
        result = CliRunner().invoke(cli, args, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{shown}: traceback\n{result.output}") from result.exception
    assert result.exit_code == 0, f"{shown}: exit {result.exit_code}\n{result.output}"


def _deploy_toml() -> str:
    """docs/deploy.md's redline.toml, as a reader would copy it."""
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    block = re.search(r"^## Configure.*?^```toml\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert block, "docs/deploy.md has no redline.toml example"
    return block.group(1)
