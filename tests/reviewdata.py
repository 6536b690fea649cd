"""A small newsroom stored through the real pipeline (extract → record_page), for the review tests.

Three articles on two outlets: the truce story whose death toll is revised
from "more than 20,000" to "20,057" (and whose headline changes), a second
outlet's report of the same toll, and an article whose text is hostile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipeline.extract import extract
from pipeline.items import FetchedPage
from pipeline.recording import record_page
from storage import queries
from storage.db import open_database, session_scope
from storage.models import utcnow
from tests.articles import TRUCE_V1, article_page

TRUCE_URL = "https://harbour.example/world/truce-talks"
BAY_URL = "https://www.bay.example/news/gaza-toll"
HOSTILE_URL = "https://harbour.example/opinion/hostile"
TRUCE_V2_TITLE = "Truce talks falter as Gaza death toll passes 20,000"

PWN = "window.__pwned = 1"
HOSTILE_TITLE = "Markets <script>window.__pwned = 1</script> rally \u202eesrever\u202c"
HOSTILE_PARAGRAPHS = [
    "The council met on Tuesday <script>window.__pwned = 1</script> to discuss the harbour budget for next year.",
    'A link <a href="javascript:window.__pwned=1">click me</a> and an image <img src=x onerror="window.__pwned=1"> '
    "were pasted into the story by a careless editor on the night desk.",
    "Zero\u200bwidth and \u202eright-to-left override\u202c characters hide in this sentence about 40 ferries.",
    "A very long line " + "overflowing-" * 400 + "end of the long line that should wrap.",
]


def truce_v2_paragraphs() -> list[str]:
    paragraphs = list(TRUCE_V1.paragraphs)
    paragraphs[3] = paragraphs[3].replace("more than 20,000", "20,057")
    return paragraphs


def bay_paragraphs(toll: str) -> list[str]:
    return [
        f"Officials in Gaza said on Thursday that {toll} people have been killed since the war began.",
        "Negotiators met again in Cairo to discuss a pause in fighting and the release of captives.",
        "Aid agencies said that hospitals in the south were running out of fuel and medicine.",
    ]


@dataclass
class Newsroom:
    db_url: str
    ids: dict[str, int] = field(default_factory=dict)


def _store(db_url: str, article_url: str, html: str, when: dt.datetime) -> int:
    with session_scope(db_url) as session:
        article, _ = queries.get_or_create_article(session, article_url)
        page = FetchedPage(
            article_id=article.id,
            url=article_url,
            final_url=article_url,
            http_status=200,
            html=html,
            extracted=extract(html, url=article_url),
        )
        record_page(session, page, now=when)
        return article.id


def fill(db_url: str, *, now: dt.datetime | None = None) -> Newsroom:
    """Store two versions of each article: the first three hours ago, the second one hour ago."""
    url = open_database(db_url)
    now = now or utcnow()
    before, after = now - dt.timedelta(hours=3), now - dt.timedelta(hours=1)
    room = Newsroom(url)
    truce = [
        (article_page(TRUCE_V1.title, TRUCE_V1.paragraphs, byline=TRUCE_V1.byline), before),
        (article_page(TRUCE_V2_TITLE, truce_v2_paragraphs(), byline=TRUCE_V1.byline, nav_counter=9), after),
    ]
    bay = [
        (article_page("Gaza toll rises", bay_paragraphs("more than 19,800"), site="Bay Herald"), before),
        (article_page("Gaza toll rises", bay_paragraphs("20,100"), site="Bay Herald"), after),
    ]
    hostile_v1 = ["The council met on Tuesday to discuss the harbour budget.", *HOSTILE_PARAGRAPHS[1:]]
    hostile = [
        (article_page("Markets rally", hostile_v1, extra_head=f"<script>{PWN}</script>"), before),
        (article_page(HOSTILE_TITLE, HOSTILE_PARAGRAPHS, extra_head=f"<script>{PWN}</script>"), after),
    ]
    for name, article_url, pages in (
        ("truce", TRUCE_URL, truce),
        ("bay", BAY_URL, bay),
        ("hostile", HOSTILE_URL, hostile),
    ):
        for html, when in pages:
            room.ids[name] = _store(url, article_url, html, when)
    return room
