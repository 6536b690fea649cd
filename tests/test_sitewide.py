"""A line a site adds to every article at once is template, whichever article is rechecked first."""

from __future__ import annotations

from pipeline.sitewide import LineRecord, sitewide_lines
from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

FAST = ("-s", "RETRY_TIMES=1", "-s", "AUTOTHROTTLE_ENABLED=False")
STORIES = [
    ("Ferry fares rise again", "The ferry operator raised fares by a tenth on Monday, the second rise this year."),
    ("Storm closes the coast road", "The coast road was closed on Sunday after waves broke over the sea wall."),
    ("Library opens late on Thursdays", "The central library will stay open until nine on Thursdays from March."),
    ("Rovers sign a new goalkeeper", "Harbour Rovers signed a goalkeeper on loan until the end of the season."),
    ("Market hall gets a new roof", "Work on the market hall roof begins next month and will take a year."),
]
PLUG = "Sign up for our morning newsletter to get the day's top stories in your inbox."


def _page(title: str, lead: str, plug: bool) -> str:
    paragraphs = [lead, *TRUCE_V1.paragraphs[1:3]]
    return article_page(title, [*paragraphs, PLUG] if plug else paragraphs)


def test_a_line_added_to_every_article_at_once_is_template(site: LocalSite, redline: Redline) -> None:
    paths = [f"/local/story-{i}" for i in range(len(STORIES))]
    urls = [site.put(p, _page(t, lead, plug=False)) for p, (t, lead) in zip(paths, STORIES, strict=True)]
    redline("track", *urls)
    redline("crawl", "--all", *FAST)
    for p, (t, lead) in zip(paths, STORIES, strict=True):
        site.put(p, _page(t, lead, plug=True))
    redline("crawl", "--all", *FAST)
    changes = redline.json("changes", "--min-severity", "info")
    plugs = [c for c in changes if c["new"] == PLUG]
    assert len(plugs) == len(STORIES)
    assert {c["kind"] for c in plugs} == {"metadata"}, [(c["article_url"], c["kind"]) for c in plugs]
    assert redline.json("changes") == []  # no content record at all


def test_a_line_on_two_articles_is_still_news() -> None:
    records = [LineRecord(i, i, "news.example", "sentence_added", "The minister resigned.") for i in (1, 2)]
    assert sitewide_lines(records) == {}
    records.append(LineRecord(3, 3, "other.example", "sentence_added", "The minister resigned."))
    assert sitewide_lines(records) == {}
    records.append(LineRecord(4, 4, "news.example", "sentence_added", "The minister  resigned."))
    assert set(sitewide_lines(records)) == {1, 2, 4}
