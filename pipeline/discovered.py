"""What a source run found that is worth tracking: canonical, allowed, safe links.

Pure: the links and the source's patterns in, the links to track out;
DiscoveryPipeline (pipeline/pipelines.py) stores them with storage/record.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from spiders.items import Link
from spiders.safety import url_problem
from spiders.urls import canonical_url

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


def next_run(now: dt.datetime, every_seconds: int, time_scale: float) -> dt.datetime:
    return now + dt.timedelta(seconds=every_seconds / time_scale)
