"""Extraction in worker processes (pipeline/pipelines.py ExtractPipeline): when it
starts them, that their results equal in-process extraction, and that a dead worker
loses no page."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.exceptions import UsageError
from scrapy.settings import Settings
from warcio.archiveiterator import ArchiveIterator

from pipeline import workerside
from pipeline.examine import examine
from pipeline.extract import extract
from pipeline.items import FetchedPage
from pipeline.pipelines import ExtractPipeline
from pipeline.workers import KEPT, preload, start, worker_context
from storage import warc, warcbuild
from tests.articles import TRUCE_V1, article_page, truce_report

PAGES = [article_page(TRUCE_V1.title, truce_report(n, toll)) for n, toll in ((1, "20,000"), (2, "20,057"))]
MULTICORE = (os.cpu_count() or 1) > 1
ROOT = Path(__file__).resolve().parent.parent


def _page(i: int, html: str) -> FetchedPage:
    return FetchedPage(i, f"http://news.test/a/{i}-truce", http_status=200, html=html)


def _pipeline(**overrides: object) -> ExtractPipeline:
    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.update(overrides, priority="cmdline")
    return ExtractPipeline.from_crawler(SimpleNamespace(settings=settings, spider=None))  # type: ignore[arg-type]


def test_fixed_numbers_decide_at_once() -> None:
    assert ExtractPipeline({}, 3, True, 20)._workers() == 3
    assert ExtractPipeline({}, 0, True, 20)._workers() == 0


def test_setting_is_parsed_and_a_bad_value_says_what_it_wants() -> None:
    assert _pipeline().processes is None  # settings.py's default is "auto"
    assert _pipeline(REDLINE_EXTRACT_PROCESSES="2").processes == 2
    assert _pipeline(REDLINE_EXTRACT_PROCESSES=0).processes == 0
    with pytest.raises(UsageError, match="REDLINE_EXTRACT_PROCESSES must be 'auto'"):
        _pipeline(REDLINE_EXTRACT_PROCESSES="two")


async def _run(pipeline: ExtractPipeline, pages: list[FetchedPage]) -> list[FetchedPage]:
    return list(await asyncio.gather(*(pipeline.process_item(p) for p in pages)))


@pytest.mark.skipif(not MULTICORE, reason="auto starts no workers on one core")
def test_auto_extracts_here_first_then_in_workers_with_the_same_results() -> None:
    pipeline = ExtractPipeline({}, None, True, 3600.0)
    try:
        first = asyncio.run(_run(pipeline, [_page(i, PAGES[i % 2]) for i in range(3)]))
        assert pipeline.pool is None  # a cycle that examines less than the workers cost never starts them
        assert pipeline.examined_cpu > 0
        pipeline.after = pipeline.examined_cpu - 1e-9  # as if this crawl had examined that much already
        rest = asyncio.run(_run(pipeline, [_page(i, PAGES[i % 2]) for i in range(3, 7)]))
        assert pipeline.pool is not None
    finally:
        pipeline.close_spider()
    assert pipeline.pool is None
    for page in first + rest:
        assert page.extracted == extract(page.html or "", page.url)
        assert page.region_key  # learned in the worker too


@pytest.mark.skipif(not MULTICORE, reason="auto starts no workers on one core")
def test_a_dead_worker_loses_no_page() -> None:
    pipeline = ExtractPipeline({}, 1, True, 20)

    async def scenario() -> list[FetchedPage]:
        first = await pipeline.process_item(_page(1, PAGES[0]))
        assert pipeline.pool is not None
        for pid in list(pipeline.pool._processes):  # the pool's only worker
            os.kill(pid, signal.SIGKILL)
        return [first, *await _run(pipeline, [_page(2, PAGES[1]), _page(3, PAGES[0])])]

    try:
        pages = asyncio.run(scenario())
    finally:
        pipeline.close_spider()
    assert pipeline.pool is None  # the rest of the crawl extracts in-process
    assert [p.extracted == extract(p.html or "", p.url) for p in pages] == [True, True, True]


KILLED_CRAWL = """
import asyncio, os, signal, sys
from pipeline.pipelines import ExtractPipeline
from tests.test_extract_pool import PAGES, _page
pipeline = ExtractPipeline({}, 2, True, 20)
asyncio.run(pipeline.process_item(_page(1, PAGES[0])))
with open(sys.argv[1], "w") as out:
    out.write(" ".join(str(p) for p in pipeline.pool._processes))
