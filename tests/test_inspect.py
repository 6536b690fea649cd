"""`redline inspect`: what a crawl would store from a page, what it pruned and why; overrides tried, then kept."""

from __future__ import annotations

import json
from pathlib import Path

from storage import queries
from storage.db import session_scope
from tests.articles import TRUCE_V1, article_page, script_built_page
from tests.conftest import Redline
from tests.localsite import LocalSite
from tests.test_overrides import PROMO

TEASERS = (
    '<ul class="related"><li><h3><a href="/2026/11/19/aid-convoy">Aid convoy reaches the north</a></h3>'
    "<p>Trucks crossed at dawn.</p></li></ul>"
)


def _page() -> str:
    paragraphs = TRUCE_V1.paragraphs
    html = article_page(TRUCE_V1.title, paragraphs, byline="Mara Lindqvist")
    return html.replace(f"<p>{paragraphs[2]}</p>", f"<p>{paragraphs[2]}</p>\n{PROMO}\n{TEASERS}")


def _reasons(found: dict[str, object]) -> dict[str, str]:
    return {item["text"]: item["reason"] for item in found["pruned"]}  # type: ignore[attr-defined]


def test_inspect_a_saved_page_shows_what_would_be_stored_and_why_blocks_went(redline: Redline, tmp_path: Path) -> None:
    saved = tmp_path / "story.html"
    saved.write_text(_page())
    found = json.loads(redline("inspect", str(saved), "--format", "json").stdout)
    assert found["headlines"]["og:title"] == TRUCE_V1.title
    assert found["byline"] == "Mara Lindqvist"
    assert found["published_at"] == "2026-11-20T08:00:00Z" and found["modified_at"] == "2026-11-20T10:00:00Z"
    assert found["paragraphs"][0] == TRUCE_V1.paragraphs[0]
    reasons = _reasons(found)
    assert reasons["Aid convoy reaches the north Trucks crossed at dawn."] == "teaser list"
    assert reasons["Council votes on ferry fares"] == "link block"
    assert reasons["© 2026 The Harbour Courier. All rights reserved."].startswith("boilerplate")
    # Without an override the promo is in the body; with one it is pruned, with its reason.
    assert any("morning briefing" in p for p in found["paragraphs"])
    tried = json.loads(redline("inspect", str(saved), "--remove", ".promo", "--format", "json").stdout)
    assert not any("morning briefing" in p for p in tried["paragraphs"])
    assert any(r == "removed by override '.promo'" and "morning briefing" in t for t, r in _reasons(tried).items())
    assert 'overrides = {remove = [".promo"]}' in tried["toml"]
    text = redline("inspect", str(saved), "--remove", ".promo").stdout
    assert "To make this override permanent, in redline.toml:" in text and "[[sources]]" in text


def test_the_printed_snippet_makes_the_override_permanent(site: LocalSite, redline: Redline, tmp_path: Path) -> None:
    url = site.put("/2026/11/20/truce-talks-stall", _page())
    site.put(
        "/",
        '<html><body><main><a href="/2026/11/20/truce-talks-stall">Truce talks stall in Doha</a></main></body></html>',
    )
    found = json.loads(redline("inspect", url, "--remove", ".promo", "--format", "json").stdout)
    assert found["url"] == url and site.hits[url.removeprefix(site.base)] == 1
    config = tmp_path / "redline.toml"
    config.write_text(found["toml"])
    assert f'url = "{site.url("/")}"' in found["toml"]
    redline("run", "--once", "--metrics-port", "0", "--config", str(config))
    with session_scope(redline.db_url) as session:
        article = queries.find_article(session, url)
        assert article is not None
        stored = queries.versions_of(session, article.id)[-1].text
    # The same extraction as the crawl: inspect's paragraphs are the stored text, line by line.
    assert stored.split("\n") == found["paragraphs"]
    # Once the override is the source's, a plain inspect applies it too.
    again = json.loads(redline("inspect", url, "--format", "json").stdout)
    assert again["overrides"] == {"remove": [".promo"]} and again["paragraphs"] == found["paragraphs"]


def test_inspect_fetches_through_the_crawls_safety_rules(site: LocalSite, redline: Redline, tmp_path: Path) -> None:
    site.put("/private/story", _page())
    proc = redline("inspect", site.url("/private/story"), check=False)
    assert proc.returncode == 1 and "forbidden by robots.txt" in proc.stderr
    assert site.hits.get("/private/story", 0) == 0
    missing = redline("inspect", str(tmp_path / "nope.html"), check=False)
    assert missing.returncode == 1 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    bad = redline("inspect", str(tmp_path / "nope.html"), "--remove", "div[", check=False)
    assert bad.returncode == 2 and "bad selector" in bad.stderr


def test_inspect_says_when_a_page_is_built_by_script(redline: Redline, tmp_path: Path) -> None:
    saved = tmp_path / "shell.html"
    saved.write_text(script_built_page("Harbour bridge reopens after repairs"))
    out = redline("inspect", str(saved)).stdout
    assert "empty_extraction" in out and "renders with JavaScript: try `--render browser`" in out
