"""Articles that come back: a gone article is looked at again on a slow ladder, and a republished one is recorded."""

from __future__ import annotations

import datetime as dt

from storage import queries
from storage.db import session_scope
from storage.models import Article, utcnow
from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

PATH = "/2026/11/20/truce-talks-stall"


def _article(db_url: str, url: str) -> Article:
    with session_scope(db_url) as session:
        article = queries.find_article(session, url)
        assert article is not None
        session.expunge(article)
        return article


def _time_passes(db_url: str, url: str) -> None:
    """The recheck the ladder planned has come: the time it went moves back as far, and it is due now."""
    with session_scope(db_url) as session:
        article = queries.find_article(session, url)
        assert article is not None and article.gone_at is not None and article.next_check_at is not None
        article.gone_at -= article.next_check_at - utcnow()
        article.next_check_at = utcnow() - dt.timedelta(seconds=1)


def test_a_story_pulled_then_republished_with_a_softer_headline(site: LocalSite, redline: Redline) -> None:
    url = site.put(PATH, article_page(TRUCE_V1.title, TRUCE_V1.paragraphs))
    redline("track", url)
    redline("crawl")
    site.put(PATH, "<html><body><h1>Page not found</h1></body></html>", status=404)
    redline("crawl", "--all")
    gone = _article(redline.db_url, url)
    assert gone.status == "gone" and gone.gone_at is not None and gone.next_check_at is not None
    assert abs((gone.next_check_at - gone.gone_at) - dt.timedelta(hours=1)) < dt.timedelta(seconds=5)
    assert "nothing due" in redline("crawl").stdout  # not before the hour is up

    _time_passes(redline.db_url, url)
    assert "1 gone" in redline("crawl").stdout  # still gone: the next look is 6 h after it went
    still = _article(redline.db_url, url)
    assert still.gone_at is not None and still.next_check_at is not None
    assert abs((still.next_check_at - still.gone_at) - dt.timedelta(hours=6)) < dt.timedelta(seconds=5)

    softer = "Truce talks pause as reported Gaza death toll nears 20,000"
    site.put(PATH, article_page(softer, [p.replace("more than 20,000", "nearly 20,000") for p in TRUCE_V1.paragraphs]))
    _time_passes(redline.db_url, url)
    assert "1 new_version" in redline("crawl").stdout
    back = _article(redline.db_url, url)
    assert back.status == "active" and back.gone_at is None
    changes = redline.json("changes")
    republished = [c for c in changes if c["kind"] == "republished"]
    assert len(republished) == 1
    assert (republished[0]["from_version"], republished[0]["to_version"]) == (1, 2)
    assert (republished[0]["old"], republished[0]["new"]) == (TRUCE_V1.title, softer)
    # The diff against the last version before it went, as the usual records.
    edits = {c["kind"] for c in changes if c["from_version"] == 1 and c["to_version"] == 2}
    assert {"republished", "headline"} <= edits
    assert [c["kind"] for c in changes].count("unpublished") == 1


def test_a_gone_article_is_left_alone_after_the_last_rung(site: LocalSite, redline: Redline) -> None:
    url = site.put(PATH, article_page(TRUCE_V1.title, TRUCE_V1.paragraphs))
    redline("track", url)
    redline("crawl")
    site.put(PATH, "<html><body><h1>Gone</h1></body></html>", status=410)
    redline("crawl", "--all")
    for _rung in ("1 h", "6 h", "1 d", "3 d"):  # each look finds it still gone
        _time_passes(redline.db_url, url)
        redline("crawl")
    # Three days after it went there is no next look: it is gone for good, its history kept.
    article = _article(redline.db_url, url)
    assert article.status == "gone" and article.next_check_at is None
    assert "nothing due" in redline("crawl").stdout
