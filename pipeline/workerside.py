"""What an extraction worker process runs besides examine(): its start and its first answer.

Kept apart from pipeline/workers.py, which imports Scrapy and the database
layer for the crawl's side of the pool. A worker unpickles its initializer and
its tasks by module name: with these functions in pipeline/workers.py every
worker forked from the fork server imported Scrapy and SQLAlchemy again
(0.52 s of CPU apiece, on the cores the crawl shares, and two workers' first
answers 0.86 s after they were asked for, now 0.29 s). The fork server
preloads this module with extraction (pipeline/workers.py ``preload()``), so a
worker starts with nothing left to import.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from pipeline import heap


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


def ready() -> int:
    """A worker's first task: it answers once the worker runs."""
    return os.getpid()
