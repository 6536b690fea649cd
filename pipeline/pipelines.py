"""Scrapy item pipelines: extract, then store (version → diff → classify)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from pipeline import region
from pipeline.extract import Extracted, SiteOverrides, extract
from pipeline.quiet import Raced, is_quiet, write_quiet
from pipeline.recheck import RecheckPolicy
from pipeline.store import StoreResult, store_page
from spiders.items import FetchedPage
from storage.db import open_database, transaction

logger = logging.getLogger(__name__)


def _overrides_for(url: str, table: dict[str, Any]) -> SiteOverrides | None:
    host = (urlsplit(url).hostname or "").lower()
    while host:
        if host in table:
            return SiteOverrides.from_mapping(table[host])
        host = host.partition(".")[2]
    return None


def examine(
    html: str, url: str, overrides: SiteOverrides | None, previous_key: str | None, keys: bool
) -> tuple[bool, Extracted | None, str | None]:
    """(same region, extraction, region key) of one page: the key check first,
    extraction only when it fails. A module function, so a worker process can run it."""
    keys = keys and overrides is None
    found = region.probe(html, previous_key) if keys and previous_key and previous_key != region.NO_KEY else None
    if found is not None and found[0] == previous_key:
        return True, None, previous_key
    extracted = extract(html, url, overrides)
    if not keys or extracted.is_empty:
        return False, extracted, None
    if found is not None and region.covers(found[1], extracted.text):
        return False, extracted, found[0]  # same region, new content: its key is already computed
    if previous_key == region.NO_KEY:
        return False, extracted, region.NO_KEY
    return False, extracted, region.learn(html, extracted.text) or region.NO_KEY


class ExtractPipeline:
    """Runs the article extractor on every new 200 response.

    A page whose main region and metadata hash to the key stored at the last
    extraction skips extraction (pipeline/region.py; ``REDLINE_REGION_KEYS``,
    on by default). Extraction is most of a first crawl's CPU: with
    ``REDLINE_EXTRACT_PROCESSES`` above 0 it runs in that many worker processes
    while this one keeps fetching and storing; 0 (the default) extracts in the
    crawl's own process.
    """

    def __init__(self, overrides: dict[str, Any], processes: int = 0, keys: bool = True):
        self.overrides = overrides
        self.keys = keys
        # spawn, not fork: the crawl process runs a reactor and database pools.
        self.pool = (
            ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) if processes > 0 else None
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(
            crawler.settings.getdict("REDLINE_SITE_OVERRIDES"),
            crawler.settings.getint("REDLINE_EXTRACT_PROCESSES", 0),
            crawler.settings.getbool("REDLINE_REGION_KEYS", True),
        )

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchedPage) and item.html is not None and item.http_status == 200 and not item.same_body:
            url = item.final_url or item.url
            args = (item.html, url, _overrides_for(url, self.overrides), item.previous_region_key, self.keys)
            try:
                if self.pool is None:
                    found = examine(*args)
                else:
                    found = await asyncio.wrap_future(self.pool.submit(examine, *args))
            except ValueError as exc:  # a bad per-site selector: the page's error, not the crawl's
                item.extraction_error = f"extraction failed: {exc}"
            else:
                item.same_region, item.extracted, item.region_key = found
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


class StorePipeline:
    """Writes each page's check, version and changes in one transaction.

    Quiet pages (a 304, the same bytes, the same article region) are queued
    and written together (pipeline/quiet.py): up to ``REDLINE_STORE_BATCH``
    pages (default 64; 1 writes every page alone) or whatever arrived within
    ``REDLINE_STORE_BATCH_WAIT`` seconds (default 0.05) share one transaction.
    An item leaves this pipeline only once its page is committed.
    """

    def __init__(
        self,
        db_url: str,
        keep_raw: bool,
        min_ratio: float,
        stats: StatsCollector,
        policy: RecheckPolicy | None = None,
        batch_size: int = 64,
        batch_wait: float = 0.05,
    ):
        self.db_url = db_url
        self.keep_raw = keep_raw
        self.min_ratio = min_ratio
        self.stats = stats
        self.policy = policy or RecheckPolicy()
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.queued: list[tuple[FetchedPage, asyncio.Future[StoreResult]]] = []
        self.timer: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        assert crawler.stats is not None
        settings = crawler.settings
        return cls(
            open_database(settings.get("REDLINE_DB")),
            settings.getbool("REDLINE_STORE_RAW_HTML", True),
            settings.getfloat("REDLINE_MIN_TEXT_RATIO", 0.2),
            crawler.stats,
            RecheckPolicy.from_mapping(
                settings.getdict("REDLINE_RECHECK"), time_scale=settings.getfloat("REDLINE_TIME_SCALE", 1)
            ),
            settings.getint("REDLINE_STORE_BATCH", 64),
            settings.getfloat("REDLINE_STORE_BATCH_WAIT", 0.05),
        )

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        result = await self._queue(item) if self.batch_size > 1 and is_quiet(item) else self._store(item)
        self.stats.inc_value(f"redline/checks/{result.outcome.value}")
        for kind in result.change_kinds:
            self.stats.inc_value(f"redline/changes/{kind}")
        item.extra["outcome"] = result.outcome.value
        item.extra["change_kinds"] = result.change_kinds
        return item

    def _store(self, page: FetchedPage) -> StoreResult:
        return transaction(
            self.db_url,
            lambda session: store_page(
                session, page, keep_raw=self.keep_raw, min_ratio=self.min_ratio, policy=self.policy
            ),
        )

    def _queue(self, page: FetchedPage) -> asyncio.Future[StoreResult]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[StoreResult] = loop.create_future()
        self.queued.append((page, future))
        if len(self.queued) >= self.batch_size:
            self.flush()
        elif self.timer is None:
            self.timer = loop.call_later(self.batch_wait, self.flush)
        return future

    def flush(self) -> None:
        """Write the queued quiet pages: together where pipeline/quiet.py can, else one by one."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.queued = self.queued, []
        if not batch:
            return
        pages = [page for page, _ in batch]
        try:
            settled, _left = transaction(self.db_url, lambda session: write_quiet(session, pages, self.policy))
        except Raced as exc:
            logger.info("%s; storing its %d pages one by one", exc, len(pages))
            settled = []
        except Exception as exc:  # the database stayed unreachable through every retry
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        results = {id(page): StoreResult(outcome, seq) for page, outcome, seq in settled}
        for page, future in batch:
            try:
                result = results.get(id(page)) or self._store(page)
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
                continue
            if not future.done():
                future.set_result(result)

    def close_spider(self, spider: Spider | None = None) -> None:
        self.flush()
        logger.info("store closed: %s", {k: v for k, v in self.stats.get_stats().items() if k.startswith("redline/")})
