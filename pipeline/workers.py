"""Extraction worker processes: how they start, when they leave, and the set a
process keeps between its crawls.

A ``redline crawl`` runs one crawl, and its workers end with it. The daemon
runs a crawl per cycle in one process; starting two workers costs the fork
server's import of extraction (0.2-0.3 s of CPU, the workers then import
nothing: pipeline/workerside.py) and 0.3 s before their first answer, a good
part of a cycle of gated rechecks. So a crawl run with ``REDLINE_EXTRACT_KEEP_WORKERS``
(the daemon sets it) leaves its workers in :data:`KEPT` when it ends, and the
next crawl of the process starts with them warm.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import statistics
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.statscollectors import StatsCollector

from pipeline import workerside
from pipeline.examine import Examined, examine
from pipeline.items import ARTICLES_TO_CHECK

logger = logging.getLogger(__name__)

PRELOAD = "pipeline.warm"  # extraction's first-use loading, done once in the fork server (preload())


def worker_context() -> multiprocessing.context.BaseContext:
    """How extraction workers start. Not fork: the crawl process runs a reactor
    and database pools. A fork server (where the platform has one) imports
    extraction once (see :func:`preload`) and forks every worker from it;
    spawn imports it again in each worker (about 0.6 s of CPU apiece, on the
    core the workers share)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(preload())
    return context


def preload() -> list[str]:
    """What the fork server imports before it forks the workers: extraction,
    and pipeline/warm.py once this process has needed dateparser (its pages
    write dates out in words). Warming costs the server 0.3 s of CPU and saves
    each worker as much; on a site that declares its dates no worker would
    ever load dateparser, so it is not warmed there."""
    modules = [examine.__module__, workerside.__name__]  # what a worker runs (pipeline/workerside.py)
    return [*modules, PRELOAD] if "dateparser" in sys.modules else modules


def start(workers: int) -> ProcessPoolExecutor:
    """``workers`` extraction processes that leave when this process does."""
    logger.info("extracting in %d worker processes", workers)
    return ProcessPoolExecutor(
        workers, mp_context=worker_context(), initializer=workerside.leave_with, initargs=(os.getpid(),)
    )


def warm(workers: int, keep: bool) -> Future[ProcessPoolExecutor]:
    """Start ``workers`` processes on a thread; the future holds the pool once every one answers.

    Starting blocks for as long as the fork server takes to import extraction
    (0.3 s and more): on the crawl's own thread that is a reactor standing
    still. Off it, the crawl goes on fetching while the pages to examine wait
    for the workers (:meth:`Examiner._pool`). ``keep``: the pool is the one
    :data:`KEPT` holds for the process's next crawl."""
    started: Future[ProcessPoolExecutor] = Future()

    def run() -> None:
        pool = None
        try:
            pool = KEPT.get(workers) if keep else start(workers)
            # A pool forks a worker per task while none is idle: one task each starts them all.
            for answer in [pool.submit(workerside.ready) for _ in range(workers)]:
                answer.result()
        except Exception as exc:  # handed to the crawl, which then examines its pages itself
            if keep:
                KEPT.drop()
            elif pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            started.set_exception(exc)
        else:
            started.set_result(pool)

    threading.Thread(target=run, name="redline-start-workers", daemon=True).start()
    return started


PROJECT_AFTER = 20  # pages seen before a crawl's examine CPU is projected onto the rest
# A projection starts workers only this far past REDLINE_EXTRACT_POOL_AFTER: pages wait 0.3 s and
# more for them, which a crawl of a few hundred articles near the threshold loses (bench/replay.py).
PROJECTED_MARGIN = 2.0


