"""Scrapy item pipelines: extract, then store (decide → write).

The one module of pipeline/ that meets Scrapy: ``ExtractPipeline`` examines a
page (pipeline/examine.py, in worker processes or here), ``StorePipeline``
queues it and has it decided and written (pipeline/recording.py). Settings
are read through pipeline/rules.py ``setting``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.statscollectors import StatsCollector

from pipeline.extract import SiteOverrides
from pipeline.items import FetchedPage
from pipeline.outcome import Rules
from pipeline.overrides import OverrideTable
from pipeline.quiet import is_quiet, nothing_else_coming
from pipeline.recording import fold_sitewide_lines, record_page, record_pages, record_quiet
from pipeline.rules import rules_from, setting
from pipeline.workers import Examiner
from storage.batch import Raced
from storage.db import UNREACHABLE, open_database, session_scope, shared_between_processes, transaction
from storage.models import CheckOutcome, utcnow
from storage.record import Decision
from storage.sources import source_overrides

logger = logging.getLogger(__name__)


class ExtractPipeline(Examiner):
    """Runs the article extractor on every new 200 response.

    A page the gate calls unchanged since the last extraction skips extraction
    (pipeline/gate.py; ``REDLINE_GATE``, on by default). Extraction is most of a first crawl's CPU, so it can run in
    worker processes while this one keeps fetching and storing
    (``REDLINE_EXTRACT_PROCESSES``): ``auto`` (the default) examines pages here
    until doing so has cost this crawl ``REDLINE_EXTRACT_POOL_AFTER`` seconds of
    CPU (0.5), or is on course to (:meth:`projected_cpu`), then starts two
    workers (none on a one-core machine) on a thread, pages waiting for them
    while the crawl fetches on. Starting them costs
    about that much CPU and half a second before the first answer,
    more than a daemon cycle of gated rechecks (about a millisecond each) or a
    handful of edited articles saves; a first crawl, a big wave of edits or of
    pages the gate cannot place gains nearly 2x on two cores. Counting CPU, not
    pages, is what tells those apart: an extraction costs 10-40 ms, a gate check
    1-3. A number starts that many workers at the first page; 0 always examines
    in the crawl's own process. With ``REDLINE_EXTRACT_KEEP_WORKERS`` (the
    daemon's) the workers outlive the crawl and the process's next crawl uses
    them from its first page (pipeline/workers.py).
    """

    def __init__(
        self,
        overrides: dict[str, Any],
        processes: int | None,
        keys: bool,
        after: float,
        db_url: str | None = None,
        keep: bool = False,
        stats: StatsCollector | None = None,
        keep_raw: bool = True,
    ):
        super().__init__(processes, after, keep, stats)
        self.setting_overrides = overrides
        self.overrides = OverrideTable(setting=overrides)
        self.db_url = db_url
        self.keys = keys
        self.keep_raw = keep_raw  # REDLINE_STORE_RAW_HTML: a new version keeps its fetch as WARC records
        self.read_url: str | None = None  # the database a worker reads to classify ahead (open_spider)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        settings = crawler.settings
        processes = setting(settings, "REDLINE_EXTRACT_PROCESSES", lambda n: str(settings.get(n)).strip().lower())
        if processes != "auto" and not processes.isdigit():
            raise UsageError(f"REDLINE_EXTRACT_PROCESSES must be 'auto' or a number of processes, not {processes!r}")
        return cls(
            setting(settings, "REDLINE_SITE_OVERRIDES", settings.getdict),
            None if processes == "auto" else int(processes),
            setting(settings, "REDLINE_GATE", settings.getbool),
            setting(
                settings, "REDLINE_EXTRACT_POOL_AFTER", settings.getfloat, lambda s: s >= 0, "seconds of CPU, 0 or more"
            ),
            settings.get("REDLINE_DB"),
            setting(settings, "REDLINE_EXTRACT_KEEP_WORKERS", settings.getbool),
            getattr(crawler, "stats", None),
            setting(settings, "REDLINE_STORE_RAW_HTML", settings.getbool),
        )

    def open_spider(self, spider: Spider | None = None) -> None:
        """Read every source's extraction overrides once per crawl."""
        if self.db_url:
            url = open_database(self.db_url)
            with session_scope(url) as session:
                rows = source_overrides(session)
            self.overrides = OverrideTable.build(rows, self.setting_overrides)
            self.read_url = url if shared_between_processes(url) else None

    def overrides_for(self, url: str, source_id: int | None) -> SiteOverrides | None:
        return SiteOverrides.from_mapping(self.overrides.lookup(url, source_id))

    async def process_item(self, item: Any) -> Any:
        self.seen += isinstance(item, FetchedPage)  # examined or not (a 304, the same bytes): projected_cpu
        if isinstance(item, FetchedPage) and item.has_text and item.http_status == 200 and not item.same_body:
            url = item.final_url or item.url
            overrides = self.overrides_for(url, item.source_id)
            page = item.html if item.html is not None else item.body or b""  # bytes: decoded where examined
            # The WARC response record is built where the page is examined (pipeline/examine.py).
            capture = (item.exchange, item.fetched_at) if self.keep_raw and item.exchange and item.fetched_at else None
            args = (page, url, overrides, item.previous_region_key, self.keys, item.encoding, capture)
            pool = await self._pool()
            try:
                if pool is None:
                    found = self.examine_here(args)
                else:
                    found = await self._in_pool(pool, (*args, self._ahead_for(item)))
            except ValueError as exc:  # a bad per-site selector: the page's error, not the crawl's
                item.extraction_error = f"extraction failed: {exc}"
            else:
                item.same_region, item.extracted, item.region_key, item.hint, item.warc_response, item.ahead = found
                if item.ahead is not None and self.stats is not None:
                    self.stats.inc_value("redline/classified_in_worker")
        return item

    def _ahead_for(self, item: FetchedPage) -> tuple[str, int] | None:
        """What a worker needs to classify this page's new text itself (pipeline/ahead.py):
        the database and the article, when the article has a stored 200 to compare with
        and the worker can open the same database (not an in-memory SQLite)."""
        if self.read_url is None or item.previous_body_hash is None:
            return None
        return self.read_url, item.article_id

    def close_spider(self, spider: Spider | None = None) -> None:
        self.release_workers()


