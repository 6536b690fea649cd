"""Fetch one page, as a crawl would, and store nothing (`redline inspect URL`).

The request passes the same downloader middlewares as an article check: the
safety check on every redirect hop, robots.txt, timeouts, retries; with
``render="browser"`` it goes through the headless browser (spiders/browser.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders.article import describe_failure, render_meta


class FetchOnceSpider(scrapy.Spider):
    name = "fetch-once"
    custom_settings = {"ITEM_PIPELINES": {}, "RETRY_TIMES": 1}

    def __init__(self, url: str = "", render: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.url = url
        self.render = render

    async def start(self) -> AsyncIterator[Any]:
        meta = {"handle_httpstatus_all": True, **render_meta(self.render)}
        yield scrapy.Request(self.url, callback=self.parse, errback=self.failed, meta=meta)

    def parse(self, response: Response, **kwargs: Any) -> Any:
        text = None
        if hasattr(response, "text"):
            try:
                text = response.text
            except (UnicodeDecodeError, AttributeError):
                text = None
        return {"url": self.url, "final_url": response.url, "status": response.status, "html": text, "error": None}

    def failed(self, failure: Failure) -> Any:
        return {"url": self.url, "final_url": None, "status": None, "html": None, "error": describe_failure(failure)}
