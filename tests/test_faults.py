"""The fault table: every way a news site misbehaves, one row each.

Every path first serves a good article, then its fault. Each row must give the
right check outcome, keep the last good version (never a bogus one), leave
article state that explains what happened, and back off: a due-only crawl
right after must not fetch the broken page again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import faultserver as fs
from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline

GOOD = fs.GOOD


@dataclass(frozen=True)
class Row:
    path: str
    fault: fs.Fault
    outcome: str
    error: str | None = None  # a word the recorded error must contain
    status: int | None = None
    min_backoff: dt.timedelta | None = None
    always: bool = False  # misbehaves from the first fetch (encoding rows)


def _latin1_declared_utf8() -> bytes:
    return GOOD.replace(b"Negotiators", "Négociateurs’".encode("cp1252"))


def _utf8_declared_latin1() -> bytes:
    return GOOD.replace(b"charset=utf-8", b"charset=iso-8859-1").replace(b"Negotiators", "Négociateurs".encode())


SOFT_404 = article_page("Page not found", ["Sorry, we could not find that page. Try the search box above."]).encode()
PAYWALL = article_page(TRUCE_V1.title, ["Negotiators met again on Wednesday. Subscribe to keep reading."]).encode()
JS_SHELL = b'<html><head><title>Loading</title></head><body><div id="app"></div><script src="/a.js"></script></body>'

ROWS = [
    Row("/http-500", fs.page(500, b"<h1>Internal error</h1>"), "error", "500", 500),
    Row("/http-503", fs.page(503, b"busy", Retry_After="600"), "error", "503", 503, dt.timedelta(seconds=590)),
    Row("/http-429", fs.page(429, b"slow down", Retry_After="3600"), "error", "429", 429, dt.timedelta(seconds=3590)),
    Row("/slow-drip", fs.drip, "error", "timeout"),
    Row("/reset", fs.reset, "error", "connection"),
    Row("/truncated", fs.truncated, "error", "data loss"),
    Row("/gzip-bomb", fs.gzip_bomb, "error", "size"),
    Row("/huge", fs.huge, "error", "size"),
    Row("/redirect-loop", fs.redirect_loop, "error", "redirect"),
    Row("/private/disallowed", fs.page(200, GOOD), "error", "robots.txt"),
    Row("/soft-404", fs.page(200, SOFT_404), "empty_extraction", "characters"),
    Row("/paywall", fs.page(200, PAYWALL), "empty_extraction", "characters"),
    Row("/js-shell", fs.page(200, JS_SHELL), "empty_extraction", "characters"),
    Row("/gone-404", fs.page(404, b"<h1>Not found</h1>"), "gone", "404", 404),
    Row("/gone-410", fs.page(410, b"<h1>Gone</h1>"), "gone", "410", 410),
    Row("/invalid-utf8", fs.page(200, _latin1_declared_utf8()), "unchanged", always=True),
    Row("/wrong-charset", fs.page(200, _utf8_declared_latin1()), "unchanged", always=True),
]

# A timeout short enough for quick tests, long enough that robots.txt never times
# out on a loaded machine (a robots.txt that cannot be fetched allows everything).
SETTINGS = ("-s", "RETRY_TIMES=1", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=5")


@dataclass
class Run:
    redline: Redline
    server: fs.FaultServer
    hits_after_fault: dict[str, int]
    faulted_at: dt.datetime
    crawl_exit: int


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp: Path = tmp_path_factory.mktemp("faults")
    redline = Redline(f"sqlite:///{tmp / 'faults.db'}", tmp)
    fs.bomb()  # build the bomb before the crawl, not while robots.txt waits on the server
    with fs.FaultServer() as server:
        urls = [server.add(row.path, row.fault, always=row.always) for row in ROWS]
        redline("track", *urls)
        redline("crawl", "--all", *SETTINGS)
        server.break_all()
        server.robots = "User-agent: *\nDisallow: /private/\n"
        faulted_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        crawl = redline("crawl", "--all", *SETTINGS, check=False)
        hits = dict(server.hits)
        redline("crawl", *SETTINGS)  # due-only: every broken page is backing off
        yield Run(redline, server, hits, faulted_at, crawl.returncode)


@pytest.mark.parametrize("row", ROWS, ids=[r.path.strip("/") for r in ROWS])
def test_fault(run: Run, row: Row) -> None:
    url = run.server.url(row.path)
    state = run.redline.json("checks", url)
    outcomes = [c["outcome"] for c in state["checks"]]
    last = state["checks"][-1]
    assert run.crawl_exit == 0, "a misbehaving page must not fail the crawl"
    assert outcomes[0] == "new_version", state
    assert last["outcome"] == row.outcome, (outcomes, state)
    assert len(outcomes) == 2, f"fetched again despite backoff: {outcomes}"
    assert run.server.hits.get(row.path) == run.hits_after_fault.get(row.path), "backoff not honoured"
    if row.status is not None:
        assert last["http_status"] == row.status
    if row.error is not None:
        assert row.error.lower() in (last["error"] or "").lower(), state
        if row.outcome != "gone":
            assert row.error.lower() in (state["last_error"] or "").lower(), "the article must say what is wrong"
    if row.outcome == "error":
        assert state["consecutive_failures"] == 1
        next_check = dt.datetime.fromisoformat(state["next_check_at"].rstrip("Z"))
        assert next_check > run.faulted_at + (row.min_backoff or dt.timedelta(minutes=4))
    versions = run.redline.json("history", url)["versions"]
    assert len(versions) == 1, "a fault must never make a version"
    kinds = [c["kind"] for c in run.redline.json("changes", "--url", url, "--min-severity", "info")]
    assert kinds == (["unpublished"] if row.outcome == "gone" else [])


def test_robots_txt_holds_for_every_request_that_waits_for_it(tmp_path: Path) -> None:
    """Twelve checks of one site start together, all before robots.txt has
    arrived: not one disallowed page may be fetched (Scrapy 2.19 alone lets
    all but one through; spiders/robots.py)."""
    redline = Redline(f"sqlite:///{tmp_path / 'robots.db'}", tmp_path)
    with fs.FaultServer() as server:
        server.robots = "User-agent: *\nDisallow: /private/\n"
        private = [server.add(f"/private/{i}", fs.page(200, GOOD)) for i in range(12)]
        public = server.add("/public", fs.page(200, GOOD))
        redline("track", *private, public)
        redline("crawl", "--all", *SETTINGS)
        assert {path: n for path, n in server.hits.items() if path.startswith("/private/")} == {}
        assert server.hits.get("/public") == 1
    for url in private[::4]:
        state = redline.json("checks", url)
        assert [c["outcome"] for c in state["checks"]] == ["error"]
        assert "robots.txt" in (state["last_error"] or "")
