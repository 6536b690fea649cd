"""Store what discovery found: the links worth tracking, and how the source's run went.

Which links are worth it (canonical, each once, allowed by the source's
patterns, safe to fetch) is decided here from the URL rules of this floor
(spiders/urls.py, spiders/safety.py); storage/record.py writes the articles
and the source's health. :class:`DiscoveryPipeline` is the Scrapy item
pipeline that does both, one source run per transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from scrapy.crawler import Crawler
from sqlalchemy.orm import Session

from pipeline.items import DiscoveredLinks, Link
from pipeline.listed import listed_headline_change
from pipeline.rules import setting
from spiders.safety import url_problem
from spiders.urls import canonical_url
from storage import record
from storage.db import open_database, transaction
from storage.models import utcnow
from storage.record import ChangeRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listing:
    links: list[Link]  # canonical URLs, each once, in the order the source listed them
    skipped: int  # refused by the source's patterns or as unsafe targets


def links_to_track(links: Sequence[Link], source_url: str, allow: Sequence[str], deny: Sequence[str]) -> Listing:
    """The links to track: canonical, each once, matching ``allow`` (when
    given) and no ``deny`` pattern, and safe to fetch."""
    allowed = [re.compile(p) for p in allow]
    denied = [re.compile(p) for p in deny]
    kept: list[Link] = []
    skipped = 0
    seen: set[str] = set()
    for link in links:
        url = canonical_url(link.url)
        if url in seen:
            continue
        seen.add(url)
        if any(p.search(url) for p in denied) or (allowed and not any(p.search(url) for p in allowed)):
            skipped += 1
            continue
        if problem := url_problem(url, resolve=False):
            logger.info("source %s lists %s: refused, %s", source_url, url, problem)
            skipped += 1
            continue
        kept.append(Link(url, link.headline, link.published_at))
    return Listing(kept, skipped)


def record_discovery(session: Session, found: DiscoveredLinks, *, time_scale: float) -> dict[str, int]:
    """Track the source's new links and record how the run went, in the caller's session."""
    source = record.open_source(session, found.source_id)
    if source is None:
        return {}
    now = utcnow()
    next_at = now + dt.timedelta(seconds=source.every_seconds / time_scale)
    record.source_ran(session, source, now=now, next_run_at=next_at, error=found.error)
    if found.error:
        logger.warning("source %s: %s", source.name or source.url, found.error)
        return {"error": 1}
    if found.resolved:
        record.source_resolved(session, source, *found.resolved)
        logger.info("source %s: reading the %s %s: %s", source.url, found.resolved[1], *found.resolved[::2])
    listing = links_to_track(found.links, source.url, source.allow or [], source.deny or [])
    tracked = record.track_links(
        session, source, [(link.url, link.headline, link.published_at) for link in listing.links]
    )
    for moved in tracked.relisted:
        change = listed_headline_change(moved.old, moved.new, moved.page_headlines, source.found_kind or source.kind)
        if change is not None:
            row = ChangeRow(moved.seq, moved.seq, now, change.kind, change.old, change.new, change.severity)
            record.add_changes(session, moved.article_id, [replace(row, details=change.details)])
    counts = {"listed": len(listing.links), "new": tracked.new, "skipped": listing.skipped}
    logger.info("source %s: %s", source.name or source.url, counts)
    return counts


class DiscoveryPipeline:
    """Writes each source run (DiscoveredLinks) in one transaction; other items pass through."""

    def __init__(self, db_url: str, time_scale: float):
        self.db_url = db_url
        self.time_scale = time_scale

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiscoveryPipeline:
        settings = crawler.settings
        scale = setting(settings, "REDLINE_TIME_SCALE", settings.getfloat, lambda x: x > 0, "a factor above 0")
        return cls(open_database(settings.get("REDLINE_DB")), scale)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, DiscoveredLinks):
            counts = transaction(self.db_url, lambda s: record_discovery(s, item, time_scale=self.time_scale))
            item.links = []  # stored; nothing downstream needs them
            item.listed, item.new = counts.get("listed", 0), counts.get("new", 0)
            item.skipped = counts.get("skipped", 0)
        return item
