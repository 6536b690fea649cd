"""Scrapy item pipelines: extract, then store (decide → write).

The one module of pipeline/ that meets Scrapy and the database: a page is
decided by pipeline/outcome.py and written by storage/record.py. Every
``REDLINE_*`` setting is read here (and in spiders/) through :func:`setting`,
its default written once, in settings.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings, Settings
from scrapy.statscollectors import StatsCollector
from sqlalchemy.orm import Session

from pipeline import outcome
from pipeline.background import background_from
from pipeline.extract import SiteOverrides
from pipeline.items import FetchedPage
from pipeline.outcome import Latest, Rules
from pipeline.overrides import OverrideTable
from pipeline.quiet import is_quiet, nothing_else_coming
from pipeline.recheck import RecheckPolicy
from pipeline.sitewide import LINE_KINDS, LineRecord, sitewide_lines
from pipeline.workers import Examiner
from storage import queries, record, versiontext
from storage.batch import Raced, apply_batch, can_batch, fits_batch, lock_states
from storage.db import open_database, session_scope, transaction
from storage.models import CheckOutcome, utcnow
from storage.record import Decision
from storage.sources import source_overrides

logger = logging.getLogger(__name__)

T = TypeVar("T")


def setting(
    settings: BaseSettings,
    name: str,
    read: Callable[[str], T],
    check: Callable[[T], bool] | None = None,
    wants: str = "",
) -> T:
    """``read(name)`` (``settings.getint`` and the like), or UsageError naming ``name``.

    The default is settings.py's, never repeated here. ``check`` rejects a value
    that reads but makes no sense; ``wants`` says what would.
    """
    if name not in settings:
        raise UsageError(f"{name} is not set: settings.py defines every REDLINE_* default")
    try:
        value = read(name)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{name}={settings.get(name)!r}: {wants or exc}") from exc
    if check is not None and not check(value):
        raise UsageError(f"{name}={settings.get(name)!r}: {wants}")
    return value


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
                found = self.examine_here(args) if pool is None else await self._in_pool(pool, args)
            except ValueError as exc:  # a bad per-site selector: the page's error, not the crawl's
                item.extraction_error = f"extraction failed: {exc}"
            else:
                item.same_region, item.extracted, item.region_key, item.hint, item.warc_response = found
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        self.release_workers()


def fold_sitewide_lines(session: Session, since: dt.datetime) -> int:
    """Fold this crawl's template lines (records detected since ``since``) into
    metadata: the same line added to many articles of a site at once (pipeline/sitewide.py)."""
    rows = queries.line_changes_since(session, since, LINE_KINDS)
    reasons = sitewide_lines(LineRecord(*row) for row in rows)
    return queries.relabel_as_metadata(session, reasons) if reasons else 0


def rules_from(settings: BaseSettings) -> Rules:
    """The rules a fetch is decided by, from REDLINE_RECHECK, REDLINE_TIME_SCALE,
    REDLINE_MIN_TEXT_RATIO and REDLINE_STORE_RAW_HTML."""
    scale = setting(settings, "REDLINE_TIME_SCALE", settings.getfloat, lambda x: x > 0, "a factor above 0")
    recheck = setting(settings, "REDLINE_RECHECK", settings.getdict)
    try:
        policy = RecheckPolicy.from_mapping(recheck, time_scale=scale)
    except (TypeError, ValueError, KeyError) as exc:
        raise UsageError(f"REDLINE_RECHECK: {exc}") from exc
    return Rules(
        policy,
        setting(settings, "REDLINE_MIN_TEXT_RATIO", settings.getfloat, lambda r: 0 <= r <= 1, "a share from 0 to 1"),
        setting(settings, "REDLINE_STORE_RAW_HTML", settings.getbool),
        _confirm_after(settings, scale),
    )


def _confirm_after(settings: BaseSettings, scale: float) -> dt.timedelta | None:
    seconds = setting(settings, "REDLINE_CONFIRM_AFTER", settings.getfloat, lambda s: s >= 0, "seconds, 0 or more")
    return dt.timedelta(seconds=seconds / scale) if seconds else None


@functools.cache
def project_rules() -> Rules:
    """The rules settings.py gives, for code that stores pages outside a crawl (tests, benchmarks)."""
    settings = Settings()
    settings.setmodule("settings", priority="project")
    return rules_from(settings)


def record_page(
    session: Session, page: FetchedPage, rules: Rules | None = None, *, now: dt.datetime | None = None
) -> Decision:
    """Decide one fetch of one article (pipeline/outcome.py) and write it in the caller's session."""
    rules = rules or project_rules()
    now = now or utcnow()
    opened = record.open_article(session, page.article_id)
    if opened is None:
        logger.warning("fetched article %d no longer exists", page.article_id)
        return outcome.MISSING
    unreadable: str | None = None
    try:
        version = record.latest_version(session, opened) if outcome.needs_latest(page, opened.state) else None
    except versiontext.CorruptText as exc:
        # The version this fetch must be compared with no longer reads: the article's failure, not the crawl's.
        logger.error("%s", exc)
        version, unreadable = None, f"stored version unreadable: {exc} (run `redline verify`)"
    latest = Latest.of(version) if version is not None else None
    decision = outcome.decide(
        page,
        opened.state,
        latest,
        rules,
        now=now,
        background=lambda: background_from(record.site_history(session, opened, latest.seq if latest else 0)),
        unreadable=unreadable,
    )
    record.apply(session, opened, decision)
    return decision


