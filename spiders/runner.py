"""Run the article spider once, in this process (the CLI's `crawl`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from twisted.python.failure import Failure

from pipeline import heap
from pipeline.items import DiscoveredLinks, FetchedPage
from spiders.article import ArticleSpider

logger = logging.getLogger(__name__)


def build_settings(db_url: str, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Project settings, then the database URL, then ``-s`` overrides (highest)."""
    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.set("REDLINE_DB", db_url, priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def override_problem(name: str, value: str) -> str | None:
    """Why ``-s NAME=VALUE`` cannot work, judged by the type of the setting's default, or None.

    Scrapy reads a setting only when the crawl starts, deep in Twisted: a bad
    value there is a traceback and a crawl that never ran.
    """
    if name.startswith("REDLINE_"):
        return None  # redline's own components check their settings, saying what each wants
    settings = Settings()
    settings.setmodule("settings", priority="project")
    default = settings.get(name)
    text = value.strip()
    if isinstance(default, bool):
        if text.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            return f"{name} expects true or false, got {value!r}"
        return None
    if isinstance(default, int | float):
        try:
            float(text)  # DOWNLOAD_DELAY's default is 0, yet 0.5 is fine
        except ValueError:
            return f"{name} expects a number, got {value!r}"
    return None


class CrawlError(RuntimeError):
    """The crawl could not run at all (a setting Scrapy rejects, a component that fails to load)."""


def _run(process: CrawlerProcess, crawler: Any, **spider_args: Any) -> None:
    """Start the crawl and wait for it; a crawl that failed to start raises CrawlError instead of
    leaving Twisted to print the traceback and the command to exit 0."""
    failures: list[Failure] = []  # a component refused its settings (UsageError), or failed to load
    process.crawl(crawler, **spider_args).addErrback(failures.append)
    heap.settle()
    process.start()
    if failures:
        raise CrawlError(f"the crawl did not run: {failures[0].getErrorMessage()}")


def crawl_articles(
    settings: Settings,
    *,
    on_item: Callable[[FetchedPage], None] | None = None,
    **spider_args: Any,
) -> dict[str, Any]:
    """Fetch articles (``select``/``urls``/``refs`` as :class:`ArticleSpider` takes them);
    returns the crawl's final stats."""
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")  # the CLI owns logging
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ArticleSpider)
    if on_item is not None:
        crawler.signals.connect(lambda item, **_: on_item(item), signal=signals.item_scraped, weak=False)
    _run(process, crawler, **spider_args)
    return dict(crawler.stats.get_stats()) if crawler.stats else {}


def discover_sources(settings: Settings, source_ids: list[int] | None = None) -> list[DiscoveredLinks]:
    """One discovery pass over the given sources (all when None); returns the DiscoveredLinks items."""
    from spiders.discovery import DiscoverySpider

    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(DiscoverySpider)
    found: list[DiscoveredLinks] = []
    crawler.signals.connect(lambda item, **_: found.append(item), signal=signals.item_scraped, weak=False)
    _run(process, crawler, source_ids=source_ids or [])
    return found


def fetch_once(settings: Settings, url: str, render: str | None = None) -> dict[str, Any]:
    """One page through the crawl's middlewares, stored nowhere: url, final_url, status, html, error."""
    from spiders.fetch_once import FetchOnceSpider

    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(FetchOnceSpider)
    found: list[dict[str, Any]] = []
    crawler.signals.connect(lambda item, **_: found.append(item), signal=signals.item_scraped, weak=False)
    _run(process, crawler, url=url, render=render)
    return found[0] if found else {"url": url, "final_url": None, "status": None, "html": None, "error": "no response"}


def find_outlet(settings: Settings, url: str, render: str | None = None) -> list[Any]:
    """Search an outlet from its home page (spiders/outlet.py); returns the probes."""
    from spiders.outlet import OutletSpider

    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(OutletSpider)
    found: list[Any] = []
    crawler.signals.connect(lambda item, **_: found.extend(item["probes"]), signal=signals.item_scraped, weak=False)
    _run(process, crawler, url=url, render=render)
    return found
