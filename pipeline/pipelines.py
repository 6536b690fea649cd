"""Scrapy item pipelines: extract, then store (version → diff → classify)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from sqlalchemy.orm import Session

from pipeline import gate
from pipeline.extract import Extracted, SiteOverrides, extract
from pipeline.quiet import Raced, is_quiet, write_quiet
from pipeline.recheck import RecheckPolicy
from pipeline.sitewide import LINE_KINDS, LineRecord, sitewide_lines
from pipeline.store import StoreResult, store_page
from spiders.items import FetchedPage
from storage import queries
from storage.db import open_database, transaction
from storage.models import CheckOutcome, utcnow

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
    """(gate said unchanged, extraction, gate key) of one page: the gate first
    (pipeline/gate.py), extraction only when it cannot say the article is as it
    was. A module function, so a worker process can run it."""
    keys = keys and overrides is None  # per-site selectors read what the gate does not
    if keys and gate.unchanged(html, previous_key, url):
        return True, None, previous_key
    extracted = extract(html, url, overrides)
    if not keys or extracted.is_empty:
        return False, extracted, None
    return False, extracted, gate.learn(html, extracted, url) or gate.NO_KEY


def _leave_with(parent: int) -> None:
    """Extraction worker initializer: exit once the crawl process is gone.

    A crawl killed with SIGKILL (or by the OOM killer) cannot shut its pool
    down, and its idle workers would wait on their queue for ever. Ctrl-C
    reaches the whole process group: the crawl stops its workers itself
    (close_spider), so they ignore it rather than each print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="redline-parent-watch", daemon=True).start()


class ExtractPipeline:
    """Runs the article extractor on every new 200 response.

    A page the gate calls unchanged since the last extraction skips extraction
    (pipeline/gate.py; ``REDLINE_GATE``, on by default). Extraction is most of a first crawl's CPU, so it can run in
    worker processes while this one keeps fetching and storing
    (``REDLINE_EXTRACT_PROCESSES``): ``auto`` (the default) extracts here until
    the crawl has extracted ``REDLINE_EXTRACT_POOL_AFTER`` pages (20), then
    starts two workers (none on a one-core machine). Starting workers that
    import trafilatura costs about a second of CPU each, more than a daemon
    cycle with a handful of edited articles saves; a first crawl or a big wave
    of edits gains nearly 2x on two cores. A number starts that many workers
    at the first extraction; 0 always extracts in the crawl's own process.
    """

    def __init__(self, overrides: dict[str, Any], processes: int | None = 0, keys: bool = True, after: int = 20):
        self.overrides = overrides
        self.keys = keys
        self.processes = processes  # None: auto
        self.after = after
        self.extractions = 0
        self.pool: ProcessPoolExecutor | None = None
        self.decided = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        settings = crawler.settings
        processes = str(settings.get("REDLINE_EXTRACT_PROCESSES", "auto")).strip().lower()
        if processes != "auto" and not processes.isdigit():
            raise ValueError(f"REDLINE_EXTRACT_PROCESSES must be 'auto' or a number of processes, not {processes!r}")
        return cls(
            settings.getdict("REDLINE_SITE_OVERRIDES"),
            None if processes == "auto" else int(processes),
            settings.getbool("REDLINE_GATE"),
            settings.getint("REDLINE_EXTRACT_POOL_AFTER", 20),
        )

    def _workers(self) -> int | None:
        """How many workers to start now; None: not decided yet."""
        if self.processes is not None:
            return self.processes
        if self.extractions <= self.after:
            return None
        return 2 if (os.cpu_count() or 1) > 1 else 0

    def _pool(self) -> ProcessPoolExecutor | None:
        """The pool for this page's extraction, or None to extract here."""
        self.extractions += 1
        if not self.decided and (workers := self._workers()) is not None:
            self.decided = True
            if workers > 0:
                logger.info("extracting in %d worker processes", workers)
                # spawn, not fork: the crawl process runs a reactor and database pools.
                self.pool = ProcessPoolExecutor(
                    workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_leave_with,
                    initargs=(os.getpid(),),
                )
        return self.pool

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchedPage) and item.html is not None and item.http_status == 200 and not item.same_body:
            url = item.final_url or item.url
            args = (item.html, url, _overrides_for(url, self.overrides), item.previous_region_key, self.keys)
            pool = self._pool()
            try:
                if pool is None:
                    found = examine(*args)
                else:
                    try:
                        found = await asyncio.wrap_future(pool.submit(examine, *args))
                    except BrokenProcessPool:
                        # A worker died (killed, out of memory): the rest of the crawl
                        # extracts here, and this page is not lost.
                        logger.warning("an extraction worker died; extracting in the crawl's process from now on")
                        self._drop_pool()
                        found = examine(*args)
            except ValueError as exc:  # a bad per-site selector: the page's error, not the crawl's
                item.extraction_error = f"extraction failed: {exc}"
            else:
                item.same_region, item.extracted, item.region_key = found
        return item

    def _drop_pool(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def close_spider(self, spider: Spider | None = None) -> None:
        self._drop_pool()


def fold_sitewide_lines(session: Session, since: dt.datetime) -> int:
    """Fold this crawl's template lines (records detected since ``since``) into
    metadata: the same line added to many articles of a site at once (pipeline/sitewide.py)."""
    rows = queries.line_changes_since(session, since, LINE_KINDS)
    reasons = sitewide_lines(LineRecord(*row) for row in rows)
    return queries.relabel_as_metadata(session, reasons) if reasons else 0


class StorePipeline:
    """Writes each page's check, version and changes in one transaction.

    Quiet pages (a 304, the same bytes, the gate said unchanged) are queued
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
        self.started = utcnow()

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
        if result.outcome == CheckOutcome.UNCHANGED:
            # How it was known: the same bytes, the gate, or a full extraction.
            how = "same_body" if item.same_body else "gate" if item.same_region else "extracted"
            self.stats.inc_value(f"redline/unchanged/{how}")
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

    def open_spider(self, spider: Spider | None = None) -> None:
        self.started = utcnow()

    def close_spider(self, spider: Spider | None = None) -> None:
        self.flush()
        folded = transaction(self.db_url, lambda session: fold_sitewide_lines(session, self.started))
        if folded:
            logger.info("%d line records were the site's template, added to many articles at once", folded)
            self.stats.inc_value("redline/changes/sitewide_folded", folded)
        logger.info("store closed: %s", {k: v for k, v in self.stats.get_stats().items() if k.startswith("redline/")})
