"""Quiet pages: fetches that say the article is as it was, or nothing at all.

Most rechecks learn nothing new: a 304, the same bytes again, or new
furniture around an article the gate (pipeline/gate.py) found as it was. Their decision (pipeline/outcome.py) is a
check row and the article's next check time, so StorePipeline writes them many
to a transaction (storage/record.py ``apply_batch``). So is a page whose
extraction is empty (a video page, a script-built shell): its check says so,
and no version is read or written.
"""

from __future__ import annotations

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