def record_quiet(
    session: Session, pages: Sequence[FetchedPage], rules: Rules, *, now: dt.datetime | None = None
) -> tuple[list[tuple[FetchedPage, Decision]], list[FetchedPage]]:
    """Decide quiet pages as :func:`record_page` would and write those the batch
    can settle together; return them with their decisions, and the pages left
    for :func:`record_page` (an article that is not active, has no version yet,
    was checked later by another worker, or comes twice).

    Raises :class:`~storage.batch.Raced` when an article moved under the batch.
    """
    now = now or utcnow()
    ids = [p.article_id for p in pages]
    repeated = {i for i in ids if ids.count(i) > 1}
    states = lock_states(session, ids)
    settled: list[tuple[FetchedPage, Decision]] = []
    left: list[FetchedPage] = []
    for page in pages:
        state = states.get(page.article_id)
        if state is None or page.article_id in repeated or not can_batch(state, page.fetched_at or now):
            left.append(page)
            continue
        decision = outcome.decide(page, state, None, rules, now=now)
        if fits_batch(decision):
            settled.append((page, decision))
        else:
            left.append(page)
    apply_batch(session, [d for _, d in settled])
    return settled, left


class StorePipeline:
    """Writes each page's check, version and changes in one transaction.

    Quiet pages (a 304, the same bytes, the gate said unchanged) are queued
    and written together (storage/batch.py): up to ``REDLINE_STORE_BATCH``
    pages (1 writes every page alone) or whatever arrived within
    ``REDLINE_STORE_BATCH_WAIT`` seconds share one transaction, written at
    once when the crawl holds no other page (its last ones). Either way a
    page is decided by pipeline/outcome.py. An item leaves this pipeline only
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
        self.queued: list[tuple[FetchedPage, asyncio.Future[Decision]]] = []
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
        decision = await self._queue(item) if self.batch_size > 1 and is_quiet(item) else self._store(item)
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

    def _queue(self, page: FetchedPage) -> asyncio.Future[Decision]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Decision] = loop.create_future()
        self.queued.append((page, future))
        engine = self.crawler.engine if self.crawler is not None else None
        if len(self.queued) >= self.batch_size or nothing_else_coming(engine, len(self.queued)):
            self.flush()
        elif self.timer is None:
            self.timer = loop.call_later(self.batch_wait, self.flush)
        return future

    def flush(self) -> None:
        """Write the queued quiet pages: together where the batch can, else one by one."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.queued = self.queued, []
        if not batch:
            return
        pages = [page for page, _ in batch]
        try:
            settled, _left = transaction(self.db_url, lambda session: record_quiet(session, pages, self.rules))
        except Raced as exc:
            logger.info("%s; storing its %d pages one by one", exc, len(pages))
            settled = []
        except Exception as exc:  # the database stayed unreachable through every retry
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        results = {id(page): decision for page, decision in settled}
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
