"""The garbage collector's settings for a crawl process and its extraction workers.

A crawl allocates hundreds of thousands of short-lived objects (Twisted's
deferreds, Scrapy's requests and responses, parse trees) on top of about
100,000 container objects loaded at start (Scrapy, SQLAlchemy, trafilatura,
lxml) that live as long as the process. CPython's default
collector counts 700 new container objects between young collections and
walks the whole heap at every full one: measured on the furniture phase of
``bench/crawl_throughput.py`` (1,200 real pages), the crawl's reactor thread
spent 0.61 s of its 4.7 s of CPU collecting, 0.12-0.15 s with :func:`settle`,
and the crawl ran in 5.0-5.1 s instead of 5.6-5.8.

:func:`settle` moves what is loaded so far out of the collector's sight
(``gc.freeze``: it is never garbage) and lets the young generation grow to
10,000 objects before a collection (a cycle of garbage lives a little longer;
what a crawl holds is the same). Called where a process is about to crawl
(spiders/runner.py, scheduler.py) and in each extraction worker
(pipeline/workerside.py).
"""

from __future__ import annotations

import gc

YOUNG = 10_000  # container objects allocated between two young collections (CPython's default: 700)


def settle() -> None:
    """Freeze what this process has loaded and collect young objects less often."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)
