"""Real replay: raw Scrapy against redline on the real captures, in capture order.

    python bench/replay.py [--articles N] [--etags half|none|all]

Serves ../shared/realrevisions one capture step at a time on loopback
(bench/realrevisions.py) and crawls every step three times, in the same run:
raw Scrapy (fetch, no processing); redline with its default settings, a
``redline crawl`` process per step (a fresh SQLite database at the first step,
then the recheck of every tracked article); and redline as the daemon runs its
cycles, one process that crawls every step (its own database; extraction
workers kept between crawls, as ``redline run`` keeps them).
By default every other article's server answers conditional requests (ETag,
304), the others never do, so both cheap paths show.

Prints pages/s of each side and their ratio (Scrapy's own elapsed time of each
crawl, summed over the steps), the checks by outcome as the crawl's stats count
them (``redline/checks/*``: an outcome the pipeline adds appears by itself),
and the CPU each check costs by outcome: the extraction and store pipelines'
own CPU, measured where they run (in the crawl's process, or in an extraction
worker), "unchanged" split by the path that decided it. Scrapy's own cost of
fetching a page is the raw side's CPU per page.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import pipelines as _pipelines  # noqa: E402
from pipeline import workers as _workers  # noqa: E402

SETTINGS = {
    "REDLINE_ALLOW_PRIVATE": True,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 64,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_DELAY": 0,
    "LOG_LEVEL": "WARNING",
    "RETRY_ENABLED": False,
}
_examine = _workers.examine


def timed_examine(*args: Any) -> tuple[Any, float]:
    """examine() and the CPU it took where it ran (a worker process, or the crawl's)."""
    started = time.process_time()
    found = _examine(*args)
    return found, time.process_time() - started


class _TimedPool:
    """Stands in for the extraction pool: submits timed_examine, hands back examine's result."""

    def __init__(self, pool: concurrent.futures.ProcessPoolExecutor, cpu: dict[str, float]):
        self.pool = pool
        self.cpu = cpu

    def submit(self, fn: Any, *args: Any) -> concurrent.futures.Future[Any]:
        inner = self.pool.submit(timed_examine, *args)
        outer: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def done(f: concurrent.futures.Future[Any]) -> None:
            if f.exception() is not None:
                outer.set_exception(f.exception())
                return
            found, cpu = f.result()
            self.cpu[args[1]] = cpu
            outer.set_result(found)

        inner.add_done_callback(done)
        return outer


CPU: dict[str, float] = {}  # url -> extraction CPU of its last examine
SPENT: dict[int, dict[str, float]] = {}  # id(page) -> CPU seconds by step, until the page is counted


class TimedExtract(_pipelines.ExtractPipeline):
    async def _pool(self) -> Any:
        # A wrapper per page: self.pool stays the real pool, which a kept one must be (pipeline/workers.py).
        pool = await super()._pool()
        return None if pool is None else _TimedPool(pool, CPU)

    async def process_item(self, item: Any) -> Any:
        url = item.final_url or item.url
        item = await super().process_item(item)
        SPENT.setdefault(id(item), {})["cpu_extract"] = CPU.pop(url, 0.0)
        return item


def _in_process_examine(*args: Any) -> Any:
    found, cpu = timed_examine(*args)
    CPU[args[1]] = cpu
    return found


class TimedStore(_pipelines.StorePipeline):
    def _store(self, page: Any) -> Any:
        started = time.process_time()
        try:
            return super()._store(page)
        finally:
            spent = SPENT.setdefault(id(page), {})
            spent["cpu_store"] = spent.get("cpu_store", 0.0) + time.process_time() - started

    def _flush_loud(self, batch: list[Any]) -> None:
        self._shared(batch, super()._flush_loud)

    def _flush_quiet(self, batch: list[Any]) -> None:
        self._shared(batch, super()._flush_quiet)

    def _shared(self, batch: list[Any], write: Any) -> None:
        """A batch's transaction split evenly over its pages (those written alone counted apart)."""
        pages = [page for page, _ in batch]
        started = time.process_time()
        before = sum(SPENT.get(id(p), {}).get("cpu_store", 0.0) for p in pages)
        write(batch)
        alone = sum(SPENT.get(id(p), {}).get("cpu_store", 0.0) for p in pages) - before  # pages stored one by one
        shared = (time.process_time() - started - alone) / len(pages) if pages else 0.0
        for p in pages:
            spent = SPENT.setdefault(id(p), {})
            spent["cpu_store"] = spent.get("cpu_store", 0.0) + shared


def label(item: Any) -> str:
    """The check's outcome, "unchanged" split by what decided it."""
    outcome = str(item.outcome or "?")
    if outcome != "unchanged":
        return outcome
    if getattr(item, "same_body", False):
        return "unchanged: same bytes"
    if getattr(item, "same_region", False):
        return "unchanged: gate"  # pipeline/gate.py placed the article and found it unchanged
    return "unchanged: extracted, same article"


def _refs(db_url: str, urls: list[str]) -> list[Any]:
    """Track the step's articles (new ones appear as the captures go on); every one is checked."""
    from storage.db import open_database, session_scope
    from storage.queries import articles_to_check, get_or_create_article

    url = open_database(db_url)
    with session_scope(url) as session:
        for u in urls:
            get_or_create_article(session, u)
    with session_scope(url) as session:
        return articles_to_check(session, everything=True)


def _timed_settings(db_url: str) -> Any:
    """redline's default settings, its two pipelines replaced by their timed twins."""
    from spiders.runner import build_settings

    settings = build_settings(db_url, SETTINGS)
    pipes = dict(settings.getdict("ITEM_PIPELINES"))
    pipes[f"{__name__}.TimedExtract"] = pipes.pop("pipeline.pipelines.ExtractPipeline")
    pipes[f"{__name__}.TimedStore"] = pipes.pop("pipeline.pipelines.StorePipeline")
    settings.set("ITEM_PIPELINES", pipes, priority="cmdline")
    return settings


class _Tally:
    """CPU per check by outcome, from the timed pipelines' records of each page."""

    def __init__(self) -> None:
        self.by: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])

    def seen(self, item: Any, **_: Any) -> None:
        row = self.by[label(item)]
        row[0] += 1
        spent = SPENT.pop(id(item), {})
        row[1] += spent.get("cpu_extract", 0.0)
        row[2] += spent.get("cpu_store", 0.0)

    def result(self, stats: dict[str, Any], cpu: float) -> dict[str, Any]:
        outcomes = {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("redline/checks/")}
        return {
            "pages": sum(outcomes.values()),
            "seconds": stats["elapsed_time_seconds"],
            "cpu": cpu,
            "outcomes": outcomes,
            "by": dict(self.by),
            "changes": sum(v for k, v in stats.items() if k.startswith("redline/changes/")),
        }


