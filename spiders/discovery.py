"""Discovery: read a source (RSS/Atom feed, sitemap, front page) and list its articles.

:class:`DiscoverySpider` fetches the sources and parses each with the parser
its kind names in spiders/source_kinds.py; it yields one
:class:`~pipeline.items.DiscoveredLinks` per source run, failures included, for
:class:`spiders.discovered.DiscoveryPipeline` to store.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import lxml.etree
import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pipeline.items import DiscoveredLinks
from spiders.article import describe_failure, render_meta
from spiders.outlet import OutletSearch, candidates, choose
from spiders.source_kinds import SOURCE_KINDS, parse_feed, parse_front, parse_sitemap
from storage.db import open_database, session_scope
from storage.sources import sources_to_read

__all__ = ["DiscoverySpider", "parse_feed", "parse_front", "parse_sitemap"]  # the parsers' old home

logger = logging.getLogger(__name__)

MAX_SITEMAP_DEPTH = 2


class DiscoverySpider(scrapy.Spider):
    """Fetch sources; one DiscoveredLinks item per source run."""

    name = "discovery"
    handle_httpstatus_list = [400, 401, 403, 404, 410, 429, 500, 502, 503, 504]

    def __init__(self, source_ids: Sequence[int] | str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(source_ids, str):
            source_ids = [int(x) for x in source_ids.split(",") if x]
        self.source_ids = list(source_ids or [])

    async def start(self) -> AsyncIterator[Any]:
        db = open_database(self.settings.get("REDLINE_DB"))
        with session_scope(db) as session:
            sources = [
                (s.id, s.url, s.kind, list(s.allow or []), list(s.deny or []), s.render, s.found_url, s.found_kind)
                for s in sources_to_read(session, self.source_ids)
            ]
        for source_id, url, kind, allow, deny, render, found_url, found_kind in sources:
            if kind == "auto" and not (found_url and found_kind):
                # First run: search the outlet, read what it chose (spiders/outlet.py).
                search = OutletSearch(url, render, {"source_id": source_id})
                for request in self._searching(search, search.start()):
                    yield request
                continue
            if kind == "auto":
                url, kind = str(found_url), str(found_kind)
            meta = {"source_id": source_id, "kind": kind, "allow": allow, "deny": deny, "depth": 0, "found": []}
            if kind == "front":
                meta.update(render_meta(render))  # a front page built by script; feeds and sitemaps are data
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True, meta=meta)

    def parse(self, response: Response, **kwargs: Any) -> Any:
        meta = response.meta
        if response.status != 200:
            yield DiscoveredLinks(meta["source_id"], http_status=response.status, error=f"HTTP {response.status}")
            return
        kind = SOURCE_KINDS.get(meta["kind"])
        if kind is None:
            yield DiscoveredLinks(meta["source_id"], http_status=200, error=f"unknown source kind {meta['kind']!r}")
            return
        try:
            listing = kind.parse(response.body, response.url, meta["allow"], meta["deny"])
        except (ValueError, lxml.etree.LxmlError, OSError, EOFError) as exc:
            yield DiscoveredLinks(meta["source_id"], http_status=200, error=f"unreadable {meta['kind']}: {exc}")
            return
        links, children = listing.links, listing.children
        if children and meta["depth"] < MAX_SITEMAP_DEPTH:
            # A sitemap index: read its children, newest first (news sitemaps list them so), and report once.
            pending = {"left": len(children[:50]), "links": list(links)}
            for child in children[:50]:
                child_meta = {**meta, "depth": meta["depth"] + 1, "pending": pending}
                yield scrapy.Request(child, callback=self.parse_child, errback=self.child_failed, meta=child_meta)
            return
        yield DiscoveredLinks(meta["source_id"], links=links, http_status=200)

    def _searching(self, search: OutletSearch, requests: list[scrapy.Request]) -> Any:
        for request in requests:
            yield request.replace(callback=self.parse_search, errback=self.search_failed)
        if search.done:
            chosen, why = choose(candidates(search.probes))
            source_id = search.meta["source_id"]
            if chosen is None:
                yield DiscoveredLinks(source_id, error=f"kind auto: {why}")
            else:
                yield DiscoveredLinks(source_id, chosen.links, 200, resolved=(chosen.url, chosen.kind, why))

    def parse_search(self, response: Response, **kwargs: Any) -> Any:
        search = response.meta["search"]
        yield from self._searching(search, search.answered(response))

    def search_failed(self, failure: Failure) -> Any:
        search = failure.request.meta["search"]  # type: ignore[attr-defined]
        search.failed(failure)
        yield from self._searching(search, [])

    def parse_child(self, response: Response, **kwargs: Any) -> Any:
        pending = response.meta["pending"]
        try:
            links, _ = parse_sitemap(response.body, response.url) if response.status == 200 else ([], [])
        except (ValueError, lxml.etree.LxmlError, OSError, EOFError) as exc:
            logger.warning("unreadable child sitemap %s: %s", response.url, exc)
            links = []
        pending["links"].extend(links)
        yield from self._child_done(response.meta)

    def child_failed(self, failure: Failure) -> Any:
        logger.warning("child sitemap failed: %s", describe_failure(failure))
        yield from self._child_done(failure.request.meta)  # type: ignore[attr-defined]

    def _child_done(self, meta: dict[str, Any]) -> Any:
        pending = meta["pending"]
        pending["left"] -= 1
        if pending["left"] == 0:
            yield DiscoveredLinks(meta["source_id"], links=pending["links"], http_status=200)

    def failed(self, failure: Failure) -> Any:
        request = failure.request  # type: ignore[attr-defined]
        status = failure.value.response.status if isinstance(failure.value, HttpError) else None
        yield DiscoveredLinks(request.meta["source_id"], http_status=status, error=describe_failure(failure))