os.kill(os.getpid(), signal.SIGKILL)  # no close_spider, no atexit: as the OOM killer would
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waits for its new parent (init) to reap it: it is gone all the same.
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_workers_of_a_killed_crawl_exit(tmp_path: Path) -> None:
    pids, log = tmp_path / "pids", tmp_path / "stderr"
    with log.open("w") as err:  # a file, not a pipe: a surviving worker would hold a pipe open
        crawl = subprocess.run(
            [sys.executable, "-c", KILLED_CRAWL, str(pids)], stdout=err, stderr=err, cwd=ROOT, timeout=120
        )
    assert crawl.returncode == -signal.SIGKILL, log.read_text()
    workers = [int(p) for p in pids.read_text().split()]
    assert workers  # the pool starts workers as it needs them: one page, at least one
    deadline = time.monotonic() + 30  # a liveness bound, not a speed target: they check once a second
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in workers if _alive(p)]


@pytest.mark.skipif(not MULTICORE, reason="auto starts no workers on one core")
def test_workers_leave_ctrl_c_to_the_crawl() -> None:
    pipeline = ExtractPipeline({}, 1, True, 20)

    async def scenario() -> FetchedPage:
        await pipeline.process_item(_page(1, PAGES[0]))
        assert pipeline.pool is not None
        for pid in list(pipeline.pool._processes):
            os.kill(pid, signal.SIGINT)  # what Ctrl-C sends the whole process group
        await asyncio.sleep(0.5)
        return await pipeline.process_item(_page(2, PAGES[1]))

    try:
        page = asyncio.run(scenario())
        assert pipeline.pool is not None  # the worker lived: the crawl decides when it stops
    finally:
        pipeline.close_spider()
    assert page.extracted == extract(PAGES[1], page.url)


@pytest.mark.skipif(not MULTICORE, reason="auto starts no workers on one core")
def test_workers_fork_from_a_server_that_imported_extraction() -> None:
    pipeline = ExtractPipeline({}, 1, True, 20)

    async def scenario() -> FetchedPage:
        return await pipeline.process_item(_page(1, PAGES[0]))

    try:
        page = asyncio.run(scenario())
        assert pipeline.pool is not None
        (pid,) = pipeline.pool._processes
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    finally:
        pipeline.close_spider()
    assert page.extracted == extract(PAGES[0], page.url)
    if "forkserver" in multiprocessing.get_all_start_methods():
        assert worker_context().get_start_method() == "forkserver"
        assert parent != os.getpid()  # the fork server's child, not a fresh interpreter of ours


# Evaluated in a worker (builtins.eval pickles by name): the crawl-side packages it holds.
CRAWL_SIDE = "sorted({m.split('.')[0] for m in __import__('sys').modules} & {'scrapy', 'sqlalchemy', 'twisted'})"


def test_a_forked_worker_imports_nothing_of_the_crawl_side() -> None:
    """A worker unpickles its initializer and tasks by module: were they in
    pipeline/workers.py, each worker would import Scrapy and SQLAlchemy again
    (0.52 s of CPU apiece). The fork server preloads what a worker runs."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server on this platform: a spawned worker imports what it runs")
    pool = start(1)
    try:
        assert pool.submit(workerside.ready).result(timeout=60) != os.getpid()
        assert pool.submit(eval, CRAWL_SIDE).result(timeout=60) == []
        assert pool.submit(examine, PAGES[0], "https://example.com/a", None, None, True).result(timeout=60).extracted
    finally:
        pool.shutdown()
    assert "pipeline.workerside" in preload()


WARMED = """
import sys
from htmldate.extractors import get_external_parser
from pipeline.workers import start, worker_context

def loaded():
    return get_external_parser.cache_info().currsize == 1

if __name__ == "__main__":
    if sys.argv[1] == "after-a-date-in-words":
        # this process extracts a page whose date only dateparser reads
        # (importing pipeline.warm would do it too: it is that page)
        from pipeline.warm import PAGE, URL
        from pipeline.extract import extract
        assert extract(PAGE, URL).meta_fallback is not None and loaded()
    pool = start(1)
    print(worker_context().get_start_method(), pool.submit(loaded).result(timeout=60))
    pool.shutdown()
