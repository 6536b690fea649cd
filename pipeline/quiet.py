"""Quiet pages: fetches that say the article is as it was, or nothing at all.

Most rechecks learn nothing new: a 304, the same bytes again, or new
furniture around an article the gate (pipeline/gate.py) found as it was. Their decision (pipeline/outcome.py) is a
check row and the article's next check time, so StorePipeline writes them many
to a transaction (storage/batch.py ``apply_batch``). So is a page whose
extraction is empty (a video page, a script-built shell): its check says so,
and no version is read or written.
"""

from __future__ import annotations

from typing import Any

from pipeline.items import FetchedPage
from pipeline.outcome import empty_page


def is_quiet(page: FetchedPage) -> bool:
    """A page that says the article is as it was: a 304, or a 200 whose bytes
    match the last fetch or that the gate called unchanged (no extraction was
    needed); or a 200 whose extraction is empty."""
    if page.error or page.extraction_error or page.retry_after:
        return False
    if page.http_status == 304:
        return True
    redirected = page.final_url is not None and page.final_url != page.url
    return page.http_status == 200 and not redirected and (page.same_body or page.same_region or empty_page(page))


def nothing_else_coming(engine: Any, waiting: int) -> bool:
    """Whether the crawl holds no page but the ``waiting`` ones queued for a
    batch: every start request sent, nothing scheduled or downloading, and no
    other response in the spider or the pipelines. Then the batch has all it
    will get, and waiting ``REDLINE_STORE_BATCH_WAIT`` more only delays the
    crawl's end (50 ms of every cycle, 5 % of a 300-article recheck). Reads the
    engine's own bookkeeping, as ``ExecutionEngine.spider_is_idle`` does; with
    an engine that keeps it elsewhere the answer is no, and the timer decides."""
    try:
        scraper = engine.scraper.slot
        return bool(
            scraper is not None
            and not scraper.queue
            and len(scraper.active) <= waiting
            and not engine.downloader.active
            and engine._start is None
            and engine._slot is not None
            and not engine._slot.scheduler.has_pending_requests()
        )
    except AttributeError:
        return False
