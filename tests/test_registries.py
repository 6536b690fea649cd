"""What users extend is a registry: one decorated function adds a source kind or a notifier,
and the CLI, redline.toml and the docs follow from it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import scrapy
from scrapy.http import TextResponse

from config import ConfigError, load_config
from pipeline.items import DiscoveredLinks, Link
from review import notifiers
from review.cli.sources import add as sources_add
from spiders.discovery import DiscoverySpider
from spiders.source_kinds import SOURCE_KINDS, Listing, source_kind

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("kind", sorted(SOURCE_KINDS))
def test_every_source_kind_has_its_docs_row(kind: str) -> None:
    rows = [line for line in (DOCS / "sources.md").read_text().splitlines() if line.startswith(f"| `{kind}` |")]
    assert len(rows) == 1, f"docs/sources.md has no row for {kind}"


@pytest.mark.parametrize("kind", sorted(notifiers.NOTIFIERS))
def test_every_notifier_has_its_docs_row(kind: str) -> None:
    rows = [line for line in (DOCS / "review.md").read_text().splitlines() if line.startswith(f"| `{kind}` |")]
    assert len(rows) == 1, f"docs/review.md has no row for {kind}"


def test_the_cli_offers_the_registered_kinds_with_their_help() -> None:
    kind = next(p for p in sources_add.params if p.name == "kind")
    # Every registered kind, then auto: the outlet search that picks one (spiders/outlet.py).
    assert list(kind.type.choices) == [*SOURCE_KINDS, "auto"]  # type: ignore[attr-defined]
    assert all(k.help[1:].rstrip(".") in (kind.help or "") for k in SOURCE_KINDS.values())


@pytest.fixture
def lines_kind() -> Iterator[str]:
    @source_kind("lines")
    def read_lines(body: bytes, url: str, allow: Sequence[str], deny: Sequence[str]) -> Listing:
        """A text file with one article URL a line."""
        return Listing([Link(line.strip()) for line in body.decode().splitlines() if line.strip()])

    yield "lines"
    del SOURCE_KINDS["lines"]


def test_a_decorated_parser_is_a_kind_for_config_and_discovery(tmp_path: Path, lines_kind: str) -> None:
    path = tmp_path / "redline.toml"
    path.write_text(f'[[sources]]\nurl = "https://courier.example/list.txt"\nkind = "{lines_kind}"\n')
    assert [s.kind for s in load_config(path).sources] == [lines_kind]

    request = scrapy.Request(
        "https://courier.example/list.txt",
        meta={"source_id": 7, "kind": lines_kind, "allow": [], "deny": [], "depth": 0},
    )
    body = b"https://courier.example/world/a-story\nhttps://courier.example/local/another-story\n"
    response = TextResponse(request.url, body=body, encoding="utf-8", request=request)
    (item,) = DiscoverySpider().parse(response)
    assert isinstance(item, DiscoveredLinks) and item.error is None
    assert [link.url for link in item.links] == [
        "https://courier.example/world/a-story",
        "https://courier.example/local/another-story",
    ]


def test_an_unregistered_kind_is_refused_by_config(tmp_path: Path) -> None:
    path = tmp_path / "redline.toml"
    path.write_text('[[sources]]\nurl = "https://courier.example/list.txt"\nkind = "lines"\n')
    with pytest.raises(ConfigError, match="expected one of feed, sitemap, front, auto, got 'lines'"):
        load_config(path)


@pytest.fixture
def pigeon() -> Iterator[list[str]]:
    sent: list[str] = []

    def no_coop(target: str) -> str | None:
        return None if target.removeprefix("pigeon://") else "a pigeon needs a coop"

    @notifiers.notifier("pigeon", schemes=("pigeon",), check=no_coop)
    def send_pigeon(target: str, message: notifiers.Message) -> None:
        """Tie the title to a pigeon's leg."""
        sent.append(f"{target}: {message.title}")

    yield sent
    del notifiers.NOTIFIERS["pigeon"]


def test_a_decorated_sender_is_a_notifier_for_its_scheme(pigeon: list[str]) -> None:
    assert notifiers.kind_of("pigeon://coop-7") == "pigeon"
    assert notifiers.kind_of("https://hooks.example/x") == "webhook"
    assert notifiers.kind_of("ntfy://alerts") == "apprise"
    assert notifiers.target_problem("pigeon://") == "a pigeon needs a coop"
    assert notifiers.target_problem("pigeon://coop-7") is None
    notifiers.deliver("pigeon://coop-7", notifiers.Message("r", "immediate", "toll revised", "", []))
    assert pigeon == ["pigeon://coop-7: toll revised"]
