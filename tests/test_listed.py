"""A headline changed only in the feed leaves a trace; a feed catching up with the page does not."""

from __future__ import annotations

from pipeline.listed import listed_headline_change
from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

FAST = ("-s", "RETRY_TIMES=1", "-s", "AUTOTHROTTLE_ENABLED=False")


def _feed(base: str, headline: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Courier</title>'
        f"<link>{base}/</link><item><title>{headline}</title><link>{base}/world/truce-talks</link>"
        "<pubDate>Tue, 24 Nov 2026 07:00:00 +0000</pubDate></item></channel></rss>"
    )


def test_a_headline_rewritten_in_the_feed_alone_is_recorded(site: LocalSite, redline: Redline) -> None:
    feed = site.put("/rss.xml", _feed(site.base, TRUCE_V1.title), headers={"Content-Type": "application/rss+xml"})
    site.put("/world/truce-talks", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs))
    redline("sources", "add", feed, "--kind", "feed")
    redline("discover", *FAST)
    redline("crawl", "--all", *FAST)
    rewritten = "Truce talks collapse as mediators leave Cairo"
    site.put("/rss.xml", _feed(site.base, rewritten), headers={"Content-Type": "application/rss+xml"})
    redline("discover", *FAST)
    changes = redline.json("changes")
    assert [(c["kind"], c["old"], c["new"], c["details"]["surfaces"]) for c in changes] == [
        ("headline", TRUCE_V1.title, rewritten, ["listed"])
    ]
    # The page follows; the feed had it first, so the page's edit is its own record.
    site.put("/world/truce-talks", article_page(rewritten, TRUCE_V1.paragraphs))
    redline("crawl", "--all", *FAST)
    assert [c["kind"] for c in redline.json("changes")] == ["headline", "headline"]


def test_a_feed_that_lags_the_page_is_metadata() -> None:
    page = ("Truce talks collapse", "Truce talks collapse | Courier")
    lag = listed_headline_change("Truce talks stall", "Truce talks collapse", page, "feed")
    assert lag is not None and lag.kind == "metadata" and "lag" in lag.details["reason"]
    alone = listed_headline_change("Truce talks stall", "Truce talks resume", page, "feed")
    assert alone is not None and alone.kind == "headline"
    assert listed_headline_change("Truce talks stall", "Truce talks  stall", page, "feed") is None
    assert listed_headline_change(None, "Truce talks stall", page, "feed") is None
    # An A/B test seen in the feed: a wording an earlier version carried is not news.
    ab = listed_headline_change(
        "Rovers stun leaders", "Late winner for Rovers", ("Rovers stun leaders", "Late winner for Rovers"), "feed"
    )
    assert ab is not None and ab.kind == "metadata"
