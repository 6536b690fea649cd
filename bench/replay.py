"""Real replay: raw Scrapy against redline on the real captures, in capture order.

    python bench/replay.py [--articles N] [--etags half|none|all]

Serves ../shared/realrevisions one capture step at a time on loopback
(bench/realrevisions.py) and crawls every step twice, in the same run: raw
Scrapy (fetch, no processing) and redline with its default settings (a fresh
SQLite database at the first step, then the recheck of every tracked article).
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
import concurrent.futures
import json
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

SETTINGS = {
    "REDLINE_ALLOW_PRIVATE": True,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 64,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_DELAY": 0,
    "LOG_LEVEL": "WARNING",
    "RETRY_ENABLED": False,
}
_examine = _pipelines.examine


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

    def shutdown(self, *a: Any, **kw: Any) -> None:
        self.pool.shutdown(*a, **kw)


CPU: dict[str, float] = {}  # url -> extraction CPU of its last examine
SPENT: dict[int, dict[str, float]] = {}  # id(page) -> CPU seconds by step, until the page is counted


class TimedExtract(_pipelines.ExtractPipeline):
    def _pool(self) -> Any:
        pool = super()._pool()
        if pool is not None and not isinstance(pool, _TimedPool):
            self.pool = pool = _TimedPool(pool, CPU)  # type: ignore[assignment]
        return pool

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

    def flush(self) -> None:
        batch = [page for page, _ in self.queued]
        started = time.process_time()
        before = sum(SPENT.get(id(p), {}).get("cpu_store", 0.0) for p in batch)
        super().flush()
        alone = sum(SPENT.get(id(p), {}).get("cpu_store", 0.0) for p in batch) - before  # pages stored one by one
        shared = (time.process_time() - started - alone) / len(batch) if batch else 0.0
        for p in batch:
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


def phase(kind: str, urls: list[str], db_url: str) -> dict[str, Any]:
    """Runs in a child process: one crawl of one step."""

    from spiders.runner import build_settings, crawl_articles
    from storage.db import open_database, session_scope
    from storage.queries import articles_to_check, get_or_create_article

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    if kind == "raw":
        from bench.crawl_throughput import raw_crawl

        return {**raw_crawl(urls, db_url, SETTINGS), "cpu": _cpu_since(cpu0)}

    url = open_database(db_url)
    with session_scope(url) as session:
        for u in urls:
            get_or_create_article(session, u)
    with session_scope(url) as session:
        refs = articles_to_check(session, everything=True)
    _pipelines.examine = _in_process_examine  # type: ignore[assignment]
    by: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])

    def seen(item: Any) -> None:
        row = by[label(item)]
        row[0] += 1
        spent = SPENT.pop(id(item), {})
        row[1] += spent.get("cpu_extract", 0.0)
        row[2] += spent.get("cpu_store", 0.0)

    settings = build_settings(url, SETTINGS)
    pipes = dict(settings.getdict("ITEM_PIPELINES"))
    pipes[f"{__name__}.TimedExtract"] = pipes.pop("pipeline.pipelines.ExtractPipeline")
    pipes[f"{__name__}.TimedStore"] = pipes.pop("pipeline.pipelines.StorePipeline")
    settings.set("ITEM_PIPELINES", pipes, priority="cmdline")
    stats = crawl_articles(settings, on_item=seen, refs=refs)
    outcomes = {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("redline/checks/")}
    return {
        "pages": sum(outcomes.values()),
        "seconds": stats["elapsed_time_seconds"],
        "cpu": _cpu_since(cpu0),
        "outcomes": outcomes,
        "by": dict(by),
        "changes": sum(v for k, v in stats.items() if k.startswith("redline/changes/")),
    }


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
    ours: dict[str, Any] = {"pages": 0, "seconds": 0.0, "cpu": 0.0, "changes": 0}
    outcomes: dict[str, int] = defaultdict(int)
    by: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    first: dict[str, Any] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, ReplaySite(replay, etags=args.etags) as site:
        db = f"sqlite:///{tmp}/replay.db"
        for step in range(replay.steps):
            site.show(step)
            urls = site.urls_at(step)
            r = run_phase("raw", urls, db, tmp)
            o = run_phase("redline", urls, db, tmp)
            print(
                f"step {step:2}: {len(urls)} articles; raw {r['pages'] / r['seconds']:.0f} pages/s, "
                f"redline {o['pages'] / o['seconds']:.0f} pages/s; {o['outcomes']}",
                flush=True,
            )
            if step == 0:
                first = o
                continue  # the first crawl is a first crawl (bench/crawl_throughput.py), not a recheck
            for k in raw:
                raw[k] += r[k]
            for k in ours:
                ours[k] += o[k]
            for k, v in o["outcomes"].items():
                outcomes[k] += v
            for k, (n, e, s) in o["by"].items():
                row = by[k]
                row[0] += n
                row[1] += e
                row[2] += s
    raw_rate, our_rate = raw["pages"] / raw["seconds"], ours["pages"] / ours["seconds"]
    ratio = our_rate / raw_rate
    print(
        f"\nrechecks of capture steps 1-{replay.steps - 1} ({time.perf_counter() - started:.0f} s in all; "
        f"step 0, the first crawl, left out: {first.get('pages', 0)} pages at "
        f"{first.get('pages', 0) / max(first.get('seconds', 1), 1e-9):.0f} pages/s)"
    )
    print(
        f"  raw scrapy   {raw['pages']:>6} pages {raw['seconds']:7.1f} s {raw_rate:7.1f} pages/s  "
        f"CPU {1000 * raw['cpu'] / raw['pages']:.2f} ms/page (whole process)"
    )
    print(
        f"  redline      {ours['pages']:>6} pages {ours['seconds']:7.1f} s {our_rate:7.1f} pages/s  "
        f"CPU {1000 * ours['cpu'] / ours['pages']:.2f} ms/check (whole process and its workers)"
    )
    print(f"  ratio        {ratio:.2f}x raw; {ours['changes']} change records")
    print(f"\n  checks by outcome (crawl stats): {dict(sorted(outcomes.items()))}")
    print(f"\n  {'CPU per check by outcome':38} {'checks':>6} {'extract ms':>10} {'store ms':>9} {'total ms':>9}")
    for name, (n, e, s) in sorted(by.items(), key=lambda kv: -kv[1][0]):
        print(f"  {name:38} {n:6.0f} {1000 * e / n:10.2f} {1000 * s / n:9.2f} {1000 * (e + s) / n:9.2f}")
    print(f"  (plus Scrapy's own fetch, {1000 * raw['cpu'] / raw['pages']:.2f} ms/page on the raw side)")
    print(machine_load())
    emit(
        Row("1 throughput", "raw Scrapy, real replay", f"{raw_rate:.1f} pages/s", "", None),
        Row(
            "1 throughput", "redline real replay", f"{our_rate:.1f} pages/s = {ratio:.2f}x raw", "≥ 0.7x", ratio >= 0.7
        ),
    )


if __name__ == "__main__":
    main()