def phase(kind: str, urls: list[str], db_url: str) -> dict[str, Any]:
    """Runs in a child process: one crawl of one step, as `redline crawl` runs it."""
    from spiders.runner import crawl_articles

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    if kind == "raw":
        from bench.crawl_throughput import raw_crawl

        return {**raw_crawl(urls, db_url, SETTINGS), "cpu": _cpu_since(cpu0)}

    refs = _refs(db_url, urls)
    _workers.examine = _in_process_examine  # type: ignore[assignment]
    tally = _Tally()
    stats = crawl_articles(_timed_settings(db_url), on_item=tally.seen, refs=refs)
    return tally.result(stats, _cpu_since(cpu0))


def daemon_phase(db_url: str) -> None:
    """Runs in a child process: a crawl per step in this one process, as `redline run`
    runs its cycles (the daemon's settings: extraction workers kept between them).
    Reads a step's URL file per line on stdin, answers with a RESULT line."""
    from scrapy import signals
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from scrapy.crawler import AsyncCrawlerRunner
    from twisted.internet import reactor as installed

    reactor: Any = installed

    from pipeline.workers import KEPT
    from spiders.article import ArticleSpider

    _workers.examine = _in_process_examine  # type: ignore[assignment]
    settings = _timed_settings(db_url)
    settings.set("REDLINE_EXTRACT_KEEP_WORKERS", True, priority="cmdline")  # as scheduler.Daemon sets it
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    runner = AsyncCrawlerRunner(settings)

    async def steps() -> None:
        try:
            while line := (await asyncio.to_thread(sys.stdin.readline)).strip():
                cpu0, workers0 = resource.getrusage(resource.RUSAGE_SELF), _workers_cpu(KEPT)
                refs = _refs(db_url, json.loads(Path(line).read_text()))
                tally = _Tally()
                crawler = runner.create_crawler(ArticleSpider)
                crawler.signals.connect(tally.seen, signal=signals.item_scraped, weak=False)
                await runner.crawl(crawler, refs=refs)
                cpu = _cpu_since(cpu0) + _workers_cpu(KEPT) - workers0
                print("RESULT " + json.dumps(tally.result(crawler.stats.get_stats(), cpu)), flush=True)
        finally:
            KEPT.drop()
            reactor.stop()

    reactor.callWhenRunning(lambda: asyncio.ensure_future(steps()))
    reactor.run()


