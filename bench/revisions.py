"""Real revisions: what redline reports against what really changed.

    python bench/revisions.py [--articles N] [--samples N] [--save run.json | --load run.json]

Replays the captures of ../shared/realrevisions in order on loopback (the
outlet on 127.0.0.2, bench/realrevisions.py), runs the real `redline crawl
--all` after every capture step against a fresh SQLite database, and compares
each article's records with the truth of consecutive captures (this outlet's
own headline and body markup, read in bench/, never in pipeline/):

  churn pairs      the bytes changed, the article (headline, body, byline) did not;
                   any content record there is a false change (target ≤ 0.1 %)
  body changed     the body's paragraphs changed; recall = pairs whose body records
                   cover at least half the changed words (target ≥ 0.99)
  headline changed recall = pairs with a headline record (target ≥ 0.99)
  figures          a number of the body revised in place; exact = a `number` record
                   with exactly those old and new values (target ≥ 0.99)
  extraction F1    bag-of-words F1 of redline's extraction against the truth body,
                   over every distinct version

and prints every miss and false change with its text. ``--save`` keeps the
records of a replay so that ``--load`` can score them again without crawling
(the truth is read afresh, the records are the saved ones).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.realrevisions import Replay, ReplaySite, Truth, all_changes, crawl_step, load, truth  # noqa: E402
from bench.textscore import prf, words  # noqa: E402

HEADLINE_KINDS = {"headline", "headline_flipflop"}
NUMBER = re.compile(r"^\$?(\d[\d,]*(?:\.\d+)?)%?[.,;:]?$")


@dataclass
class Pair:
    path: str
    step: int  # the capture step the newer version appeared at
    old: Truth
    new: Truth
    records: list[dict[str, Any]]

    @property
    def content(self) -> list[dict[str, Any]]:
        from pipeline.kinds import CONTENT_KINDS

        return [r for r in self.records if r["kind"] in CONTENT_KINDS]

    @property
    def body_changed(self) -> bool:
        return self.old.paragraphs != self.new.paragraphs

    @property
    def headline_changed(self) -> bool:
        return self.old.headline != self.new.headline

    @property
    def byline_changed(self) -> bool:
        return self.old.byline != self.new.byline

    @property
    def churn(self) -> bool:
        return not (self.body_changed or self.headline_changed or self.byline_changed)

    def changed_words(self) -> Counter[str]:
        a, b = self.old.body.split(), self.new.body.split()
        out: Counter[str] = Counter()
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op != "equal":
                out.update(w for t in a[i1:i2] + b[j1:j2] for w in words(t))
        return out

    def figures(self) -> list[tuple[float, float]]:
        """Numbers revised in place: the same words around them, one token differs."""
        a, b = self.old.body.split(), self.new.body.split()
        found = []
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "replace" and i2 - i1 == j2 - j1:
                for x, y in zip(a[i1:i2], b[j1:j2], strict=True):
                    mx, my = NUMBER.match(x), NUMBER.match(y)
                    if mx and my:
                        found.append((float(mx.group(1).replace(",", "")), float(my.group(1).replace(",", ""))))
        return found

    def body_coverage(self) -> float:
        """The share of the truth's changed words that body records hold."""
        want = self.changed_words()
        body = [r for r in self.content if r["kind"] not in HEADLINE_KINDS and r["kind"] != "byline"]
        have = Counter(w for r in body for w in words(f"{r['old'] or ''} {r['new'] or ''}"))
        return sum((want & have).values()) / sum(want.values()) if want else 1.0


@dataclass
class Run:
    replay: Replay
    pairs: list[Pair] = field(default_factory=list)
    no_text_pairs: int = 0
    no_text_records: int = 0
    same_bytes_records: int = 0
    steps: list[str] = field(default_factory=list)
    seconds: float = 0.0


def replay_crawl(replay: Replay, tmp: str) -> tuple[dict[tuple[str, int], list[dict[str, Any]]], list[str], float]:
    """Every capture step served and crawled: the records by (article path, step), each step's summary."""
    db = f"sqlite:///{tmp}/revisions.db"
    started = time.perf_counter()
    at_step: dict[tuple[str, int], list[dict[str, Any]]] = {}
    steps: list[str] = []
    with ReplaySite(replay) as site:
        tracked: set[str] = set()
        known: set[int] = set()
        for step in range(replay.steps):
            site.show(step)
            urls = site.urls_at(step)
            summary = crawl_step(db, [u for u in urls if u not in tracked])
            tracked.update(urls)
            fresh = [c for c in all_changes(db) if c["id"] not in known]
            known.update(c["id"] for c in fresh)
            for c in fresh:
                path = "/" + c["article_url"].split("://", 1)[1].split("/", 1)[1]
                at_step.setdefault((path, step), []).append(c)
            steps.append(f"step {step:2} ({replay.captured_at[step]}): {summary}; {len(fresh)} record(s)")
            print(steps[-1], flush=True)
    return at_step, steps, time.perf_counter() - started


