"""Article text is hostile input: stored as text, inert wherever the CLI shows it."""

from __future__ import annotations

import html
from pathlib import Path

from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

HOSTILE = [
    '<script>alert("owned")</script> appeared in the comment section quoted by the article.',
    '<img src=x onerror="alert(1)"> and <a href="javascript:alert(2)">a link</a> were quoted verbatim.',
    "Terminal trick: \x1b[2J\x1b]8;;http://evil.example\x07click\x1b]8;;\x07 and [bold red]markup[/] too.",
    "Bidi spoof: \u202eevil.exe\u202c and zero\u200bwidth and Hebrew שלום and Arabic سلام stay readable.",
    "A very long line " + "x" * 200_000,
]


def test_hostile_text_is_stored_as_text_and_shown_inert(site: LocalSite, redline: Redline) -> None:
    # The page escapes the text, as a news site quoting it would: it is article *text*.
    url = site.put("/h", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs))
    redline("track", url)
    redline("crawl", "--all")
    site.put("/h", article_page(TRUCE_V1.title, [*TRUCE_V1.paragraphs, *HOSTILE]))
    redline("crawl", "--all")

    text = redline.json("history", url)["versions"][-1]["text"]
    assert '<script>alert("owned")</script>' in text  # kept as the words the article printed
    assert "שלום" in text and "سلام" in text
    assert not any(ch in text for ch in "\x1b\x07\u200b"), "control characters are never content"
    assert "evil.exe" in text  # (trafilatura drops bidi overrides from body text; titles keep them)

    page = redline("diff", url, "--format", "html").stdout
    assert "<script" not in page and "<img" not in page and 'href="javascript:' not in page
    assert html.escape('<script>alert("owned")</script>') in page
    assert "Content-Security-Policy" in page

    assert "\u202e" not in page
    for args in (("changes",), ("diff", url), ("history", url)):
        out = redline(*args).stdout
        assert "\x1b" not in out, f"redline {' '.join(args)} printed an escape sequence"
        assert "\u202e" not in out, f"redline {' '.join(args)} printed a bidi override"
    assert "[bold red]markup[/]" in redline("diff", url).stdout.replace("\n", "")


def test_feed_and_alert_html_keep_hostile_text_inert(tmp_path: Path) -> None:
    """The feed's HTML content and an alert's HTML body hold article text escaped, whatever the reader does."""
    import feedparser

    from review.alerts import message_html
    from review.views import change_row
    from storage import review_queries
    from storage.db import session_scope
    from tests.reviewdata import HOSTILE_TITLE, fill
    from tests.test_review_surfaces import _no_live_markup

    room = fill(f"sqlite:///{tmp_path / 'feed.db'}")
    redline = Redline(room.db_url, tmp_path)
    body = redline("feed", "--outlet", "harbour.example").stdout
    assert "<script" not in body  # the XML itself
    # Read it as a careless reader would: feedparser's own sanitising off.
    feed = feedparser.parse(body, sanitize_html=False)
    assert not feed.bozo
    hostile = [e.content[0].value for e in feed.entries if "/opinion/hostile" in e.summary]
    assert hostile and all(e.content[0].type == "text/html" for e in feed.entries)
    for value in hostile:
        _no_live_markup(value)
        assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in value
    assert any("<ins>" in v for v in hostile)

    with session_scope(room.db_url) as session:
        query = review_queries.ChangeQuery(article_id=room.ids["hostile"])
        rows = [change_row(c, a) for c, a in review_queries.search_changes(session, query)]
        titles = review_queries.latest_titles(session, [room.ids["hostile"]])
    assert titles[room.ids["hostile"]] == HOSTILE_TITLE
    message = message_html([{**r, "title": titles[r["article_id"]]} for r in rows])
    _no_live_markup(message)
    assert "&lt;script&gt;" in message and "⟨U+202E⟩" in message