def _workers_cpu(kept: Any) -> float:
    """CPU seconds so far of the kept extraction workers (not yet joined, so not in RUSAGE_CHILDREN)."""
    total = 0.0
    for pid in list(getattr(kept.pool, "_processes", None) or {}):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _cpu_since(start: resource.struct_rusage) -> float:
    """CPU seconds of this process and its joined children (the extraction workers) since ``start``."""
    now, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return now.ru_utime + now.ru_stime - start.ru_utime - start.ru_stime + kids.ru_utime + kids.ru_stime


def run_phase(kind: str, urls: list[str], db_url: str, tmp: str) -> dict[str, Any]:
    urls_file = Path(tmp) / "urls.json"
    urls_file.write_text(json.dumps(urls))
    out = subprocess.run(
        [sys.executable, __file__, "--phase", kind, "--urls", str(urls_file), "--db", db_url],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode:
        raise SystemExit(f"the {kind} crawl failed: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=0, help="only the N articles with the most versions")
    parser.add_argument("--etags", choices=["half", "none", "all"], default="half")
    parser.add_argument("--phase")
    parser.add_argument("--urls")
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.phase == "daemon":
        daemon_phase(args.db)
        return
    if args.phase:
        print(json.dumps(phase(args.phase, json.loads(Path(args.urls).read_text()), args.db)))
        return

    from bench.realrevisions import ReplaySite, load
    from bench.report import Row, emit
    from bench.report import load as machine_load

    replay = load()
    if replay is None:
        print("../shared/realrevisions is not present; nothing to measure")
        return
    if args.articles:
        replay = replay.subset(args.articles)
    print(
        f"{len(replay.articles)} articles of ../shared/realrevisions, {replay.steps} capture steps; "
        f"conditional requests answered for {args.etags} of them; {machine_load()}",
        flush=True,
    )
    raw = {"pages": 0, "seconds": 0.0, "cpu": 0.0}
    sides = {"crawl": _Side(), "daemon": _Side()}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, ReplaySite(replay, etags=args.etags) as site:
        db = f"sqlite:///{tmp}/replay.db"
        daemon = _DaemonSide(f"sqlite:///{tmp}/daemon.db", tmp)
        try:
            for step in range(replay.steps):
                site.show(step)
                urls = site.urls_at(step)
                r = run_phase("raw", urls, db, tmp)
                results = {"crawl": run_phase("redline", urls, db, tmp), "daemon": daemon.step(urls)}
                o, d = results["crawl"], results["daemon"]
                print(
                    f"step {step:2}: {len(urls)} articles; raw {r['pages'] / r['seconds']:.0f} pages/s, "
                    f"redline crawl {o['pages'] / o['seconds']:.0f}, daemon {d['pages'] / d['seconds']:.0f}; "
                    f"{o['outcomes']}",
                    flush=True,
                )
                for name, result in results.items():
                    sides[name].add(step, result)
                if step:
                    for k in raw:
                        raw[k] += r[k]
        finally:
            daemon.close()
    raw_rate = raw["pages"] / raw["seconds"]
    first = sides["crawl"].first
    print(
        f"\nrechecks of capture steps 1-{replay.steps - 1} ({time.perf_counter() - started:.0f} s in all; "
        f"step 0, the first crawl, left out: {first.get('pages', 0)} pages at "
        f"{first.get('pages', 0) / max(first.get('seconds', 1), 1e-9):.0f} pages/s)"
    )
    print(
        f"  raw scrapy      {raw['pages']:>6} pages {raw['seconds']:7.1f} s {raw_rate:7.1f} pages/s  "
        f"CPU {1000 * raw['cpu'] / raw['pages']:.2f} ms/page (whole process)"
    )
    rows = [Row("1 throughput", "raw Scrapy, real replay", f"{raw_rate:.1f} pages/s", "", None)]
    for name, title, measure in (
        ("crawl", "redline crawl", "redline real replay, a `redline crawl` per step"),
        ("daemon", "redline daemon", "redline real replay, one `redline run` process (a crawl per step)"),
    ):
        side = sides[name]
        rate = side.totals["pages"] / side.totals["seconds"]
        ratio = rate / raw_rate
        print(
            f"  {title:15} {side.totals['pages']:>6} pages {side.totals['seconds']:7.1f} s {rate:7.1f} pages/s  "
            f"CPU {1000 * side.totals['cpu'] / side.totals['pages']:.2f} ms/check (whole process and its workers)"
        )
        print(f"  ratio           {ratio:.2f}x raw; {side.totals['changes']} change records")
        rows.append(Row("1 throughput", measure, f"{rate:.1f} pages/s = {ratio:.2f}x raw", "≥ 0.7x", ratio >= 0.7))
    for name, side in sides.items():
        print(f"\n  {name}: checks by outcome (crawl stats): {dict(sorted(side.outcomes.items()))}")
        print(f"  {'CPU per check by outcome':38} {'checks':>6} {'extract ms':>10} {'store ms':>9} {'total ms':>9}")
        for label_, (n, e, s) in sorted(side.by.items(), key=lambda kv: -kv[1][0]):
            print(f"  {label_:38} {n:6.0f} {1000 * e / n:10.2f} {1000 * s / n:9.2f} {1000 * (e + s) / n:9.2f}")
    print(f"  (plus Scrapy's own fetch, {1000 * raw['cpu'] / raw['pages']:.2f} ms/page on the raw side)")
    print(machine_load())
    emit(*rows)


class _Side:
    """One way of running redline over the steps: its totals over the rechecks (steps 1-)."""

    def __init__(self) -> None:
        self.totals: dict[str, Any] = {"pages": 0, "seconds": 0.0, "cpu": 0.0, "changes": 0}
        self.outcomes: dict[str, int] = defaultdict(int)
        self.by: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
        self.first: dict[str, Any] = {}

    def add(self, step: int, result: dict[str, Any]) -> None:
        if step == 0:
            self.first = result  # the first crawl is a first crawl (bench/crawl_throughput.py), not a recheck
            return
        for k in self.totals:
            self.totals[k] += result[k]
        for k, v in result["outcomes"].items():
            self.outcomes[k] += v
        for k, (n, e, s) in result["by"].items():
            row = self.by[k]
            row[0] += n
            row[1] += e
            row[2] += s


class _DaemonSide:
    """The child process that crawls every step as the daemon's cycles do (daemon_phase)."""

    def __init__(self, db_url: str, tmp: str):
        self.tmp = tmp
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--phase", "daemon", "--db", db_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.n = 0

    def step(self, urls: list[str]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.n += 1
        urls_file = Path(self.tmp) / f"daemon-urls-{self.n}.json"
        urls_file.write_text(json.dumps(urls))
        self.proc.stdin.write(f"{urls_file}\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith("RESULT "):
                result: dict[str, Any] = json.loads(line[len("RESULT ") :])
                return result
        raise SystemExit(f"the daemon-style crawl exited with status {self.proc.wait()}")

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(60)


if __name__ == "__main__":
    main()
