"""Extraction overrides from redline.toml and `sources add --body/--remove`, end to end through a crawl."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.overrides import OverrideTable, overrides_problem
from storage import queries
from storage.db import session_scope
from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

PROMO = (
    '<div class="promo"><p>Get the Harbour Courier morning briefing in your inbox every weekday before seven, '
    "with the stories that matter to the coast.</p></div>"
)


def _promo_page() -> str:
    paragraphs = TRUCE_V1.paragraphs
    html = article_page(TRUCE_V1.title, paragraphs)
    return html.replace(f"<p>{paragraphs[2]}</p>", f"<p>{paragraphs[2]}</p>\n{PROMO}")


def _outlet(site: LocalSite) -> str:
    url = site.put("/2026/11/20/truce-talks-stall", _promo_page())
    site.put(
        "/",
        '<html><body><main><a href="/2026/11/20/truce-talks-stall">Truce talks stall in Doha</a></main></body></html>',
    )
    return url


def _stored_text(db_url: str, url: str) -> str:
    with session_scope(db_url) as session:
        article = queries.find_article(session, url)
        assert article is not None
        return queries.versions_of(session, article.id)[-1].text


def test_config_overrides_remove_the_promo_from_stored_versions(
    site: LocalSite, redline: Redline, tmp_path: Path
) -> None:
    url = _outlet(site)
    config = tmp_path / "redline.toml"
    config.write_text(f'[[sources]]\nurl = "{site.url("/")}"\nkind = "front"\noverrides = {{remove = [".promo"]}}\n')
    redline("run", "--once", "--metrics-port", "0", "--config", str(config))
    text = _stored_text(redline.db_url, url)
    assert "Negotiators in Doha" in text
    assert "morning briefing" not in text


def test_sources_add_body_and_remove_reach_the_crawl(site: LocalSite, redline: Redline) -> None:
    url = _outlet(site)
    out = redline(
        "sources",
        "add",
        site.url("/"),
        "--kind",
        "front",
        "--body",
        "main article",
        "--remove",
        ".promo",
        "--remove",
        ".byline",
    ).stdout
    assert '"remove": [".promo", ".byline"]' in out
    [source] = redline.json("sources", "list")
    assert source["overrides"] == {"body": "main article", "remove": [".promo", ".byline"]}
    redline("discover")
    redline("crawl", "--all")
    text = _stored_text(redline.db_url, url)
    assert "Negotiators in Doha" in text and "morning briefing" not in text
    # An article of the same host tracked by hand gets the source's overrides too.
    other = site.put("/2026/11/21/truce-talks-resume", _promo_page().replace("stall", "resume"))
    redline("track", other)
    redline("crawl")
    assert "morning briefing" not in _stored_text(redline.db_url, other)


def test_without_an_override_the_promo_is_stored(site: LocalSite, redline: Redline) -> None:
    url = _outlet(site)
    redline("sources", "add", site.url("/"), "--kind", "front")
    redline("discover")
    redline("crawl", "--all")
    assert "morning briefing" in _stored_text(redline.db_url, url)


def test_bad_overrides_are_refused_in_one_line(redline: Redline, tmp_path: Path) -> None:
    bad = redline("sources", "add", "http://127.0.0.1:9/", "--kind", "front", "--remove", "div[", check=False)
    assert bad.returncode == 2 and "bad selector 'div['" in bad.stdout + bad.stderr
    config = tmp_path / "redline.toml"
    config.write_text('[[sources]]\nurl = "http://127.0.0.1:9/"\nkind = "front"\noverrides = {bdy = "main"}\n')
    proc = redline("sources", "list", "--config", str(config), check=False)
    assert (
        proc.returncode == 1 and "redline.toml:4: sources[1].overrides: unknown key 'bdy'" in proc.stdout + proc.stderr
    )


@pytest.mark.parametrize(
    ("url", "source_id", "expected"),
    [
        ("https://news.example.org/a", 1, {"body": "from setting"}),  # the -s setting wins, by host
        ("https://www.example.com/a", 2, {"remove": [".own"]}),  # the article's own source
        ("https://www.example.com/b", None, {"remove": [".own"]}),  # a source on its host
        ("https://other.example.net/c", None, None),
    ],
)
def test_which_override_applies(url: str, source_id: int | None, expected: dict[str, object] | None) -> None:
    table = OverrideTable.build(
        [
            (1, "https://news.example.org/", {"body": "from source"}),
            (2, "https://www.example.com/", {"remove": [".own"]}),
        ],
        {"example.org": {"body": "from setting"}},
    )
    assert table.lookup(url, source_id) == expected
    assert overrides_problem({"remove": ".promo", "body": "//article"}) is None
