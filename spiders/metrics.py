"""Prometheus metrics of the daemon (prometheus-client), served on a local port.

Counters follow what each crawled page became (one check each); gauges are
refreshed by the daemon's housekeeping job.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

logger = logging.getLogger(__name__)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.pages = Counter("redline_pages_fetched", "Article fetches by check outcome.", ["outcome"], registry=r)
        self.versions = Counter("redline_versions", "New versions stored.", registry=r)
        self.changes = Counter("redline_changes", "Change records by kind.", ["kind"], registry=r)
        self.errors = Counter("redline_fetch_errors", "Fetches that failed (outcome error).", registry=r)
        self.job_errors = Counter("redline_job_errors", "Scheduler jobs that raised.", ["job"], registry=r)
        self.discovered = Counter("redline_articles_discovered", "Articles found by discovery.", registry=r)
        self.cycle = Histogram(
            "redline_cycle_seconds",
            "Duration of a recheck cycle.",
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
            registry=r,
        )
        self.due = Gauge("redline_due_articles", "Articles due for a check now (the backlog).", registry=r)
        self.tracked = Gauge("redline_tracked_articles", "Articles by status.", ["status"], registry=r)
        self.verified_versions = Counter(
            "redline_verified_versions", "Versions re-hashed by housekeeping's sampled verify.", registry=r
        )
        self.verify_problems = Gauge(
            "redline_verify_problems",
            "Problems the last sampled verify found (0: every sampled version matched).",
            registry=r,
        )
        self.verify_last = Gauge(
            "redline_verify_last_timestamp_seconds", "When the last sampled verify ran.", registry=r
        )

    def verified(self, versions: int, problems: int) -> None:
        self.verified_versions.inc(versions)
        self.verify_problems.set(problems)
        self.verify_last.set_to_current_time()

    def page(self, item: Any) -> None:
        outcome = getattr(item, "outcome", None)
        if outcome is None:
            return
        self.pages.labels(outcome).inc()
        if outcome == "new_version":
            self.versions.inc()
        elif outcome == "error":
            self.errors.inc()
        for kind in item.change_kinds:
            self.changes.labels(kind).inc()

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        start_http_server(port, addr=host, registry=self.registry)
        logger.info("metrics on http://%s:%d/metrics", host, port)
