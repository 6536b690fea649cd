"""The article spider: fetch tracked articles with conditional GETs.

Which articles: ``-a select=due`` (default), ``-a select=all``, or ``-a urls=…``
(comma-separated). It never writes to the database itself; every outcome,
failures included, becomes a :class:`~pipeline.items.FetchedPage` for the
pipelines.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pipeline.items import ARTICLES_TO_CHECK, FetchedPage, body_digest
from spiders.capture import exchange_of
from storage.db import open_database, session_scope
from storage.models import utcnow
from storage.queries import ArticleRef, articles_to_check

logger = logging.getLogger(__name__)


def render_meta(render: str | None) -> dict[str, Any]:
    """Request meta that sends a source's pages through the headless browser (spiders/browser.py)."""
    return {"playwright": True} if render == "browser" else {}


# Every status the pipelines must see; 3xx are left to RedirectMiddleware.
HANDLED_STATUSES = [304, 400, 401, 403, 404, 410, 429, 451, 500, 502, 503, 504]


class ArticleSpider(scrapy.Spider):
    name = "article"
    handle_httpstatus_list = HANDLED_STATUSES

    def __init__(self, select: str = "due", urls: str | None = None, limit: str | int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.select = select
        self.urls = [u for u in (urls or "").split(",") if u] or None
        self.limit = int(limit) if limit else None
        self.refs: list[ArticleRef] | None = kwargs.get("refs")

    def load_refs(self) -> list[ArticleRef]:
        if self.refs is not None:
            return self.refs
        url = open_database(self.settings.get("REDLINE_DB"))
        with session_scope(url) as session:
            return articles_to_check(session, everything=self.select == "all", urls=self.urls, limit=self.limit)

    async def start(self) -> AsyncIterator[Any]:
        refs = self.load_refs()
        logger.info("checking %d article(s)", len(refs))
        if self.crawler.stats is not None:  # how big this crawl is: when to start extraction workers
            self.crawler.stats.set_value(ARTICLES_TO_CHECK, len(refs))
        for ref in refs:
            yield self.request_for(ref)

    def request_for(self, ref: ArticleRef) -> scrapy.Request:
        headers = {}
        if ref.etag:
            headers["If-None-Match"] = ref.etag
        if ref.last_modified:
            headers["If-Modified-Since"] = ref.last_modified
        return scrapy.Request(
            ref.url,
            headers=headers,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            meta={
                "article_id": ref.id,
                "started": time.monotonic(),
                "body_hash": ref.body_hash,
                "region_key": ref.region_key,
                "source_id": ref.source_id,
                **render_meta(ref.render),
            },
        )

    # Callbacks return their one item rather than yield it: Scrapy parses the
    # source of every generator callback on every response to warn about
    # `return` values (about 1 ms a page, uncached for bound methods).
    def parse(self, response: Response, **kwargs: Any) -> Any:
        meta = response.meta
        header = response.headers.get
        body_hash = body_digest(response.body) if response.status == 200 else None
        # The same bytes as last time are not decoded: nothing downstream reads them.
        same_body = body_hash is not None and body_hash == meta.get("body_hash")
        # A text page goes to extraction as bytes and the encoding to decode them with (pipeline/items.py).
        body = encoding = None
        if response.status == 200 and not same_body and isinstance(response, TextResponse):
            try:
                body, encoding = response.body, response.encoding
            except (UnicodeDecodeError, LookupError) as exc:
                logger.warning("undecodable page %s: %s", response.url, exc)
        return FetchedPage(
            article_id=meta["article_id"],
            url=(meta.get("redirect_urls") or [response.url])[0],
            final_url=response.url,
            http_status=response.status,
            body=body,
            encoding=encoding,
            etag=(header(b"ETag") or b"").decode("latin-1") or None,
            last_modified=(header(b"Last-Modified") or b"").decode("latin-1") or None,
            duration_ms=(time.monotonic() - meta["started"]) * 1000,
            error=None if body is not None or same_body or response.status != 200 else "response is not text",
            body_hash=body_hash,
            previous_body_hash=meta.get("body_hash"),
            previous_region_key=meta.get("region_key"),
            retry_after=retry_after(header(b"Retry-After")) if response.status in (429, 503) else None,
            fetched_at=utcnow(),
            exchange=exchange_of(response) if body is not None else None,
            # Which source's extraction overrides apply (pipeline/overrides.py).
            source_id=meta.get("source_id"),
        )

    def failed(self, failure: Failure) -> Any:
        request = failure.request  # type: ignore[attr-defined]
        status = None
        if isinstance(failure.value, HttpError):
            status = failure.value.response.status
        error = describe_failure(failure)
        logger.info("fetch failed %s: %s", request.url, error)
        return FetchedPage(
            article_id=request.meta["article_id"],
            url=request.url,
            http_status=status,
            duration_ms=(time.monotonic() - request.meta["started"]) * 1000,
            error=error,
            fetched_at=utcnow(),
        )


# What a failed download means, for the article's last_error (the raw message follows).
FAILURE_MEANINGS: dict[type[BaseException], str] = {
    DownloadTimeoutError: "timeout: no complete response within DOWNLOAD_TIMEOUT",
    ResponseDataLossError: "the response body was cut short (data loss)",
    DownloadConnectionRefusedError: "connection refused",
    CannotResolveHostError: "the host name does not resolve",
    DownloadCancelledError: "download cancelled (larger than DOWNLOAD_MAXSIZE?)",
    DownloadFailedError: "the connection failed",
}
# IgnoreRequest carries its reason only in its message.
IGNORED_MEANINGS = (
    ("robots.txt", "forbidden by robots.txt"),
    ("refused target", "refused"),
    ("redirect", "too many redirects (a redirect loop?)"),
    ("maxsize", "larger than DOWNLOAD_MAXSIZE"),
    ("max size", "larger than DOWNLOAD_MAXSIZE"),
)


def describe_failure(failure: Failure) -> str:
    """One line a reader understands, then the exception as Scrapy/Twisted gave it."""
    exc = failure.value
    name = type(exc).__name__
    raw = failure.getErrorMessage() or name
    if type(exc).__module__.startswith("playwright"):
        raw = raw.strip().splitlines()[0] if raw.strip() else name  # its call log follows on more lines
    meaning = next((text for cls, text in FAILURE_MEANINGS.items() if isinstance(exc, cls)), None)
    if isinstance(exc, IgnoreRequest):
        meaning = next((text for key, text in IGNORED_MEANINGS if key in raw.lower()), "request dropped")
    if meaning is None and type(exc).__module__.startswith("playwright") and name == "TimeoutError":
        meaning = "timeout: the browser got no complete page within DOWNLOAD_TIMEOUT"
    if meaning is None and "reset" in raw.lower():
        meaning = "the connection was reset"
    return f"{meaning}: {name}: {raw}" if meaning else f"{name}: {raw}"


def retry_after(value: bytes | None, now: float | None = None) -> float | None:
    """Seconds a 429/503 asks us to wait: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))
