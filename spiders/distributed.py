"""Distributed crawling on scrapy-redis: a leader hands out due articles, workers fetch them.

The leader (``redline run --role scheduler``) leases each due article — its
``next_check_at`` moves one lease ahead — and pushes a JSON request for it to
the Redis list ``REDLINE_REDIS_KEY``. Workers (``redline worker``, any number,
any machine) run :class:`RedisArticleSpider`: scrapy-redis pops those
requests, shares the request queue and the duplicate filter between workers,
and the usual pipelines write versions to PostgreSQL.

Delivery is at least once: a worker killed mid-crawl loses what it held in
memory, its articles' leases run out, and the leader hands them out again.
Storing is idempotent (a row lock per article, a unique (article, seq), and a
fetch older than the article's last check is recorded as ``superseded``), so a
page fetched twice is never stored twice or out of order.

Tested with scrapy-redis 0.9.1 on Scrapy 2.19 (pinned in pyproject.toml).
What it still does the old way is wrapped here: Scrapy 2.13+ starts a spider
through ``async def start()``, which RedisMixin lacks; its scheduler passes the
deprecated ``spider`` argument to stats calls; and only JSON requests are
pushed (scrapy-redis deprecates plain-string URLs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.utils.misc import load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from scrapy_redis.spiders import RedisMixin
from sqlalchemy.orm import Session

from spiders.article import ArticleSpider
from storage import schedule
from storage.db import transaction
from storage.queries import ArticleRef, articles_to_check

logger = logging.getLogger(__name__)

QUEUE_KEY = "redline:article:start_urls"
DEFAULT_LEASE = dt.timedelta(minutes=5)

# What a worker needs on top of the project settings (settings.py).
WORKER_SETTINGS: dict[str, Any] = {
    "SCHEDULER": "spiders.distributed.RedisScheduler",
    "SCHEDULER_PERSIST": True,  # the queue outlives any one worker
    "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.FifoQueue",
    "DUPEFILTER_CLASS": "spiders.distributed.LeaseDupeFilter",
    "REDIS_START_URLS_KEY": QUEUE_KEY,
    "MAX_IDLE_TIME_BEFORE_CLOSE": 0,  # a worker waits for work forever
}


def request_payload(ref: ArticleRef, lease: str) -> str:
    """The JSON the leader pushes for one article (scrapy-redis's `url` + `meta` shape)."""
    return json.dumps(
        {
            "url": ref.url,
            "meta": {
                "article_id": ref.id,
                "etag": ref.etag,
                "last_modified": ref.last_modified,
                "body_hash": ref.body_hash,
                "region_key": ref.region_key,
                "render": ref.render,
                "source_id": ref.source_id,
                "lease": lease,
            },
        }
    )


def dispatch_due(
    db_url: str,
    redis: Any,
    *,
    key: str = QUEUE_KEY,
    lease: dt.timedelta = DEFAULT_LEASE,
    limit: int = 1000,
    now: dt.datetime | None = None,
) -> int:
    """Lease up to ``limit`` due articles and push their requests to Redis; returns how many."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    until = now + lease

    def lease_due(session: Session) -> list[ArticleRef]:
        refs = articles_to_check(session, now=now, limit=limit)
        if refs:
            schedule.lease(session, [r.id for r in refs], until)
        return refs

    refs = transaction(db_url, lease_due)
    if refs:
        stamp = until.isoformat()
        redis.rpush(key, *(request_payload(ref, stamp) for ref in refs))
        logger.info("dispatched %d article(s), leased until %s", len(refs), stamp)
    return len(refs)


class RedisScheduler(Scheduler):
    """scrapy-redis's shared scheduler, without the calls Scrapy 2.19 deprecates (spider.log, stats spider=)."""

    def open(self, spider: scrapy.Spider) -> None:
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.queue_key % {"spider": spider.name}, serializer=self.serializer
        )
        if not getattr(self, "df", None):
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if pending := len(self.queue):
            logger.info("resuming: %d request(s) already in the shared queue", pending)

    def enqueue_request(self, request: scrapy.Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> scrapy.Request | None:
        request = self.queue.pop(self.idle_before_close)
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class LeaseDupeFilter(RFPDupeFilter):
    """scrapy-redis's shared duplicate filter, keyed by article *and lease*.

    Re-checking an article is the point, so a URL alone must not count as seen;
    the same lease handed out twice (a leader that restarted mid-dispatch) must.
    """

    def request_fingerprint(self, request: scrapy.Request) -> str:
        lease = request.meta.get("lease")
        if lease is None:
            return str(super().request_fingerprint(request))
        return hashlib.sha1(f"{request.meta.get('article_id')}|{lease}".encode()).hexdigest()


class RedisArticleSpider(RedisMixin, ArticleSpider):
    """The article spider, fed from the shared Redis queue instead of the database."""

    name = "article-worker"

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> RedisArticleSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_redis(crawler)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        # Scrapy 2.13+ seeds a crawl from start(); RedisMixin only has start_requests().
        for request in self.next_requests():
            yield request

    def make_request_from_data(self, data: bytes) -> scrapy.Request | list[scrapy.Request]:
        try:
            payload = json.loads(data)
            meta = payload["meta"]
            ref = ArticleRef(
                meta["article_id"],
                payload["url"],
                meta.get("etag"),
                meta.get("last_modified"),
                meta.get("body_hash"),
                meta.get("region_key"),
                meta.get("render"),
                meta.get("source_id"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            logger.error("dropped a malformed queue entry %r: %s", data[:200], exc)
            return []
        request = self.request_for(ref)
        request.meta["lease"] = meta.get("lease")
        return request.replace(dont_filter=False)