class Examiner:
    """Where a crawl examines its pages: in its own process, or in workers it
    starts when examining costs enough (the base of ExtractPipeline, which says when).

    ``processes``: None for "auto", else that many workers from the first page
    (0: never); ``after``: seconds of examine CPU in this process before "auto"
    starts them; ``keep``: leave them running for the process's next crawl;
    ``stats``: the crawl's stats, where the spider says how many articles it checks.
    """

    def __init__(self, processes: int | None, after: float, keep: bool, stats: StatsCollector | None) -> None:
        self.processes = processes
        self.after = after
        self.keep = keep
        self.stats = stats
        self.examined_cpu = 0.0
        self.seen = 0  # pages seen, examined or not
        self.costs: list[float] = []  # CPU seconds of each page examined in this process
        self.pool: ProcessPoolExecutor | None = None
        self.warming: Future[ProcessPoolExecutor] | None = None  # "auto" starting its workers (warm())
        self.decided = False

    def examine_here(self, args: tuple[Any, ...]) -> Examined:
        """examine(*args) in this process, its CPU counted."""
        started = time.thread_time()
        found = examine(*args)
        self.costs.append(time.thread_time() - started)
        self.examined_cpu += self.costs[-1]
        return found

    def _workers(self) -> int | None:
        """How many workers to start now; None: not decided yet."""
        if self.processes is not None:
            return self.processes
        if self.examined_cpu <= self.after and self.projected_cpu() <= PROJECTED_MARGIN * self.after:
            return None
        return 2 if (os.cpu_count() or 1) > 1 else 0

    def projected_cpu(self) -> float:
        """The CPU examining pages costs this crawl, spent or on course to be, once
        a few pages tell: what it spent, plus the articles left (the spider's count)
        times the share of pages it examined times what a typical one cost (the
        median: the odd new version costs ten gate checks). A first crawl or a
        recheck of a thousand changed pages starts its workers within its first
        pages instead of examining 0.5 s of them on the reactor's thread; a cycle
        of a few hundred mostly unchanged articles still never starts them."""
        total = self.stats.get_value(ARTICLES_TO_CHECK) if self.stats is not None else None
        if not isinstance(total, int) or self.seen < PROJECT_AFTER or total <= self.seen or not self.costs:
            return self.examined_cpu
        share = len(self.costs) / self.seen
        return self.examined_cpu + (total - self.seen) * share * statistics.median(self.costs)

    async def _pool(self) -> ProcessPoolExecutor | None:
        """The pool for this page's extraction, or None to extract here.

        Once "auto" decides to start workers, pages wait for them and the crawl
        does not: starting them takes the fork server 0.3 s and more, which on
        this thread would stop every fetch (pipeline/workers.py warm())."""
        if self.decided:
            return self.pool
        if self.warming is None:
            if self.keep and KEPT.pool is not None and self.processes != 0:
                self.decided, self.pool = True, KEPT.pool  # warm from an earlier crawl of this process
                return self.pool
            workers = self._workers()
            if workers is None:
                return None
            if workers == 0 or self.processes is not None:  # a number: its workers from the first page on
                self.decided = True
                if workers > 0:
                    self.pool = KEPT.get(workers) if self.keep else start(workers)
                return self.pool
            self.warming = warm(workers, self.keep)
        try:
            pool = await asyncio.wrap_future(self.warming)
        except Exception as exc:
            pool = None
            if not self.decided:
                logger.warning("the extraction workers did not start (%s); extracting in the crawl's process", exc)
        if not self.decided:
            self.decided, self.pool = True, pool
        return self.pool

    async def _in_pool(self, pool: ProcessPoolExecutor, args: tuple[Any, ...]) -> Any:
        """examine(*args) in a worker. A worker that died (killed, out of memory)
        loses no page: this one and the rest of the crawl are examined here."""
        try:
            future = pool.submit(examine, *args)
        except RuntimeError:  # broken, or shut down by another crawl of this process that lost a worker
            logger.warning("the extraction workers are gone; extracting in the crawl's process from now on")
        else:
            try:
                return await asyncio.wrap_future(future)
            except BrokenProcessPool:
                logger.warning("an extraction worker died; extracting in the crawl's process from now on")
        self._drop_pool()
        return examine(*args)

    def _kept(self) -> bool:
        """Whether this crawl's workers are the ones its process keeps."""
        return self.pool is not None and self.pool is KEPT.pool

    def _drop_pool(self) -> None:
        if self._kept():
            KEPT.drop()
        elif self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None

    def release_workers(self) -> None:
        """At the crawl's end: keep the workers for the process's next crawl, or stop them."""
        if self.warming is not None and not self.decided:
            # Workers still starting as the crawl ends: wait for them, then keep or stop them as any.
            try:
                self.pool = self.warming.result()
            except Exception:
                self.pool = None
            self.decided = True
        if self._kept():
            self.pool = None  # the process's next crawl starts with them
        else:
            self._drop_pool()


class Kept:
    """The workers a process keeps between its crawls (the daemon's cycles)."""

    def __init__(self) -> None:
        self.pool: ProcessPoolExecutor | None = None
        self.size = 0

    def get(self, workers: int) -> ProcessPoolExecutor:
        """The kept pool, started (or restarted at another size) if need be."""
        if self.pool is None or self.size != workers:
            self.drop()
            self.pool, self.size = start(workers), workers
        return self.pool

    def drop(self) -> None:
        """Stop the kept workers (a worker died, or the daemon stops)."""
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


KEPT = Kept()
