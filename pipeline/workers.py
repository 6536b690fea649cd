"""Extraction worker processes: how they start, when they leave, and the set a
process keeps between its crawls.

A ``redline crawl`` runs one crawl, and its workers end with it. The daemon
runs a crawl per cycle in one process; starting two workers costs about half a
second of CPU and half a second before their first answer, more than a cycle
of gated rechecks takes. So a crawl run with ``REDLINE_EXTRACT_KEEP_WORKERS``
(the daemon sets it) leaves its workers in :data:`KEPT` when it ends, and the
next crawl of the process starts with them warm.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor

from pipeline import heap
from pipeline.examine import examine

logger = logging.getLogger(__name__)

PRELOAD = "pipeline.warm"  # extraction's first-use loading, done once in the fork server (preload())


def leave_with(crawl: int) -> None:
    """Worker initializer: exit once the crawl process (pid ``crawl``) is gone.

    A crawl killed with SIGKILL (or by the OOM killer) cannot shut its pool
    down, and its idle workers would wait on their queue for ever. A worker's
    parent is the crawl (spawn) or the fork server, which outlives the crawl as
    long as a worker holds the fd it watches (forkserver): so the worker
    watches the crawl's pid itself, and its own parent.
    Ctrl-C reaches the whole process group: the crawl stops its workers itself
    (close_spider), so they ignore it rather than each print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    heap.settle()  # what the fork server loaded is never garbage (pipeline/heap.py)
    parent = os.getppid()

    def crawl_alive() -> bool:
        try:
            os.kill(crawl, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # a pid reused by another user's process: ours is gone
            return False
        return True

    def watch() -> None:
        while os.getppid() == parent and crawl_alive():
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="redline-parent-watch", daemon=True).start()


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
    return [examine.__module__, PRELOAD] if "dateparser" in sys.modules else [examine.__module__]


def start(workers: int) -> ProcessPoolExecutor:
    """``workers`` extraction processes that leave when this process does."""
    logger.info("extracting in %d worker processes", workers)
    return ProcessPoolExecutor(workers, mp_context=worker_context(), initializer=leave_with, initargs=(os.getpid(),))


def ready() -> int:
    """A worker's first task: it answers once the worker runs."""
    return os.getpid()


def warm(workers: int, keep: bool) -> Future[ProcessPoolExecutor]:
    """Start ``workers`` processes on a thread; the future holds the pool once every one answers.

    Starting blocks for as long as the fork server takes to import extraction
    (0.3 s and more): on the crawl's own thread that is a reactor standing
    still while pages wait. Off it, the crawl goes on examining pages itself
    until the workers are there. ``keep``: the pool is the one :data:`KEPT`
    holds for the process's next crawl."""
    started: Future[ProcessPoolExecutor] = Future()

    def run() -> None:
        pool = None
        try:
            pool = KEPT.get(workers) if keep else start(workers)
            # A pool forks a worker per task while none is idle: one task each starts them all.
            for answer in [pool.submit(ready) for _ in range(workers)]:
                answer.result()
        except Exception as exc:  # handed to the crawl, which goes on examining pages itself
            if keep:
                KEPT.drop()
            elif pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            started.set_exception(exc)
        else:
            started.set_result(pool)

    threading.Thread(target=run, name="redline-start-workers", daemon=True).start()
    return started


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