"""


@pytest.mark.parametrize(("before", "warmed"), [("after-a-date-in-words", True), ("first", False)])
def test_workers_start_with_what_this_crawl_needed_at_first_use(tmp_path: Path, before: str, warmed: bool) -> None:
    """Once a crawl process has parsed a date written in words, its fork server
    runs pipeline/warm.py before forking: a new worker's first such page does not
    pay for loading dateparser (0.3 s of CPU). Before that, nothing is warmed."""
    script = tmp_path / "warmed.py"
    script.write_text(WARMED)
    out = subprocess.run(
        [sys.executable, str(script), before], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    method, loaded = out.stdout.split()
    if method != "forkserver":
        pytest.skip("no fork server on this platform: each worker loads its own")
    assert loaded == str(warmed)


@pytest.mark.skipif(not MULTICORE, reason="auto starts no workers on one core")
def test_kept_workers_serve_the_next_crawl_of_the_process() -> None:
    """REDLINE_EXTRACT_KEEP_WORKERS (the daemon's): the workers a crawl started
    outlive it, and the next crawl sends its first page to them."""
    first = ExtractPipeline({}, None, True, 0.0, keep=True)
    try:
        asyncio.run(_run(first, [_page(1, PAGES[0])]))
        assert first.pool is None  # the first page: no CPU spent yet
        asyncio.run(_run(first, [_page(2, PAGES[1])]))
        assert first.pool is not None and first.pool is KEPT.pool
        workers = set(KEPT.pool._processes)
        first.close_spider()
        assert KEPT.pool is not None and set(KEPT.pool._processes) == workers  # still running

        again = ExtractPipeline({}, None, True, 3600.0, keep=True)
        (page,) = asyncio.run(_run(again, [_page(3, PAGES[0])]))
        # The same pool, its first workers still there (it starts its second one when a page needs it).
        assert again.pool is KEPT.pool and workers <= set(KEPT.pool._processes)
        assert page.extracted == extract(PAGES[0], page.url)
        again.close_spider()

        alone = ExtractPipeline({}, 0, True, 0.0, keep=True)  # 0 still means in this process
        asyncio.run(_run(alone, [_page(4, PAGES[1])]))
        assert alone.pool is None
    finally:
        KEPT.drop()
    assert KEPT.pool is None


def test_without_keep_a_crawl_leaves_no_workers() -> None:
    pipeline = ExtractPipeline({}, 1, True, 0.0)
    try:
        asyncio.run(_run(pipeline, [_page(1, PAGES[0])]))
        assert pipeline.pool is not None and pipeline.pool is not KEPT.pool
    finally:
        pipeline.close_spider()
    assert pipeline.pool is None and KEPT.pool is None


@pytest.mark.skipif(not MULTICORE, reason="auto starts no workers on one core")
def test_auto_starts_its_workers_without_stopping_the_crawl() -> None:
    """Starting workers blocks until the fork server has imported extraction
    (0.3 s and more): "auto" does it on a thread, so the crawl's loop runs on
    while the page that decided it waits for them."""
    KEPT.drop()
    pipeline = ExtractPipeline({}, None, True, 0.0)
    pipeline.examined_cpu = 1.0  # as if the crawl had examined that much already
    ticks_while_starting = 0

    async def ticker(done: asyncio.Event) -> None:
        nonlocal ticks_while_starting
        while not done.is_set():
            if pipeline.warming is not None and not pipeline.warming.done():
                ticks_while_starting += 1
            await asyncio.sleep(0.001)

    async def scenario() -> FetchedPage:
        done = asyncio.Event()
        tick = asyncio.create_task(ticker(done))
        page = await pipeline.process_item(_page(1, PAGES[0]))
        done.set()
        await tick
        return page

    try:
        page = asyncio.run(scenario())
        assert pipeline.pool is not None and pipeline.warming is not None and pipeline.warming.done()
        assert len(pipeline.pool._processes) == 2  # both started before the first page went to them
    finally:
        pipeline.close_spider()
    assert ticks_while_starting > 0
    assert page.extracted == extract(PAGES[0], page.url)


def test_workers_that_cannot_start_leave_pages_to_the_crawl(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import workers

    def broken(n: int) -> object:
        raise OSError("no processes here")

    monkeypatch.setattr(workers, "start", broken)
    pipeline = ExtractPipeline({}, None, True, 0.0)
    pipeline.examined_cpu = 1.0
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    (page,) = asyncio.run(_run(pipeline, [_page(1, PAGES[0])]))
    assert pipeline.decided and pipeline.pool is None
    assert page.extracted == extract(PAGES[0], page.url)
    pipeline.close_spider()


class _Stats:
    def __init__(self, articles: int) -> None:
        self.values = {"redline/articles_to_check": articles}

    def get_value(self, key: str) -> object:
        return self.values.get(key)


@pytest.mark.skipif(not MULTICORE, reason="auto starts no workers on one core")
@pytest.mark.parametrize(("articles", "starts"), [(10_000_000, True), (25, False)])
def test_auto_projects_its_examine_cpu_onto_the_articles_it_checks(articles: int, starts: bool) -> None:
    """A crawl of millions of articles starts its workers once twenty pages have
    shown what examining costs, not after spending REDLINE_EXTRACT_POOL_AFTER on
    the reactor's thread; a crawl of 25 never spends it and never starts them.
    (The threshold, 30 s, is far from what 20 small pages cost on any machine,
    however loaded, and far below what ten million would.)"""
    pipeline = ExtractPipeline({}, None, True, 30.0, stats=_Stats(articles))  # type: ignore[arg-type]
    pages = [_page(i, PAGES[i % 2]) for i in range(21)]
    try:
        asyncio.run(_run(pipeline, pages[:19]))
        assert pipeline.examined_cpu < 30.0  # 19 extractions: less than the threshold spent
        assert pipeline.warming is None and pipeline.pool is None
        asyncio.run(_run(pipeline, pages[19:]))  # the twentieth decides, the next goes to the workers
        assert (pipeline.pool is not None) is starts
        spent = sum(pipeline.costs)
        assert pipeline.examined_cpu == pytest.approx(spent)
        typical = sorted(pipeline.costs)[len(pipeline.costs) // 2 - 1 : len(pipeline.costs) // 2 + 1]
        projected = pipeline.projected_cpu()
        left = articles - pipeline.seen
        share = len(pipeline.costs) / pipeline.seen  # the last page went to a worker, or here
        assert left * share * min(typical) <= projected - spent <= left * share * max(typical)
    finally:
        pipeline.close_spider()


def test_the_article_spider_tells_the_pipeline_how_many_articles_it_checks() -> None:
    """The count projected_cpu reads is the one the spider sets as it starts (a crawl's stats)."""
    from scrapy.statscollectors import MemoryStatsCollector

    from spiders.article import ArticleSpider
    from storage.queries import ArticleRef

    refs = [ArticleRef(i, f"http://news.test/a/{i}", None, None) for i in range(1, 8)]
    spider = ArticleSpider(refs=refs)
    stats = MemoryStatsCollector(SimpleNamespace(settings=Settings()))  # type: ignore[arg-type]
    spider.crawler = SimpleNamespace(stats=stats)  # type: ignore[assignment]

    async def requests() -> list[object]:
        return [r async for r in spider.start()]

    assert len(asyncio.run(requests())) == 7
    pipeline = ExtractPipeline({}, None, True, 0.5, stats=stats)
    pipeline.seen, pipeline.costs, pipeline.examined_cpu = 20, [0.001] * 10, 0.01
    assert pipeline.projected_cpu() == 0.01  # all seven seen already: what was spent
    stats.set_value("redline/articles_to_check", 70)
    assert pipeline.projected_cpu() == pytest.approx(0.01 + 50 * 0.5 * 0.001)


def _captured(i: int, html: str) -> FetchedPage:
    """A page as the article spider hands it on: bytes, the exchange, when it arrived."""
    body = html.encode("utf-8")
    page = FetchedPage(i, f"http://news.test/a/{i}-truce", http_status=200, body=body, encoding="utf-8")
    page.exchange = warc.Exchange(page.url, 200, "OK", response_headers=[("Content-Type", "text/html")], body=body)
    page.fetched_at = dt.datetime(2026, 12, 3, 12, 0, i)
    return page


@pytest.mark.parametrize("processes", [0, 1])
def test_the_response_record_is_built_where_the_page_is_examined(processes: int) -> None:
    pipeline = _pipeline(REDLINE_EXTRACT_PROCESSES=processes)
    try:
        found = asyncio.run(_run(pipeline, [_captured(i, PAGES[i % 2]) for i in range(2)]))
    finally:
        pipeline.close_spider()
    for page in found:
        assert page.warc_response is not None and page.exchange is not None and page.fetched_at is not None
        assert page.warc_response.target == page.url
        assert page.warc_response.date == warc.warc_date(page.fetched_at)
        records = ArchiveIterator(io.BytesIO(page.warc_response.data), check_digests=True)
        record = next(records)
        assert record.rec_type == "response" and record.content_stream().read() == page.exchange.body
        assert next(records, None) is None


def test_no_response_record_without_raw_pages_or_an_article() -> None:
    off = _pipeline(REDLINE_EXTRACT_PROCESSES=0, REDLINE_STORE_RAW_HTML=False)
    (page,) = asyncio.run(_run(off, [_captured(1, PAGES[0])]))
    assert page.extracted is not None and page.warc_response is None  # REDLINE_STORE_RAW_HTML=False keeps none
    on = _pipeline(REDLINE_EXTRACT_PROCESSES=0)
    (empty,) = asyncio.run(_run(on, [_captured(2, "<html><body><nav>Home</nav></body></html>")]))
    assert empty.extracted is not None and empty.extracted.is_empty and empty.warc_response is None
    again = _captured(3, PAGES[0])
    again.previous_region_key = page.region_key
    (gated,) = asyncio.run(_run(on, [again]))
    assert gated.same_region and gated.warc_response is None  # the gate said unchanged: no version to keep


def test_a_record_that_cannot_be_built_ahead_costs_the_page_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> warc.Response:
        raise ValueError("no record")

    monkeypatch.setattr(warcbuild, "response_record", broken)
    (page,) = asyncio.run(_run(_pipeline(REDLINE_EXTRACT_PROCESSES=0), [_captured(1, PAGES[0])]))
    assert page.extracted == extract(PAGES[0], page.url) and page.region_key  # extracted and learned as ever
    assert page.warc_response is None and page.extraction_error is None  # the store builds the record itself
