"""Acceptance of the core loop: track → crawl → crawl → changes, through the real CLI."""

from __future__ import annotations

from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

CONTRACT_FIELDS = {
    "id",
    "article_url",
    "canonical_url",
    "from_version",
    "to_version",
    "detected_at",
    "kind",
    "old",
    "new",
    "old_value",
    "new_value",
    "context",
    "severity",
}


def _truce_v2() -> str:
    paragraphs = list(TRUCE_V1.paragraphs)
    paragraphs[3] = paragraphs[3].replace("more than 20,000", "20,057")
    return article_page(
        "Truce talks falter as Gaza death toll passes 20,000",
        paragraphs,
        byline=TRUCE_V1.byline,
        nav_counter=17,  # the inbox counter in the navigation moved
        most_read=["Markets slip", "Council votes on ferry fares", "Storm closes coastal road", "Tides"],
    )


def test_figure_and_headline_revision_reported_and_furniture_ignored(site: LocalSite, redline: Redline) -> None:
    url = site.put("/world/truce-talks", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs, byline="Mara Lindqvist"))
    other = site.put(
        "/local/ferry",
        article_page(
            "Ferry fares to rise",
            ["The council approved a rise of 4% in ferry fares for next spring, citing fuel costs."] * 3,
        ),
    )
    redline("track", url, other)
    first = redline("crawl", "--all")
    assert "checked 2 of 2" in first.stdout

    site.put("/world/truce-talks", _truce_v2())
    redline("crawl", "--all")

    history = redline.json("history", url)
    assert history["url"] == url
    assert [v["version"] for v in history["versions"]] == [1, 2]
    assert set(history["versions"][0]) >= {
        "version",
        "fetched_at",
        "title",
        "text",
        "byline",
        "published_at",
        "modified_at",
        "content_hash",
    }
    assert history["versions"][1]["title"] == "Truce talks falter as Gaza death toll passes 20,000"

    changes = redline.json("changes")
    assert all(set(c) >= CONTRACT_FIELDS for c in changes)
    assert {c["article_url"] for c in changes} == {url}, "the unchanged article must report nothing"
    by_kind = {c["kind"]: c for c in changes}
    assert sorted(by_kind) == ["headline", "number"], changes
    number = by_kind["number"]
    assert (number["old_value"], number["new_value"]) == (20000.0, 20057.0)
    assert number["new"] == "20,057" and "20,000" in number["old"]
    assert number["context"] == "people killed"
    assert (number["from_version"], number["to_version"]) == (1, 2)
    headline = by_kind["headline"]
    assert headline["old"] == TRUCE_V1.title
    assert headline["new"] == "Truce talks falter as Gaza death toll passes 20,000"
    assert headline["severity"] == "high"


def test_unchanged_recheck_is_conditional_and_stores_nothing(site: LocalSite, redline: Redline) -> None:
    url = site.put("/a", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs))
    redline("track", url)
    redline("crawl", "--all")
    out = redline("crawl", "--all")
    assert "1 not_modified" in out.stdout  # the ETag came back and the server answered 304
    site.put("/a", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs, nav_counter=99))
    out = redline("crawl", "--all")
    assert "1 unchanged" in out.stdout  # new bytes, same article: no version
    assert len(redline.json("history", url)["versions"]) == 1
    assert redline.json("changes") == []


def test_diff_formats(site: LocalSite, redline: Redline) -> None:
    url = site.put("/a", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs))
    redline("track", url)
    redline("crawl", "--all")
    site.put("/a", _truce_v2())
    redline("crawl", "--all")
    segments = redline.json("diff", url)["segments"]
    deleted = [s["text"] for s in segments if s["op"] == "delete"]
    inserted = [s["text"] for s in segments if s["op"] == "insert"]
    assert any("20,000" in d for d in deleted) and "20,057" in inserted
    html = redline("diff", url, "--from", "1", "--to", "2", "--format", "html").stdout
    assert "<ins>20,057</ins>" in html and "<script" not in html
    text = redline("diff", url).stdout
    assert "20,057" in text


def test_invalid_urls_refused_valid_ones_tracked(site: LocalSite, redline: Redline) -> None:
    good = site.url("/fine")
    proc = redline("track", "ftp://example.org/x", good, "not a url", "http://", check=False)
    assert proc.returncode == 1
    assert "refused ftp://example.org/x: scheme must be http or https" in proc.stderr
    assert "refused not a url" in proc.stderr
    assert "refused http://: no host name" in proc.stderr
    assert f"tracking {good}" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_unknown_article_is_one_clear_line(redline: Redline) -> None:
    redline("track", "http://127.0.0.1:1/other")  # the database exists; the article does not
    proc = redline("history", "http://127.0.0.1:1/nope", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Error: not tracked: http://127.0.0.1:1/nope"
