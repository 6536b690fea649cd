"""The item an article fetch produces, whatever happened to it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import xxhash

from pipeline.decoding import decode
from storage.models import CheckOutcome
from storage.warc import Exchange, Response

if TYPE_CHECKING:
    from pipeline.ahead import Ahead
    from pipeline.extract import Extracted

# The crawl stat the article spider sets as it starts: how many articles it checks.
ARTICLES_TO_CHECK = "redline/articles_to_check"


def body_digest(body: bytes) -> str:
    """What a 200 body is compared with on its next fetch: XXH3-128, 0.002 ms for
    a 208 KB page where SHA-1 took 0.10 ms of the crawl's thread, on every 200.
    Neither resists a crafted collision (SHA-1's are bought, XXH3's computed):
    a publisher who built a page with the last one's digest would have its edit
    called unchanged, where serving the tracker other bytes is cheaper still.
    A digest stored by SHA-1 (40 characters) meets its first XXH3 one (32) as
    different bytes: that page goes through the gate once."""
    return xxhash.xxh3_128_hexdigest(body)


@dataclass
class FetchedPage:
    article_id: int
    url: str
    final_url: str | None = None
    http_status: int | None = None
    # The page as text: given (tests, tools), or decoded from ``body`` on first need (:meth:`text`).
    html: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    duration_ms: float | None = None
    error: str | None = None
    # body_digest() of this body and of the last 200 body: equal bytes need no extraction.
    body_hash: str | None = None
    previous_body_hash: str | None = None
    # When the response (or the failure) arrived, UTC; orders racing fetches.
    fetched_at: dt.datetime | None = None
    # Seconds a 429/503 asked us to wait before the next request.
    retry_after: float | None = None
    # The gate key stored at the last extraction (pipeline/gate.py).
    previous_region_key: str | None = None
    # Filled in by ExtractPipeline. same_region: the gate said the article is unchanged and
    # extraction was skipped; region_key: the gate key to store (learned or confirmed), None when unknown.
    extracted: Extracted | None = None
    extraction_error: str | None = None
    same_region: bool = False
    region_key: str | None = None
    # The request and response as sent and received (spiders/capture.py): kept as WARC records with a new version.
    exchange: Exchange | None = None
    # Its WARC response record, built by ExtractPipeline where the page was examined.
    warc_response: Response | None = None
    # The source that listed the article (its extraction overrides apply).
    source_id: int | None = None
    # Set by ExtractPipeline when an empty extraction looks like a script-built page (pipeline/jsshell.py).
    hint: str | None = None
    # The new extraction classified in its worker against the latest version (pipeline/ahead.py).
    ahead: Ahead | None = None
    # A 200 text response's bytes and the encoding the response declares or Scrapy inferred: the
    # extraction worker decodes them (a str costs the crawl's thread a decode and pickling it).
    body: bytes | None = None
    encoding: str | None = None
    # Filled in by StorePipeline once the page is committed.
    outcome: CheckOutcome | None = None
    change_kinds: tuple[str, ...] = ()

    @property
    def has_text(self) -> bool:
        return self.html is not None or self.body is not None

    def text(self) -> str | None:
        """The page as text, decoding ``body`` once if that is how it came."""
        if self.html is None and self.body is not None:
            self.html = decode(self.body, self.encoding)
        return self.html

    @property
    def same_body(self) -> bool:
        """The server sent exactly the bytes it sent last time."""
        return self.body_hash is not None and self.body_hash == self.previous_body_hash


@dataclass
class Link:
    """An article as a source lists it."""

    url: str
    headline: str | None = None
    published_at: dt.datetime | None = None


@dataclass
class DiscoveredLinks:
    """One run of one source: the links it listed, or why it could not be read."""

    source_id: int
    links: list[Link] = field(default_factory=list)
    http_status: int | None = None
    error: str | None = None
    # A kind "auto" source's first run: (URL, kind, why) the outlet search chose (spiders/outlet.py).
    resolved: tuple[str, str, str] | None = None
    # Filled in by DiscoveryPipeline once the run is stored.
    listed: int = 0
    new: int = 0
    skipped: int = 0
