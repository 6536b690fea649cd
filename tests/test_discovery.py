"""Discovery: parsers on small documents, canonical URLs, and `redline discover` against a local site."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest

from spiders.discovery import parse_feed, parse_front, parse_sitemap
from spiders.urls import canonical_url
from storage.db import open_database
from tests.conftest import Redline
from tests.localsite import LocalSite

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
BASE = "https://courier.example/"


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


CANONICAL = [
    (
        "HTTPS://Courier.Example:443/world/a-story?utm_source=x&b=2&a=1#top",
        "https://courier.example/world/a-story?a=1&b=2",
    ),
    ("https://courier.example/world/a-story/amp", "https://courier.example/world/a-story"),
    ("https://courier.example/world/a-story/amp/", "https://courier.example/world/a-story/"),
    ("https://amp.courier.example/world/a-story", "https://courier.example/world/a-story"),
    ("https://courier.example/world/a-story.amp.html", "https://courier.example/world/a-story.html"),
    ("https://courier.example/a?amp=1&id=7", "https://courier.example/a?id=7"),
    ("https://courier.example/a?outputType=amp", "https://courier.example/a"),
    (
        "https://courier.example/a?fbclid=X&gclid=Y&mc_cid=1&ocid=2&smid=3&at_medium=4&ref=tw",
        "https://courier.example/a",
    ),
    ("http://courier.example:80/a", "http://courier.example/a"),
    ("http://127.0.0.1:8080/world/a", "http://127.0.0.1:8080/world/a"),
    ("https://courier.example/ampersand-story", "https://courier.example/ampersand-story"),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_rss_feed() -> None:
    links = parse_feed(_read("rss.xml"), BASE)
    assert [(canonical_url(link.url), link.headline) for link in links] == [
        ("https://courier.example/local/ferry-fares-vote", "Ferry fares vote delayed again"),
        ("https://courier.example/weather/storm-closes-road", "Storm closes the coastal road"),
    ]
    assert links[0].published_at == dt.datetime(2026, 11, 24, 7, 0)
    assert links[1].published_at == dt.datetime(2026, 11, 24, 5, 30)


def test_atom_feed_resolves_relative_links_and_takes_the_alternate() -> None:
    links = parse_feed(_read("atom.xml"), BASE)
    assert [link.url for link in links] == [
        "https://courier.example/world/truce-talks-stall",
        "https://courier.example/world/envoy-arrives-cairo#top",
    ]
    assert links[0].published_at == dt.datetime(2026, 11, 24, 5, 10)  # +01:00 → UTC


def test_sitemap_index_and_google_news_sitemap_gzipped() -> None:
    links, children = parse_sitemap(_read("sitemap-index.xml"), BASE)
    assert links == [] and children == [
        "https://courier.example/sitemap-news.xml.gz",
        "https://courier.example/sitemap-2026-11.xml",
    ]
    links, children = parse_sitemap(gzip.compress(_read("sitemap-news.xml")), BASE)
    assert children == []
    assert [(link.url.rsplit("/", 1)[1], link.headline) for link in links] == [
        ("chipmaker-warning", "Shares slip after chipmaker warning"),
        ("waiting-lists-record", None),
    ]
    assert links[0].published_at == dt.datetime(2026, 11, 24, 8, 15)
    assert links[1].published_at == dt.datetime(2026, 11, 24, 7, 40)  # lastmod when there is no news date


def test_front_page_keeps_article_links_and_their_headlines() -> None:
    links = parse_front(_read("front.html"), BASE)
    assert {link.url: link.headline for link in links} == {
        "https://courier.example/world/truce-talks-stall": "Truce talks stall as Hamas rejects week-long pause",
        "https://courier.example/business/chipmaker-warning": "Shares slip after chipmaker cuts its forecast",
        "https://courier.example/2026/11/24/rail-strike": "Rail strike called off after talks",
    }


def test_front_page_patterns_override_the_heuristics() -> None:
    only_world = parse_front(_read("front.html"), BASE, allow=[r"/world/"])
    assert [link.url for link in only_world] == ["https://courier.example/world/truce-talks-stall"]
    no_business = parse_front(_read("front.html"), BASE, deny=[r"/business/"])
    assert "https://courier.example/business/chipmaker-warning" not in {link.url for link in no_business}


def test_a_broken_feed_is_an_error_not_an_exception() -> None:
    with pytest.raises(ValueError):
        parse_feed(b"", BASE)


def test_discover_tracks_listed_articles_and_records_source_health(site: LocalSite, redline: Redline) -> None:
    feed = (FIXTURES / "rss.xml").read_text().replace("https://courier.example", site.base)
    feed_url = site.put("/rss.xml", feed, headers={"Content-Type": "application/rss+xml"})
    broken_url = site.put("/broken.xml", "<h1>oops</h1>", status=500)
    redline("sources", "add", feed_url, "--kind", "feed", "--name", "courier", "--every", "5m")
    redline("sources", "add", broken_url, "--kind", "feed", "--deny", "ignored")
    out = redline("discover", "-s", "RETRY_TIMES=0").stdout
    assert "2 new article(s), 1 error(s)" in out

    sources = {s["name"] or s["url"]: s for s in redline.json("sources", "list")}
    assert sources["courier"]["articles"] == 2 and sources["courier"]["errors"] == 0
    assert sources["courier"]["every_seconds"] == 300 and sources["courier"]["last_run_at"]
    assert sources[broken_url]["errors"] == 1 and "500" in sources[broken_url]["last_error"]

    # Tracked under their canonical URLs (no utm_ parameters), with the listed headline.
    history = redline.json("history", f"{site.base}/local/ferry-fares-vote")
    assert history["versions"] == []
    assert history["listed"] == {"headline": "Ferry fares vote delayed again", "published_at": "2026-11-24T07:00:00Z"}
    # Listed again: nothing new, no duplicates.
    assert "0 new article(s)" in redline("discover", "--source", "courier").stdout
    redline("sources", "remove", "courier")
    assert [s["url"] for s in redline.json("sources", "list")] == [broken_url]


def test_sources_add_refuses_bad_input(redline: Redline) -> None:
    open_database(redline.db_url)  # an empty database: `sources list` reads, it does not create one
    bad = redline("sources", "add", "file:///etc/passwd", "--kind", "feed", check=False)
    assert bad.returncode != 0 and "scheme" in bad.stderr
    bad = redline("sources", "add", "https://courier.example/rss", "--kind", "feed", "--every", "soon", check=False)
    assert bad.returncode != 0 and "duration" in bad.stderr
    bad = redline("sources", "add", "https://courier.example/", "--kind", "front", "--deny", "(", check=False)
    assert bad.returncode != 0 and "regular expression" in bad.stderr
    assert redline.json("sources", "list") == []