# Pages other than quiet ones per transaction: a first version costs the crawl's
# thread about 4 ms, so a full batch holds the reactor some 60 ms.
LOUD_BATCH = 16
# While pages wait for their batch, how often the engine is asked whether any
# other page can still join it. Asking when a page is queued is not enough: the
# pages of a batch just written leave Scrapy's books a few loop turns after
# their decisions, so the crawl's last page can arrive while they still count,
# and then wait out REDLINE_STORE_BATCH_WAIT for nothing (150 ms at the end of
# 7 of 17 real replay steps). A look costs a few microseconds.
IDLE_POLL = 0.005


class StorePipeline:
    """Writes each page's check, version and changes, many pages to a transaction.

    Pages wait in two queues, flushed when one is full, when the first of
    them has waited ``REDLINE_STORE_BATCH_WAIT`` seconds, or as soon as the
    crawl holds no other page (its last ones; looked at when a page is queued
    and every ``IDLE_POLL`` seconds while pages wait):

    - quiet pages (a 304, the same bytes, the gate said unchanged), up to
      ``REDLINE_STORE_BATCH``, written together by storage/batch.py;
    - the others (new versions, changes, errors), up to ``LOUD_BATCH``, each
      written by :func:`record_page` in turn in one transaction
      (:func:`record_pages`), in the order of their article ids. If that
      transaction fails, each is written alone, so one bad page costs no other.

    ``REDLINE_STORE_BATCH`` 1 writes every page alone, as it arrives. Either way
    a page is decided by pipeline/outcome.py. An item leaves this pipeline only
    once its page is committed.
    """

    def __init__(
        self,
        db_url: str,
        rules: Rules,
        stats: StatsCollector,
        batch_size: int,
        batch_wait: float,
        crawler: Crawler | None = None,
    ):
        self.db_url = db_url
        self.rules = rules
        self.stats = stats
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.queued: list[tuple[FetchedPage, asyncio.Future[Decision]]] = []  # quiet pages
        self.loud: list[tuple[FetchedPage, asyncio.Future[Decision]]] = []  # the others
        self.timer: asyncio.TimerHandle | None = None
        self.started = utcnow()
        self.crawler = crawler  # whose engine says when no more pages can join a batch

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        assert crawler.stats is not None
        settings = crawler.settings
        rules = rules_from(settings)
        batch = setting(
            settings, "REDLINE_STORE_BATCH", settings.getint, lambda n: n >= 1, "a number of pages, 1 or more"
        )
        wait = setting(settings, "REDLINE_STORE_BATCH_WAIT", settings.getfloat, lambda s: s >= 0, "seconds, 0 or more")
        return cls(open_database(settings.get("REDLINE_DB")), rules, crawler.stats, batch, wait, crawler)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        decision = await self._queue(item, is_quiet(item)) if self.batch_size > 1 else self._store(item)
        self.stats.inc_value(f"redline/checks/{decision.outcome.value}")
        if decision.outcome == CheckOutcome.UNCHANGED:
            # How it was known: the same bytes, the gate, or a full extraction.
            how = "same_body" if item.same_body else "gate" if item.same_region else "extracted"
            self.stats.inc_value(f"redline/unchanged/{how}")
        for kind in decision.change_kinds:
            self.stats.inc_value(f"redline/changes/{kind}")
        item.outcome, item.change_kinds = decision.outcome, decision.change_kinds
        return item

    def _store(self, page: FetchedPage) -> Decision:
        return transaction(self.db_url, lambda session: record_page(session, page, self.rules))

    def _queue(self, page: FetchedPage, quiet: bool) -> asyncio.Future[Decision]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Decision] = loop.create_future()
        queue, size = (self.queued, self.batch_size) if quiet else (self.loud, min(self.batch_size, LOUD_BATCH))
        queue.append((page, future))
        if len(queue) >= size or self._all_here():
            self.flush()
        elif self.timer is None:
            self.timer = loop.call_later(min(IDLE_POLL, self.batch_wait), self._tick, loop.time() + self.batch_wait)
        return future

    def _all_here(self) -> bool:
        """Whether the crawl holds no page but the queued ones (pipeline/quiet.py)."""
        engine = self.crawler.engine if self.crawler is not None else None
        return nothing_else_coming(engine, len(self.queued) + len(self.loud))

    def _tick(self, deadline: float) -> None:
        """The batch timer: write the queues once the first page has waited its
        time or no other page can join them, else look again shortly."""
        loop = asyncio.get_running_loop()
        left = deadline - loop.time()
        if left <= 0 or self._all_here():
            self.flush()
        else:
            self.timer = loop.call_later(min(IDLE_POLL, left), self._tick, deadline)

    def flush(self) -> None:
        """Write the queued pages: the others first (before they were queued too,
        they were written as they came), then the quiet ones."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        loud, self.loud = self.loud, []
        if loud:
            self._flush_loud(loud)
        quiet, self.queued = self.queued, []
        if quiet:
            self._flush_quiet(quiet)

    def _flush_loud(self, batch: list[tuple[FetchedPage, asyncio.Future[Decision]]]) -> None:
        """Every page in one transaction (:func:`record_pages`), else each alone."""
        pages = sorted((page for page, _ in batch), key=lambda p: p.article_id)
        try:
            decisions = transaction(self.db_url, lambda session: record_pages(session, pages, self.rules))
        except UNREACHABLE as exc:  # through every retry: each page alone would only wait as long again
            self._fail(batch, exc)
            return
        except Exception as exc:  # one page's own failure: it raises it again alone, the others are written
            logger.info("a batch of %d pages was not written (%s); writing them one by one", len(pages), exc)
            decided = {}
        else:
            decided = {id(page): decision for page, decision in zip(pages, decisions, strict=True)}
        self._settle(batch, decided)

    def _flush_quiet(self, batch: list[tuple[FetchedPage, asyncio.Future[Decision]]]) -> None:
        """Together where the batch can (storage/batch.py), else one by one."""
        pages = [page for page, _ in batch]
        try:
            settled, _left = transaction(self.db_url, lambda session: record_quiet(session, pages, self.rules))
        except Raced as exc:
            logger.info("%s; storing its %d pages one by one", exc, len(pages))
            settled = []
        except Exception as exc:  # the database stayed unreachable through every retry
            self._fail(batch, exc)
            return
        self._settle(batch, {id(page): decision for page, decision in settled})

    @staticmethod
    def _fail(batch: list[tuple[FetchedPage, asyncio.Future[Decision]]], exc: Exception) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(exc)

    def _settle(self, batch: list[tuple[FetchedPage, asyncio.Future[Decision]]], decided: dict[int, Decision]) -> None:
        """Hand each page its decision, writing alone those the batch left."""
        for page, future in batch:
            try:
                result = decided.get(id(page)) or self._store(page)
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
