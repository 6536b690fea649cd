"""Store what discovery found: new articles, listed headlines, and the source's health."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from scrapy.crawler import Crawler
from sqlalchemy.orm import Session

from pipeline.items import DiscoveredLinks
from spiders.safety import url_problem
from spiders.urls import canonical_url
from storage import queries
from storage.db import open_database, transaction
from storage.models import Source, utcnow

logger = logging.getLogger(__name__)


def store_discovery(session: Session, found: DiscoveredLinks, *, time_scale: float = 1.0) -> dict[str, int]:
    """Track the source's new links and record how the run went; one transaction."""
    source = session.get(Source, found.source_id)
    if source is None:
        return {}
    now = utcnow()
    source.last_run_at = now
    source.next_run_at = now + dt.timedelta(seconds=source.every_seconds / time_scale)
    if found.error:
        source.error_count += 1
        source.last_error = found.error
        logger.warning("source %s: %s", source.name or source.url, found.error)
        return {"error": 1}
    source.error_count, source.last_error = 0, None
    if found.resolved:
        source.found_url, source.found_kind, source.found_why = found.resolved
        logger.info("source %s: reading the %s %s: %s", source.url, found.resolved[1], *found.resolved[::2])
    allow = [re.compile(p) for p in source.allow or []]
    deny = [re.compile(p) for p in source.deny or []]
    counts = {"listed": 0, "new": 0, "skipped": 0}
    seen: set[str] = set()
    for link in found.links:
        url = canonical_url(link.url)
        if url in seen:
            continue
        seen.add(url)
        if any(p.search(url) for p in deny) or (allow and not any(p.search(url) for p in allow)):
            counts["skipped"] += 1
            continue
        if problem := url_problem(url, resolve=False):
            logger.info("source %s lists %s: refused, %s", source.url, url, problem)
            counts["skipped"] += 1
            continue
        article, created = queries.get_or_create_article(session, url, source.id)
        if article.source_id is None:
            article.source_id = source.id
        if link.headline:
            article.listed_headline = link.headline[:1000]
        if link.published_at and article.listed_published_at is None:
            article.listed_published_at = link.published_at
        counts["listed"] += 1
        counts["new"] += created
    source.articles_found += counts["new"]
    logger.info("source %s: %s", source.name or source.url, counts)
    return counts


class DiscoveryPipeline:
    """Writes each source run (DiscoveredLinks) in one transaction; other items pass through."""

    def __init__(self, db_url: str, time_scale: float):
        self.db_url = db_url
        self.time_scale = time_scale

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiscoveryPipeline:
        return cls(
            open_database(crawler.settings.get("REDLINE_DB")), crawler.settings.getfloat("REDLINE_TIME_SCALE", 1.0)
        )

    def process_item(self, item: Any) -> Any:
        if isinstance(item, DiscoveredLinks):
            counts = transaction(self.db_url, lambda s: store_discovery(s, item, time_scale=self.time_scale))
            item.links = []  # stored; nothing downstream needs them
            item.__dict__["counts"] = counts
        return item
