"""The daemon (`redline run`): when to crawl what, for months, in one process.

One long-lived process runs Scrapy's asyncio reactor; APScheduler 3.x's
``AsyncIOScheduler`` shares its event loop and owns three kinds of jobs:

``discover:<id>``  one per source, every ``source.every_seconds``: read the feed,
                   sitemap or front page and track the articles it lists;
``recheck``        every minute: fetch a batch of due articles (a fresh crawler
                   through ``AsyncCrawlerRunner`` each time), with a per-domain budget;
``housekeeping``   every 30 s: sync source jobs with the database, outlet edit
                   rates, the heartbeat that ``redline status`` reads, metrics gauges;
                   a sampled ``redline verify`` and a SQLite checkpoint (docs/evidence.md);
                   once an hour, the ``[retention]`` policy (storage/retention.py).

Every job has ``max_instances=1`` and ``coalesce=True``: a slow cycle delays
the next instead of stacking copies. A job that raises is logged and counted
(``EVENT_JOB_ERROR``) and the daemon goes on. The schedule lives in the
database (``next_check_at``, ``next_run_at``), so a restart resumes it.
SIGTERM/SIGINT stop scheduling, let the cycle in flight finish (each page is
its own transaction) and exit 0 within 30 s.

``--role scheduler`` (distributed mode, docs/scaling.md) holds leadership
through a PostgreSQL advisory lock and hands due articles to ``redline worker``
processes through Redis instead of fetching them itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import logging
import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from pipeline import heap
from spiders.metrics import Metrics
from storage import schedule, sources
from storage.db import open_database, session_scope
from storage.models import utcnow
from storage.queries import ArticleRef, articles_to_check
from storage.sites import host_of

logger = logging.getLogger(__name__)

RECHECK_EVERY = 60.0  # seconds between recheck batches (divided by the time scale)
HOUSEKEEPING_EVERY = 30.0
ALERTS_EVERY = 60.0  # seconds between alert rounds, with --alerts (divided by the time scale)
ALERTS_LOOKBACK = dt.timedelta(hours=24)  # changes older than this are never announced
MIN_INTERVAL = 0.5  # however fast the clock, jobs never spin faster than this
PRUNE_EVERY = 3600.0  # seconds between retention passes (divided by the time scale)
PRUNE_BATCHES = 20  # at most this many batches of old checks a pass: a first prune of months spreads out
STOP_GRACE = 20.0  # seconds the cycle in flight gets after SIGTERM before its crawlers are stopped
VERIFY_SAMPLE = 20  # versions re-hashed (text chain and WARC records) at each housekeeping
CHECKPOINT_BUSY_MS = 1000  # a housekeeping checkpoint waits no longer for the crawl's writes


@dataclass
class DaemonOptions:
    db_url: str
    once: bool = False
    time_scale: float = 1.0
    duration: float | None = None  # stop cleanly after this many real seconds
    metrics_port: int | None = None  # None or 0: no metrics server
    batch_size: int = 500
    settings: dict[str, Any] = field(default_factory=dict)  # Scrapy settings overrides (-s, config)
    recheck: dict[str, Any] = field(default_factory=dict)  # the [recheck] config table
    role: str = "single"  # single | scheduler
    redis_url: str | None = None
    on_cycle: Callable[[dict[str, Any]], None] | None = None
    # One alert round (`redline run --alerts`, review/alerts.py:alert_round): sends what is due
    # for the changes detected since the given time; returns a line to log, or None.
    alerts: Callable[[dt.datetime], str | None] | None = None
    retention: dict[str, Any] = field(default_factory=dict)  # the [retention] config table


class Daemon:
    def __init__(self, options: DaemonOptions, loop: asyncio.AbstractEventLoop):
        from scrapy.crawler import AsyncCrawlerRunner

        from pipeline.recheck import RecheckPolicy
        from spiders.runner import build_settings

        self.opts = options
        self.loop = loop
        self.db_url = open_database(options.db_url)
        scale = options.time_scale
        self.policy = RecheckPolicy.from_mapping(options.recheck, time_scale=scale)
        settings = build_settings(
            self.db_url,
            {
                "REDLINE_TIME_SCALE": scale,
                "REDLINE_RECHECK": options.recheck,
                # Every cycle is a crawl: its extraction workers serve the next one (pipeline/workers.py).
                "REDLINE_EXTRACT_KEEP_WORKERS": True,
                **options.settings,
            },
        )
        settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
        self.runner = AsyncCrawlerRunner(settings)
        self.scheduler = AsyncIOScheduler(event_loop=loop, job_defaults={"coalesce": True, "max_instances": 1})
        self.scheduler.add_listener(self._job_failed, EVENT_JOB_ERROR)
        self.metrics = Metrics()
        self.stopping = False
        self.exit_code = 0
        self.leader: Any = None
        self.redis: Any = None
        from storage.retention import RetentionPolicy

        self.retention = RetentionPolicy.from_mapping(options.retention)
        self.next_prune = 0.0  # time.monotonic() of the next retention pass

    def every(self, seconds: float) -> float:
        return max(MIN_INTERVAL, seconds / self.opts.time_scale)

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(sig, self.request_stop, sig.name)
        if self.opts.metrics_port:
            self.metrics.serve(self.opts.metrics_port)
        if self.opts.role == "scheduler":
            self._start_distributed()
        self._write_state(status="running", started=True)
        logger.info("daemon started (role %s, time scale %g)", self.opts.role, self.opts.time_scale)
        if self.opts.once:
            try:
                await self.run_once()
            finally:
                await self.stop("--once finished")
            return
        self.scheduler.add_job(
            self.housekeeping,
            "interval",
            seconds=self.every(HOUSEKEEPING_EVERY),
            id="housekeeping",
            next_run_time=dt.datetime.now(dt.UTC),
        )
        self.scheduler.add_job(
            self.recheck,
            "interval",
            seconds=self.every(RECHECK_EVERY),
            id="recheck",
            next_run_time=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.2),
        )
        if self.opts.alerts is not None:
            self.scheduler.add_job(self.alerts, "interval", seconds=self.every(ALERTS_EVERY), id="alerts")
        self.scheduler.start()
        if self.opts.duration:
            self.loop.call_later(self.opts.duration, self.request_stop, f"--duration {self.opts.duration:g} s")

    def request_stop(self, reason: str) -> None:
        if not self.stopping:
            self.loop.create_task(self.stop(reason))

    async def stop(self, reason: str) -> None:
        if self.stopping:
            return
        self.stopping = True
        logger.info("stopping: %s", reason)
        # Pause, not shut down: shutting down cancels the running jobs, and with them the cycle in flight.
        if self.scheduler.running:
            self.scheduler.pause()
        try:
            await asyncio.wait_for(self.runner.join(), timeout=STOP_GRACE)
        except TimeoutError:
            logger.warning("the cycle in flight did not finish in %.0f s: stopping its crawlers", STOP_GRACE)
            await self.runner.stop()
        await asyncio.sleep(0)  # let the finished job report back before the executor goes
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.leader is not None:
            self.leader.release()
        self._write_state(status="stopped")
        _reactor().stop()

    def _job_failed(self, event: JobExecutionEvent) -> None:
        job = event.job_id.split(":")[0]
        logger.error("job %s raised %r; the daemon goes on", event.job_id, event.exception)
        self.metrics.job_errors.labels(job).inc()
        with session_scope(self.db_url) as session:
            state = schedule.daemon_state_row(session)
            state.job_errors += 1
            state.last_job_error = f"{event.job_id}: {event.exception!r}"[:2000]

    # -- jobs -------------------------------------------------------------------------------
    async def run_once(self) -> None:
        """One cycle for cron: discovery of every due source, then every due article, in batches."""
        await self.discover_due_sources()
        for _ in range(100):
            if not await self.recheck():
                break
        await self.retain()

    async def recheck(self) -> int:
        """Fetch one batch of due articles (or, as the leader, hand it to the workers)."""
        if self.opts.role == "scheduler":
            return self._dispatch()
        refs = self.due_batch()
        if not refs:
            return 0
        from scrapy import signals

        from spiders.article import ArticleSpider

        started = time.monotonic()
        crawler = self.runner.create_crawler(ArticleSpider)
        crawler.signals.connect(lambda item, **_: self.metrics.page(item), signal=signals.item_scraped, weak=False)
        await self.runner.crawl(crawler, refs=refs)
        seconds = time.monotonic() - started
        self.metrics.cycle.observe(seconds)
        stats = crawler.stats.get_stats() if crawler.stats else {}
        outcomes = {k.rsplit("/", 1)[-1]: v for k, v in stats.items() if k.startswith("redline/checks/")}
        self._cycle_done(len(refs), seconds, outcomes)
        return len(refs)

    async def alerts(self) -> None:
        """Send the changes the alert rules want; a failing target is retried next round."""
        if self.opts.alerts is None:
            return
        line = await asyncio.to_thread(self.opts.alerts, utcnow() - ALERTS_LOOKBACK)
        if line:
            logger.info("alerts: %s", line)

    async def discover(self, source_id: int) -> None:
        if self.opts.role == "scheduler" and not self.leader.held:
            return
        from spiders.discovery import DiscoverySpider

        await self.runner.crawl(DiscoverySpider, source_ids=[source_id])

    async def discover_due_sources(self) -> None:
        now = utcnow()
        with session_scope(self.db_url) as session:
            due = sources.due_source_ids(session, now)
        if due:
            from spiders.discovery import DiscoverySpider

            await self.runner.crawl(DiscoverySpider, source_ids=list(due))

    async def housekeeping(self) -> None:
        self._sync_source_jobs()
        with session_scope(self.db_url) as session:
            schedule.update_edit_rates(session)
            self.metrics.due.set(schedule.due_count(session))
            for status, n in schedule.articles_by_status(session).items():
                self.metrics.tracked.labels(status).set(n)
            schedule.daemon_state_row(session).heartbeat_at = utcnow()
        if self.opts.role == "scheduler":
            self.leader.try_acquire()
        await asyncio.to_thread(self.keep_evidence)
        if time.monotonic() >= self.next_prune:
            self.next_prune = time.monotonic() + self.every(PRUNE_EVERY)
            await self.retain()

    def keep_evidence(self) -> None:
        """A sample of `redline verify`, reported in the state and the metrics; then a checkpoint."""
        from storage.db import checkpoint
        from storage.verify import verify

        with session_scope(self.db_url) as session:
            report = verify(session, sample=VERIFY_SAMPLE)
            state = schedule.daemon_state_row(session)
            state.verify_at = utcnow()
            state.verify_checked = report.versions
            state.verify_problems = len(report.problems)
            state.verify_first_problem = report.problems[0].line()[:2000] if report.problems else None
        self.metrics.verified(report.versions, len(report.problems))
        for problem in report.problems:
            logger.error("verify: %s", problem.line())
        checkpoint(self.db_url, busy_ms=CHECKPOINT_BUSY_MS)

    async def retain(self) -> int:
        """One retention pass: old checks go, versions and the checks that made them stay."""
        if self.opts.role == "scheduler" and not self.leader.held:
            return 0
        from storage.db import transaction
        from storage.retention import prune_checks

        before = self.retention.cutoff()
        total = 0
        for _ in range(PRUNE_BATCHES):
            deleted = await asyncio.to_thread(transaction, self.db_url, lambda s: prune_checks(s, before))
            total += deleted
            if not deleted:
                break
        if total:
            logger.info("retention: deleted %d check(s) from before %s", total, before.isoformat(timespec="seconds"))
        return total

    # -- helpers ----------------------------------------------------------------------------
    def due_batch(self) -> list[ArticleRef]:
        """Due articles, most overdue first, at most ``domain_budget`` per host."""
        with session_scope(self.db_url) as session:
            candidates = articles_to_check(session, limit=self.opts.batch_size * 4)
        per_host: Counter[str] = Counter()
        batch = []
        for ref in candidates:
            host = host_of(ref.url) or ""
            if per_host[host] >= self.policy.domain_budget:
                continue
            per_host[host] += 1
            batch.append(ref)
            if len(batch) >= self.opts.batch_size:
                break
        return batch

    def _sync_source_jobs(self) -> None:
        """One discovery job per source; sources added or removed while running are picked up here."""
        with session_scope(self.db_url) as session:
            plans = sources.source_schedules(session)
        wanted = {f"discover:{sid}" for sid in plans}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("discover:") and job.id not in wanted:
                job.remove()
        now = dt.datetime.now(dt.UTC)
        for sid, (every, next_run) in plans.items():
            job_id = f"discover:{sid}"
            if self.scheduler.get_job(job_id) is None:
                first = max(now, next_run.replace(tzinfo=dt.UTC)) if next_run else now
                self.scheduler.add_job(
                    self.discover, "interval", args=[sid], id=job_id, seconds=self.every(every), next_run_time=first
                )

    def _cycle_done(self, pages: int, seconds: float, outcomes: dict[str, int]) -> None:
        with session_scope(self.db_url) as session:
            state = schedule.daemon_state_row(session)
            state.cycles += 1
            state.last_cycle_at = state.heartbeat_at = utcnow()
            state.last_cycle_seconds = seconds
            state.last_cycle_pages = pages
        logger.info("cycle: %d page(s) in %.1f s %s", pages, seconds, outcomes)
        if self.opts.on_cycle:
            self.opts.on_cycle({"pages": pages, "seconds": seconds, "outcomes": outcomes})

    def _write_state(self, *, status: str, started: bool = False) -> None:
        with session_scope(self.db_url) as session:
            state = schedule.daemon_state_row(session)
            state.status = status
            state.heartbeat_at = utcnow()
            if started:
                state.pid, state.host, state.role = os.getpid(), socket.gethostname(), self.opts.role
                state.started_at, state.stopped_at = utcnow(), None
                state.time_scale = self.opts.time_scale
            else:
                state.stopped_at = utcnow()

    # -- distributed mode ---------------------------------------------------------------------
    def _start_distributed(self) -> None:
        import redis

        from storage.leader import LeaderLock

        self.leader = LeaderLock(self.db_url)
        self.redis = redis.Redis.from_url(self.opts.redis_url or "redis://127.0.0.1:6379/0")
        self.redis.ping()
        if not self.leader.try_acquire():
            logger.info("standing by: another scheduler holds the leadership")

    def _dispatch(self) -> int:
        if not self.leader.try_acquire():
            return 0
        from spiders.distributed import DEFAULT_LEASE, dispatch_due

        # A lease covers a worker's fetch, which no time scale makes faster: never under 30 s.
        lease = max(DEFAULT_LEASE / self.opts.time_scale, dt.timedelta(seconds=30))
        return dispatch_due(self.db_url, self.redis, lease=lease, limit=self.opts.batch_size)


class _ExpectedSkips(logging.Filter):
    """max_instances=1 makes a slow cycle skip the next run on purpose: not worth a warning each time."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def run_daemon(options: DaemonOptions) -> int:
    """Run until stopped (signal, --once, --duration); returns the exit status."""
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    reactor = _reactor()
    logging.getLogger("apscheduler.scheduler").addFilter(_ExpectedSkips())
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)  # no "Running job" per run
    loop = asyncio.get_event_loop()
    daemon = Daemon(options, loop)

    def begin() -> None:
        task = loop.create_task(daemon.start())
        task.add_done_callback(_crash_if_failed(daemon))

    reactor.callWhenRunning(begin)
    importlib.import_module("pipeline.pipelines")  # what every cycle's crawl loads: loaded before settling
    heap.settle()
    reactor.run(installSignalHandlers=False)
    from pipeline.workers import KEPT

    KEPT.drop()  # the extraction workers the cycles kept
    return daemon.exit_code


def _crash_if_failed(daemon: Daemon) -> Callable[[asyncio.Task[None]], None]:
    def check(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("the daemon could not start: %r", task.exception())
            daemon.exit_code = 1
            if _reactor().running:
                _reactor().stop()

    return check


def _reactor() -> Any:
    """The installed Twisted reactor (untyped: Twisted's interfaces do not describe it)."""
    from twisted.internet import reactor

    return reactor
