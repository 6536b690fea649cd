"""Change-detection accuracy on real pages: no noise, every edit, exact figures.

    python bench/accuracy.py [--pages N] [--verbose]

For every page of ../shared/realpages (67 articles from 40+ sites, several
languages) it runs extraction and classification exactly as a crawl does,
with the site's boilerplate learned from other pages, and prints:

  churn   for each kind of boilerplate churn (outside the article, or only in
          how it is typeset), the pages where any content record appeared:
          content-false pages, target 0;
  edits   for each kind of labelled edit made inside the article (on top of
          all churn kinds at once), recall (the edit was reported, covering
          exactly its text), pages with records of other content kinds
          (extra), and whether the change set's stealth flag was right;
  figures the exact-value rate: detected figure edits whose old and new
          values are exactly the ones written;
  extraction  bag-of-words F1 of the extracted body against the labelled
          one (bench/textscore.py), mean over pages, beside trafilatura's own
          extraction with its default settings, and the pages scoring lowest.

No rule of the pipeline names a site; the pages stand for sites never seen.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pageedits import CHURN, EDITS, Edit  # noqa: E402
from bench.textscore import prf  # noqa: E402
from pipeline.classify import Background, ChangeRecord, Snapshot, classify  # noqa: E402
from pipeline.extract import extract  # noqa: E402
from pipeline.kinds import CONTENT_KINDS  # noqa: E402
from pipeline.noise import learn_boilerplate  # noqa: E402
from tests.churn import RealPage, load_pages, parse, serialise  # noqa: E402

REALPAGES = ROOT.parent / "shared" / "realpages"
SIBLINGS = 40


def snapshot(html: str, url: str) -> Snapshot:
    e = extract(html, url)
    return Snapshot(e.title, e.byline, e.text, e.published_at, e.modified_at, e.headlines)


def all_churn(page: RealPage, html: str, round_: int) -> str:
    for fn in CHURN.values():
        html = fn(page, html, round_)
    return html


def covered(edit: Edit, records: list[ChangeRecord]) -> bool:
    """The edit was reported: records of its kind hold each of its sentences."""
    mine = [r for r in records if r.kind == edit.kind]
    if edit.kind in ("number", "sentence_moved"):
        # A reorder may be told as the other block moving: either is one move.
        return bool(mine) and not any(r.kind in ("sentence_added", "sentence_removed") for r in records)
    if edit.kind == "headline":  # one edit of the headline is one record, wherever it shows
        surfaces_ok = edit.surfaces is None or (mine[:1] and mine[0].details.get("surfaces") == edit.surfaces)
        return len(mine) == 1 and edit.sentences[0] in (mine[0].new or "") and bool(surfaces_ok)
    text = " ".join(f"{r.old or ''} {r.new or ''}" for r in mine)
    return bool(mine) and all(" ".join(s.split()) in " ".join(text.split()) for s in edit.sentences)


def exact_figure(edit: Edit, records: list[ChangeRecord]) -> bool:
    return any((r.old_value, r.new_value) == edit.figure for r in records if r.kind == "number")


@dataclass
class ChurnResult:
    pages: int = 0
    false_pages: list[str] = field(default_factory=list)
    metadata: int = 0


@dataclass
class EditResult:
    applied: int = 0
    detected: int = 0
    extra: int = 0
    stealth_ok: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.detected / self.applied if self.applied else float("nan")


@dataclass
class Accuracy:
    churn: dict[str, ChurnResult] = field(default_factory=dict)
    edits: dict[str, EditResult] = field(default_factory=dict)
    figures_detected: int = 0
    figures_exact: int = 0
    notes: list[str] = field(default_factory=list)  # every miss and false record, for --verbose

    @property
    def content_false_pages(self) -> set[str]:
        return {p for c in self.churn.values() for p in c.false_pages}


def measure(pages: list[RealPage]) -> Accuracy:
    """Churn and edit every page; count what classification reports."""
    out = Accuracy()
    base = {p.id: serialise(parse(p.html)) for p in pages}
    first = {p.id: snapshot(all_churn(p, base[p.id], 1), p.url) for p in pages}
    ids = [p.id for p in pages]

    def background(i: int) -> Background:
        others = [first[ids[(i + k) % len(ids)]].text for k in range(1, min(SIBLINGS, len(ids) - 1) + 1)]
        return Background(boilerplate=learn_boilerplate(others))

    backgrounds = {page_id: background(i) for i, page_id in enumerate(ids)}
    for name, churn_fn in CHURN.items():
        result = out.churn[name] = ChurnResult(pages=len(pages))
        for p in pages:
            v0, v1, v2 = (snapshot(churn_fn(p, base[p.id], r) if r else base[p.id], p.url) for r in range(3))
            records = classify(v0, v1, backgrounds[p.id]) + classify(v1, v2, backgrounds[p.id])
            result.metadata += sum(r.kind == "metadata" for r in records)
            content = [r for r in records if r.kind in CONTENT_KINDS]
            if content:
                result.false_pages.append(p.id)
                out.notes += [f"FALSE {name} {p.url[:60]} {r.kind}: {r.old!r} -> {r.new!r}" for r in content]
    for name, edit_fn in EDITS.items():
        edits = out.edits[name] = EditResult()
        for p in pages:
            old = first[p.id]
            edit = edit_fn(p, all_churn(p, base[p.id], 2), old.text, old.title)
            if edit is None:
                continue
            edits.applied += 1
            records = classify(old, snapshot(edit.html, p.url), backgrounds[p.id])
            content = [r for r in records if r.kind in CONTENT_KINDS]
            hit = covered(edit, content)
            others = [r for r in content if r.kind != edit.kind and r.kind not in edit.also]
            edits.detected += hit
            edits.extra += bool(others)
            edits.stealth_ok += bool(content) and all(r.stealth is (not edit.signalled) for r in content)
            if edit.kind == "number" and hit:
                out.figures_detected += 1
                exact = exact_figure(edit, content)
                out.figures_exact += exact
                if not exact:
                    out.notes.append(f"INEXACT {name} {p.url[:60]} expected {edit.figure}")
                    out.notes += [
                        f"  {r.kind}: {r.old!r} -> {r.new!r} ({r.old_value} -> {r.new_value})" for r in content
                    ]
            if not hit or others:
                edits.misses.append(p.id)
                out.notes.append(f"{'MISS' if not hit else 'EXTRA'} {name} {p.url[:60]}")
                out.notes += [f"  {r.kind}: {r.old!r} -> {r.new!r} ({r.old_value} -> {r.new_value})" for r in content]
    return out


@dataclass
class Extraction:
    ours: list[tuple[float, float, float]] = field(default_factory=list)  # (precision, recall, F1) per page
    plain: list[tuple[float, float, float]] = field(default_factory=list)  # trafilatura alone
    ids: list[str] = field(default_factory=list)

    @staticmethod
    def mean(scores: list[tuple[float, float, float]], i: int) -> float:
        return sum(s[i] for s in scores) / len(scores) if scores else float("nan")


def measure_extraction(pages: list[RealPage]) -> Extraction:
    """The extraction of every page against its labelled body, and trafilatura's own."""
    import trafilatura

    out = Extraction()
    for p in pages:
        out.ids.append(p.id)
        out.ours.append(prf(extract(p.html, p.url).text, p.body))
        out.plain.append(prf(trafilatura.extract(p.html, url=p.url) or "", p.body))
    return out


