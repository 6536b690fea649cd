"""Fetch pages that build their article with JavaScript through headless Chromium.

A source with ``render = "browser"`` marks its requests ``meta["playwright"]``;
:class:`BrowserDownloadHandler` (scrapy-playwright's handler, installed for
http and https in settings.py) sends those through Debian's Chromium and every
other request through Scrapy's own HTTP handler, so one crawl mixes both.

What holds for a plain fetch holds here, because the browser never fetches on
its own:

* every request the page makes (the document, scripts, XHR, frames) is checked
  by :func:`spiders.safety.url_problem` and then made with ``max_redirects=0``;
* a redirect of the document is handed back to Scrapy as a 3xx response, so
  its next hop is a new Scrapy request that passes the safety middleware and
  robots.txt again; a script's redirects are followed here, hop by hop, each
  one checked;
* the document request carries Scrapy's headers, so conditional GETs (a 304),
  the user agent and robots.txt (a downloader middleware) are the same;
* ``DOWNLOAD_TIMEOUT`` bounds the navigation and every sub-request.

The browser is started at the first browser request of a crawl (a crawl with no
such request never starts Playwright) and closed when the crawl ends. Playwright's
driver exits when the crawl process dies, even by SIGKILL (its stdin closes), and
kills the browser it launched (tests/test_render.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Request as PlaywrightRequest
from playwright.async_api import Route
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from spiders.safety import private_allowed, url_problem

logger = logging.getLogger(__name__)

# The document's redirect target travels back to Scrapy under this header (see module docstring).
HIDDEN_LOCATION = "x-redline-location"
# Chromium aborts a navigation answered 304; the document goes in as a 200 and Scrapy gets the 304.
HIDDEN_STATUS = "x-redline-status"
MAX_SUB_REDIRECTS = 5


def chromium_path() -> str:
    """Debian's Chromium binary (Playwright cannot download its own browser here)."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright, started lazily, with redline's safety rules on every request the page makes."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.allow_private = settings.getbool("REDLINE_ALLOW_PRIVATE") or private_allowed()
        self.timeout_ms = settings.getfloat("DOWNLOAD_TIMEOUT", 30) * 1000
        if self.config.navigation_timeout_ms is None:
            self.config.navigation_timeout_ms = self.timeout_ms
        self.config.launch_options.setdefault("executable_path", chromium_path())
        self._start_lock = asyncio.Lock()
        self._started = False

    # scrapy-playwright starts its driver when the engine starts: here only at the first browser request.
    async def _maybe_launch_in_thread(self) -> None:
        return None

    def _engine_started(self) -> Any:
        return None

    async def _download_request(self, request: Request, spider: Any = None) -> Response:
        async with self._start_lock:
            if not self._started:
                logger.info("starting the browser (%s)", self.config.launch_options.get("executable_path"))
                await self._launch()
                self._started = True
        response = await super()._download_request(request, spider)
        location, status = response.headers.get(HIDDEN_LOCATION), response.headers.get(HIDDEN_STATUS)
        response.headers.pop(HIDDEN_LOCATION, None)
        response.headers.pop(HIDDEN_STATUS, None)
        if location:
            response.headers[b"Location"] = location
        if status:
            response = response.replace(status=int(status), body=b"")
        return response

    async def _close(self) -> None:
        if self._started:
            await super()._close()

    def _refused(self, url: str) -> str | None:
        return url_problem(url, allow_private=self.allow_private)

    def _make_request_handler(
        self,
        context_name: str,
        method: str,
        url: str,
        headers: Any,
        body: bytes | None,
        encoding: str,
        spider: Any,
        initial_request_done: asyncio.Event,
    ) -> Callable[[Route, PlaywrightRequest], Any]:
        async def handle(route: Route, request: PlaywrightRequest) -> None:
            if problem := self._refused(request.url):
                logger.warning("browser: refused %s: %s", request.url, problem)
                self.stats.inc_value("redline/browser/refused")
                await route.abort("blockedbyclient")
                return
            document = (
                request.is_navigation_request()
                and request.url.rstrip("/") == url.rstrip("/")
                and not initial_request_done.is_set()
            )
            if document:
                initial_request_done.set()
                sent = {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in headers.items()}
                # Playwright's own request client decodes what it asks for; Scrapy asks for more (zstd).
                sent.pop("accept-encoding", None)
            else:
                sent = await request.all_headers()
            try:
                await self._fetch_and_fulfil(route, request, sent, document)
            except PlaywrightError as exc:
                logger.info("browser: %s failed: %s", request.url, exc)
                with contextlib.suppress(PlaywrightError):  # the page may be closed already
                    await route.abort("failed")

        return handle

    async def _fetch_and_fulfil(
        self, route: Route, request: PlaywrightRequest, headers: dict[str, str], document: bool
    ) -> None:
        target = request.url
        for _hop in range(MAX_SUB_REDIRECTS + 1):
            fetched = await route.fetch(url=target, headers=headers, max_redirects=0, timeout=self.timeout_ms)
            location = fetched.headers.get("location")
            if document and fetched.status == 304:
                shown = {**fetched.headers, HIDDEN_STATUS: "304"}
                await route.fulfill(status=200, headers=shown, body=b"")
                return
            if not (300 <= fetched.status < 400 and location):
                await route.fulfill(response=fetched)
                return
            if document:
                # Chromium would follow it unseen: Scrapy follows it instead, through every middleware.
                shown = {k: v for k, v in fetched.headers.items() if k != "location"}
                shown[HIDDEN_LOCATION] = location
                await route.fulfill(status=fetched.status, headers=shown, body=b"")
                return
            target = urljoin(target, location)
            if problem := self._refused(target):
                logger.warning("browser: refused redirect to %s: %s", target, problem)
                self.stats.inc_value("redline/browser/refused")
                await route.abort("blockedbyclient")
                return
        await route.abort("failed")
