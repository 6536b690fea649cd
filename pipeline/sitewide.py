"""A line that a crawl finds added to many articles of one site at once is template.

The boilerplate learner (pipeline/noise.py) knows a site's template lines
from the versions already stored for its other articles. A line the site adds
to every article at once (a newsletter plug, a new disclaimer) is not yet in
any of them when the first few articles of the crawl are compared, so those
would report it as a stealth ``sentence_added``. Once the crawl has seen the
whole batch, the same line added (or removed) on several articles of one site
is the site's doing, not a reporter's: those records become ``metadata``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.noise import BOILERPLATE_MIN_ARTICLES
from pipeline.sentences import comparable

# The record kinds a template line can produce on its own.
LINE_KINDS = ("sentence_added", "sentence_removed")


@dataclass(frozen=True)
class LineRecord:
    """One line record of this crawl: its id, article, site and text."""

    change_id: int
    article_id: int
    host: str
    kind: str
    text: str


def sitewide_lines(records: Iterable[LineRecord], min_articles: int = BOILERPLATE_MIN_ARTICLES) -> dict[int, str]:
    """The records to fold, each with the reason: the same line added (or
    removed) on at least ``min_articles`` articles of one site."""
    groups: dict[tuple[str, str, str], list[LineRecord]] = defaultdict(list)
    for record in records:
        groups[(record.host, record.kind, comparable(record.text))].append(record)
    folded: dict[int, str] = {}
    for (_host, kind, _line), members in groups.items():
        articles = {m.article_id for m in members}
        if len(articles) >= min_articles:
            verb = "added to" if kind == "sentence_added" else "removed from"
            reason = f"site template: {verb} {len(articles)} articles of this site in one crawl"
            folded.update((m.change_id, reason) for m in members)
    return folded