def report_extraction(ex: Extraction) -> None:
    print("extraction against the labelled body (bag-of-words, mean over pages)")
    print(f"  {'':22} {'precision':>9} {'recall':>7} {'F1':>6}")
    for name, scores in (("redline", ex.ours), ("trafilatura alone", ex.plain)):
        print(f"  {name:22} {ex.mean(scores, 0):9.3f} {ex.mean(scores, 1):7.3f} {ex.mean(scores, 2):6.3f}")
    lowest = sorted(zip(ex.ours, ex.plain, ex.ids, strict=True), key=lambda t: t[0][2])[:5]
    for ours, plain, page_id in lowest:
        print(
            f"  lowest: {page_id} F1 {ours[2]:.3f} (precision {ours[0]:.3f}, recall {ours[1]:.3f}; "
            f"trafilatura alone {plain[2]:.3f})"
        )
    print()


def report(acc: Accuracy, pages: int) -> None:
    print("boilerplate churn (nothing may be reported as content)")
    print(f"  {'churn kind':22} {'pages':>5} {'content-false':>13} {'metadata records':>16}")
    for name, c in acc.churn.items():
        print(f"  {name:22} {c.pages:5} {len(c.false_pages):13} {c.metadata:16}")
    print(f"  {'all kinds':22} {pages:5} {len(acc.content_false_pages):13}\n")
    print("edits inside the article (each on top of every churn kind)")
    print(f"  {'edit kind':22} {'applied':>7} {'detected':>8} {'recall':>7} {'extra':>5} {'stealth ok':>10}")
    for name, e in acc.edits.items():
        print(f"  {name:22} {e.applied:7} {e.detected:8} {e.recall:7.3f} {e.extra:5} {e.stealth_ok:10}")
    rate = acc.figures_exact / acc.figures_detected if acc.figures_detected else float("nan")
    exact = f"{acc.figures_exact}/{acc.figures_detected}"
    print(f"\nfigures: {exact} detected figure edits with exact old/new values ({rate:.3f})")
    worst = min((e.recall for e in acc.edits.values()), default=float("nan"))
    print(f"content-false pages: {len(acc.content_false_pages)}; lowest recall: {worst:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=0, help="only the first N pages")
    parser.add_argument("--verbose", action="store_true", help="print every miss and every false record")
    args = parser.parse_args()
    if not (REALPAGES / "ground-truth.json").exists():
        print(f"{REALPAGES} is not present; nothing to measure")
        return
    started = time.perf_counter()
    pages = load_pages(REALPAGES)[: args.pages or None]
    print(f"{len(pages)} real pages from {REALPAGES}\n")
    report_extraction(measure_extraction(pages))
    acc = measure(pages)
    if args.verbose:
        print("\n".join(acc.notes) + "\n")
    report(acc, len(pages))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