def pair_up(
    replay: Replay, at_step: dict[tuple[str, int], list[dict[str, Any]]], steps: list[str], seconds: float
) -> Run:
    """Each record attributed to the pair of consecutive captures it was reported for."""
    run = Run(replay, steps=steps, seconds=seconds)
    for a in replay.articles:
        versions = {s for s, _ in a.versions}
        for (path, step), recs in at_step.items():
            if path == a.path and step not in versions:
                run.same_bytes_records += len(recs)
        for (_, b0), (s1, b1) in zip(a.versions, a.versions[1:], strict=False):
            t0, t1 = truth(b0), truth(b1)
            recs = at_step.get((a.path, s1), [])
            if not t0.paragraphs or not t1.paragraphs:
                from pipeline.kinds import CONTENT_KINDS

                run.no_text_pairs += 1
                run.no_text_records += sum(r["kind"] in CONTENT_KINDS for r in recs)
                continue
            run.pairs.append(Pair(a.path, s1, t0, t1, recs))
    return run


def extraction_scores(replay: Replay) -> tuple[float, float, float, int, list[tuple[float, str, int]]]:
    """Mean F1, precision and recall of the extraction against the truth, over distinct versions."""
    from pipeline.extract import decode_html, extract

    scores = []
    worst: list[tuple[float, str, int]] = []
    for a in replay.articles:
        for step, body in a.versions:
            t = truth(body)
            if not t.paragraphs:
                continue
            got = extract(decode_html(body), "http://127.0.0.2" + a.path).text
            p, r, score = prf(got, t.body)
            scores.append((score, p, r))
            worst.append((score, a.path, step))
    n = len(scores)
    mean = [sum(s[i] for s in scores) / n if n else float("nan") for i in range(3)]
    return mean[0], mean[1], mean[2], n, sorted(worst)[:5]


def _short(text: str | None, n: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def truth_diff(p: Pair) -> list[str]:
    out = []
    if p.headline_changed:
        out.append(f"    headline: {_short(p.old.headline)!r} -> {_short(p.new.headline)!r}")
    if p.byline_changed:
        out.append(f"    byline: {sorted(p.old.byline)} -> {sorted(p.new.byline)}")
    sm = difflib.SequenceMatcher(None, p.old.paragraphs, p.new.paragraphs, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op != "equal":
            where = f"paragraph {i1 + 1}-{i2} of {len(p.old.paragraphs)}"
            out += [f"    - ({where}) {_short(t, 300)}" for t in p.old.paragraphs[i1:i2]]
            out += [f"    + {_short(t, 300)}" for t in p.new.paragraphs[j1:j2]]
    return out


def records_text(p: Pair, content_only: bool = False) -> list[str]:
    recs = p.content if content_only else p.records
    return [f"    [{r['kind']}] {_short(r['old'])!r} -> {_short(r['new'])!r}" for r in recs] or ["    (no records)"]


def report(run: Run, extraction: tuple[float, float, float, int, list[tuple[float, str, int]]], samples: int) -> None:
    from bench.report import Row, emit

    pairs = run.pairs
    churn = [p for p in pairs if p.churn]
    false = [p for p in churn if p.content]
    body = [p for p in pairs if p.body_changed]
    body_hit = [p for p in body if p.body_coverage() >= 0.5]
    heads = [p for p in pairs if p.headline_changed]
    head_hit = [p for p in heads if any(r["kind"] in HEADLINE_KINDS for r in p.content)]
    bylines = [p for p in pairs if p.byline_changed]
    byline_hit = [p for p in bylines if any(r["kind"] == "byline" for r in p.content)]
    figs = [(p, f) for p in body for f in p.figures()]
    fig_exact = [
        (p, f)
        for p, f in figs
        if any((r["old_value"], r["new_value"]) == f for r in p.content if r["kind"] == "number")
    ]
    versions = sum(len(a.versions) for a in run.replay.articles)

    def rate(n: int, d: int) -> str:
        return f"{n / d:.4f}" if d else "n/a"

    print(f"\n{len(run.replay.articles)} articles, {versions} versions, {run.replay.steps} capture steps, ")
    print(f"{len(pairs) + run.no_text_pairs} consecutive pairs with new bytes ({run.seconds:.0f} s of replay)")
    print(
        f"  pairs without article text (video pages): {run.no_text_pairs}, "
        f"content records on them: {run.no_text_records}"
    )
    print(f"  records at checks whose bytes did not change: {run.same_bytes_records}")
    print(f"  churn pairs (bytes changed, article did not): {len(churn)}")
    print(f"  false-change pairs: {len(false)}  rate {rate(len(false), len(churn))}  (target ≤ 0.001)")
    print(f"  body-changed pairs: {len(body)}  detected {len(body_hit)}  recall {rate(len(body_hit), len(body))}")
    print(f"  headline-changed pairs: {len(heads)}  detected {len(head_hit)}  recall {rate(len(head_hit), len(heads))}")
    print(f"  byline-changed pairs: {len(bylines)}  with a byline record {len(byline_hit)}")
    print(
        f"  figure-changed: {len(figs)} figures in {len({id(p) for p, _ in figs})} pairs, "
        f"exact {len(fig_exact)}  rate {rate(len(fig_exact), len(figs))}"
    )
    for p, f in figs:
        print(f"    {p.path[:70]} step {p.step}: {f[0]:g} -> {f[1]:g}  {'exact' if (p, f) in fig_exact else 'MISSED'}")
    mf1, mp, mr, n, worst = extraction
    print(f"  extraction against the truth: F1 {mf1:.3f} (precision {mp:.3f}, recall {mr:.3f}) over {n} versions")
    for score, path, step in worst:
        print(f"    lowest: {score:.3f} {path[:80]} (step {step})")

    print(f"\nfalse changes ({len(false)}):")
    for p in false[:samples]:
        print(f"  {p.path} step {p.step}")
        print("\n".join(records_text(p, content_only=True)))
    misses = [p for p in body if p not in body_hit] + [p for p in heads if p not in head_hit]
    print(f"\nmisses ({len(misses)}):")
    for p in misses[:samples]:
        print(f"  {p.path} step {p.step} (body coverage {p.body_coverage():.2f})")
        print("  truth:")
        print("\n".join(truth_diff(p)))
        print("  records:")
        print("\n".join(records_text(p)))
    print(f"\ndetected edits ({len(body_hit) + len(head_hit)}), for reading:")
    for p in [p for p in pairs if p in body_hit or p in head_hit][:samples]:
        print(f"  {p.path} step {p.step} (body coverage {p.body_coverage():.2f})")
        print("\n".join(truth_diff(p)))
        print("\n".join(records_text(p, content_only=True)))

    item = "5 real revisions"
    false_rate = len(false) / len(churn) if churn else 0.0
    emit(
        Row(
            item,
            f"false-change pairs of {len(churn)} churn pairs",
            f"{len(false)} ({false_rate:.4f})",
            "≤ 0.001",
            false_rate <= 0.001,
        ),
        Row(
            item,
            "body recall",
            f"{len(body_hit)}/{len(body)}",
            "≥ 0.99",
            bool(body) and len(body_hit) / len(body) >= 0.99,
        ),
        Row(
            item,
            "headline recall",
            f"{len(head_hit)}/{len(heads)}",
            "≥ 0.99",
            bool(heads) and len(head_hit) / len(heads) >= 0.99,
        ),
        Row(
            item,
            "exact figure values",
            f"{len(fig_exact)}/{len(figs)}",
            "≥ 0.99",
            not figs or len(fig_exact) / len(figs) >= 0.99,
        ),
        Row(item, "extraction F1 against the truth", f"{mf1:.3f}", "≥ 0.96", mf1 >= 0.96),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=0, help="only the N articles with the most versions")
    parser.add_argument("--samples", type=int, default=1000, help="print at most N of each kind of sample")
    parser.add_argument("--save", help="write the replay's records to this JSON file")
    parser.add_argument("--load", help="score the records a --save wrote instead of crawling")
    args = parser.parse_args()
    replay = load()
    if replay is None:
        print("../shared/realrevisions is not present; nothing to measure")
        return
    if args.articles:
        replay = replay.subset(args.articles)
    from bench.report import load as machine_load

    print(f"{len(replay.articles)} articles of ../shared/realrevisions; {machine_load()}", flush=True)
    if args.load:
        saved = json.loads(Path(args.load).read_text())
        at_step = {(path, step): recs for path, step, recs in saved["records"]}
        steps, seconds = saved["steps"], saved["seconds"]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            at_step, steps, seconds = replay_crawl(replay, tmp)
    if args.save:
        records = [[path, step, recs] for (path, step), recs in at_step.items()]
        Path(args.save).write_text(json.dumps({"records": records, "steps": steps, "seconds": seconds}))
    report(pair_up(replay, at_step, steps, seconds), extraction_scores(replay), args.samples)


if __name__ == "__main__":
    main()
