"""Classify the differences between two versions of an article into change records.

Each classifier in :data:`CLASSIFIERS` looks at one aspect (headline, byline,
dates, body) of two :class:`Snapshot` objects and yields :class:`ChangeRecord`
objects. :func:`classify` runs them all and marks a change set *stealth* when
it changed content without any signal to readers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.bylines import same_people
from pipeline.diff import word_diff
from pipeline.drift import Drift, extraction_drift, lone_edge_lines
from pipeline.figures import Figure, align_figures, find_figures
from pipeline.kinds import CONTENT_KINDS, KINDS
from pipeline.noise import is_correction, is_metadata, is_update_line
from pipeline.sentences import Pair, align, comparable, split_sentences
from pipeline.typos import is_typo


@dataclass
class Snapshot:
    title: str | None
    byline: str | None
    text: str
    published_at: str | None = None
    modified_at: str | None = None
    headlines: dict[str, str] = field(default_factory=dict)


@dataclass
class ChangeRecord:
    kind: str
    old: str | None
    new: str | None
    old_value: float | None = None
    new_value: float | None = None
    context: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    stealth: bool | None = None

    @property
    def severity(self) -> str:
        return KINDS[self.kind].severity


@dataclass(frozen=True)
class Background:
    """What classification knows beyond the two versions it compares."""

    # The best headline of the versions before ``old``, oldest first (for flip-flops).
    headline_history: tuple[str | None, ...] = ()
    # Sentences (as :func:`comparable` returns them) the site repeats on many
    # articles, each with the reason it was learned.
    boilerplate: Mapping[str, str] = field(default_factory=dict)


NOTHING_KNOWN = Background()

Classifier = Callable[[Snapshot, Snapshot, Background], Iterator[ChangeRecord]]
CLASSIFIERS: dict[str, Classifier] = {}


def classifier(name: str) -> Callable[[Classifier], Classifier]:
    def register(fn: Classifier) -> Classifier:
        CLASSIFIERS[name] = fn
        return fn

    return register


@classifier("headline")
def headline_changes(old: Snapshot, new: Snapshot, background: Background) -> Iterator[ChangeRecord]:
    """One record per distinct edit, listing every surface that made it.

    Surfaces are grouped by the edit itself (the words deleted and inserted),
    so "T" → "Exclusive: T" on the h1 and "T | Site" → "Exclusive: T | Site"
    in og:title are one edit; a surface rewritten differently is its own record.
    A headline that alternates (A → B → A → B) is one ``headline_flipflop``;
    each further swing between the same two wordings is ``metadata``.
    """
    records = list(_headline_edits(old, new))
    swings = _swings(background.headline_history, old.title, new.title)
    if swings < FLIPFLOP_SWINGS or not records:
        yield from records
        return
    details = {
        "variants": [new.title, old.title],
        "surfaces": sorted({s for r in records for s in r.details.get("surfaces", [])}),
        "swings": swings,
    }
    kind = "headline_flipflop" if swings == FLIPFLOP_SWINGS else "metadata"
    if kind == "metadata":
        details["reason"] = "the headline keeps alternating between two wordings (reported once as headline_flipflop)"
    yield ChangeRecord(kind, old.title, new.title, details=details)


# A → B → A is a revert; A → B → A → B (three swings) is an A/B test.
FLIPFLOP_SWINGS = 3


def _swings(history: tuple[str | None, ...], old: str | None, new: str | None) -> int:
    """How many consecutive swings between the same two headlines end with this
    one: 1 for a plain rewrite, 2 for A → B → A, 3 for A → B → A → B."""
    titles = [*history, old, new]
    if old == new:
        return 0
    swings = 1
    while swings + 2 <= len(titles) and titles[-swings - 2] == titles[-swings]:
        swings += 1
    return swings


def _headline_edits(old: Snapshot, new: Snapshot) -> Iterator[ChangeRecord]:
    groups: dict[tuple[tuple[str, str], ...], list[tuple[str, str, str]]] = {}
    for surface, before in old.headlines.items():
        after = new.headlines.get(surface)
        if after and comparable(after) != comparable(before):
            # Grouped by the edit as read: a copy that also changed quote style made the same edit.
            edit = tuple(
                (s.op, s.text.strip()) for s in word_diff(comparable(before), comparable(after)) if s.op != "equal"
            )
            groups.setdefault(edit, []).append((surface, before, after))
    if not groups and old.title and new.title and comparable(old.title) != comparable(new.title):
        groups[()] = [("headline", old.title, new.title)]
    retyped = [s for s, before in old.headlines.items() if before != new.headlines.get(s, before)]
    if retyped and not groups:
        surface = retyped[0]
        yield ChangeRecord(
            "metadata",
            old.headlines[surface],
            new.headlines[surface],
            details={"reason": "headline spacing or quote style", "surfaces": retyped},
        )
    for members in groups.values():
        # The headline as extraction chose it; else the shortest wording, the one without a site name.
        _, before, after = min(members, key=lambda m: (m[1] != old.title, len(m[2]), _SURFACE_RANK.get(m[0], 9)))
        yield ChangeRecord("headline", before, after, details={"surfaces": [m[0] for m in members]})


_SURFACE_RANK = {name: i for i, name in enumerate(("h1", "og:title", "json-ld", "title", "twitter:title"))}


@classifier("byline")
def byline_changes(old: Snapshot, new: Snapshot, background: Background) -> Iterator[ChangeRecord]:
    """The author line, compared as a set of people (pipeline/bylines.py):
    "A and B" equals "A, B" and "Posted by A | Outlet" equals "A". A byline
    that no page source states any more is unknown, not removed."""
    if old.byline == new.byline:
        return
    same = same_people(old.byline, new.byline)
    if same is False:
        yield ChangeRecord("byline", old.byline, new.byline)
    else:
        reason = "the byline's shape or source changed, not its people" if same else "no page source states a byline"
        yield ChangeRecord("metadata", old.byline, new.byline, details={"reason": reason})


@classifier("dates")
def date_changes(old: Snapshot, new: Snapshot, background: Background) -> Iterator[ChangeRecord]:
    """Published and modified dates as the page states them."""
    if old.published_at != new.published_at and old.published_at and new.published_at:
        yield ChangeRecord("published_date", old.published_at, new.published_at)
    if old.modified_at != new.modified_at and new.modified_at:
        yield ChangeRecord("modified_date", old.modified_at, new.modified_at)


def _figure_record(a: Figure, b: Figure, old_sentence: str, new_sentence: str) -> ChangeRecord:
    details: dict[str, Any] = {
        "delta": b.value - a.value,
        "old_qualifier": a.qualifier,
        "new_qualifier": b.qualifier,
        "old_sentence": old_sentence,
        "new_sentence": new_sentence,
    }
    if a.unit or b.unit:
        details["unit"] = b.unit or a.unit
    if a.high is not None or b.high is not None:
        details["old_high"], details["new_high"] = a.high, b.high
    return ChangeRecord(
        "number", a.text, b.text, old_value=a.value, new_value=b.value, context=b.context or a.context, details=details
    )


def _only_figures_changed(old: str, new: str, old_figs: list[Figure], new_figs: list[Figure]) -> bool:
    """True when every edited token lies inside a figure on its side."""
    pos_old = pos_new = 0
    for seg in word_diff(old, new):
        if seg.op == "equal":
            pos_old += len(seg.text)
            pos_new += len(seg.text)
            continue
        figs, pos = (old_figs, pos_old) if seg.op == "delete" else (new_figs, pos_new)
        lead = len(seg.text) - len(seg.text.lstrip())
        s, e = pos + lead, pos + len(seg.text.rstrip())
        if s < e and not any(f.start <= s and e <= f.end for f in figs):
            return False
        if seg.op == "delete":
            pos_old += len(seg.text)
        else:
            pos_new += len(seg.text)
    return True


def _changed_pair(old: str, new: str) -> Iterator[ChangeRecord]:
    if is_update_line(old) and is_update_line(new):
        yield ChangeRecord("modified_date", old, new, details={"reason": _STAMP})
        return
    if is_metadata(old) and is_metadata(new):
        yield ChangeRecord("metadata", old, new, details={"reason": "reading furniture"})
        return
    if is_correction(new):
        yield ChangeRecord("correction", old, new, details={"note": new, "revised": True})
        return
    old_figs, new_figs = find_figures(old), find_figures(new)
    figure_records = [
        _figure_record(a, b, old, new)
        for a, b in align_figures(old_figs, new_figs)
        if a.value != b.value or a.high != b.high or a.text != b.text
    ]
    if figure_records and _only_figures_changed(old, new, old_figs, new_figs):
        yield from figure_records
        return
    if is_typo(old, new):
        yield ChangeRecord("typo", old, new)
        return
    yield ChangeRecord("sentence_changed", old, new)
    yield from figure_records


# Why a visible "Updated: <date>" line is a modified_date record: it says when, not what.
_STAMP = "a visible update line with only a date"


def _units(text: str) -> list[str]:
    """Sentences, except that a correction or update note stays whole: its
    second sentence ("It was 130, not 140.") belongs to the note."""
    units: list[str] = []
    for paragraph in text.split("\n"):
        sentences = split_sentences(paragraph)
        if sentences and is_correction(sentences[0]) and not is_metadata(sentences[0]):
            units.append(" ".join(sentences))
        else:
            units.extend(sentences)
    return units


def _moved_runs(pairs: list[Pair]) -> Iterator[ChangeRecord]:
    """Consecutive sentences that moved together are one move (a paragraph)."""
    run: list[Pair] = []
    for pair in sorted(pairs, key=lambda p: p.old_index or 0):
        if run and (pair.old_index, pair.new_index) != ((run[-1].old_index or 0) + 1, (run[-1].new_index or 0) + 1):
            yield _moved(run)
            run = []
        run.append(pair)
    if run:
        yield _moved(run)


def _moved(run: list[Pair]) -> ChangeRecord:
    return ChangeRecord(
        "sentence_moved",
        " ".join(p.old or "" for p in run),
        " ".join(p.new or "" for p in run),
        details={"from": run[0].old_index, "to": run[0].new_index, "sentences": len(run)},
    )


def _rewritten_figures(removed: list[str], added: list[str]) -> Iterator[ChangeRecord]:
    """A figure whose sentence was rewritten beyond pairing is still the same
    figure when exactly one figure on each side counts the same thing."""
    olds = [(f, s) for s in removed for f in find_figures(s) if f.context]
    news = [(f, s) for s in added for f in find_figures(s) if f.context]
    for a, old_sentence in olds:
        key = (a.context.lower() if a.context else None, a.unit)
        same_old = [f for f, _ in olds if ((f.context or "").lower(), f.unit) == key]
        same_new = [(f, s) for f, s in news if ((f.context or "").lower(), f.unit) == key]
        if len(same_old) == 1 and len(same_new) == 1 and same_new[0][0].value != a.value:
            b, new_sentence = same_new[0]
            record = _figure_record(a, b, old_sentence, new_sentence)
            record.details["rewritten"] = True
            yield record


@classifier("body")
def body_changes(old: Snapshot, new: Snapshot, background: Background) -> Iterator[ChangeRecord]:
    """Sentences aligned between versions: added, removed, changed, moved.

    Sentences the site repeats on many articles are ``metadata`` with the
    reason kept; so are spacing and quote-style changes.
    """
    moved: list[Pair] = []
    removed: list[str] = []
    added: list[str] = []
    old_units, new_units = _units(old.text), _units(new.text)
    pairs = align(old_units, new_units)
    lone = lone_edge_lines(pairs)
    drift = extraction_drift(old_units, new_units)
    drifted = set(drift.lines) if drift else set()
    for k, pair in enumerate(pairs):
        reason = _boilerplate(pair, background.boilerplate) or _drift_reason(pair, k in lone, drift, drifted)
        if pair.kind == "equal":
            if pair.old != pair.new:
                yield ChangeRecord("metadata", pair.old, pair.new, details={"reason": "spacing or quote style"})
        elif reason:
            yield ChangeRecord("metadata", pair.old, pair.new, details={"reason": reason})
        elif pair.kind == "moved":
            moved.append(pair)
        elif pair.old is not None and pair.new is not None:
            yield from _changed_pair(pair.old, pair.new)
        elif pair.new is not None:
            kind = _added_kind(pair.new)
            details = (
                {"note": pair.new} if kind == "correction" else {"reason": _STAMP} if kind == "modified_date" else {}
            )
            yield ChangeRecord(kind, None, pair.new, details=details)
            if kind == "sentence_added":
                added.append(pair.new)
        elif pair.old is not None:
            kind = "metadata" if is_metadata(pair.old) or is_update_line(pair.old) else "sentence_removed"
            yield ChangeRecord(kind, pair.old, None, details={"reason": _STAMP} if is_update_line(pair.old) else {})
            if kind == "sentence_removed":
                removed.append(pair.old)
    yield from _moved_runs(moved)
    yield from _rewritten_figures(removed, added)


_LONE_LINE = "extraction drift: a heading or an embedded post's attribution came or went alone"


def _drift_reason(pair: Pair, lone: bool, drift: Drift | None, drifted: set[str]) -> str | None:
    """Why an added or removed line is the extractor's, not the article's (pipeline/drift.py)."""
    line = pair.new if pair.kind == "added" else pair.old if pair.kind == "removed" else None
    if line is None or is_metadata(line) or is_correction(line) or is_update_line(line):
        return None  # a note, a stamp or furniture keeps its own kind
    if lone:
        return _LONE_LINE
    if drift is not None and line in drifted and drift.added == (pair.kind == "added"):
        return drift.reason
    return None


def _added_kind(sentence: str) -> str:
    if is_metadata(sentence):
        return "metadata"
    if is_update_line(sentence):
        return "modified_date"
    return "correction" if is_correction(sentence) else "sentence_added"


def _boilerplate(pair: Pair, boilerplate: Mapping[str, str]) -> str | None:
    for sentence in (pair.old, pair.new):
        if sentence is not None and (reason := boilerplate.get(comparable(sentence))):
            return reason
    return None


def _headline_copies(old: Snapshot, new: Snapshot, records: list[ChangeRecord]) -> list[ChangeRecord]:
    """Pages often repeat the headline at the top of the body, and extraction
    drops that copy only while it matches a headline surface: when the headline
    changes on some surfaces the copy can surface as an added or removed line.
    It is part of the headline record, kept as metadata."""
    if not any(r.kind in ("headline", "headline_flipflop") or "swings" in r.details for r in records):
        return records
    copies = {comparable(h) for h in (*old.headlines.values(), *new.headlines.values(), old.title, new.title) if h}
    for r in records:
        text = r.new if r.kind == "sentence_added" else r.old if r.kind == "sentence_removed" else None
        if text is not None and comparable(text) in copies:
            r.kind, r.details = "metadata", {**r.details, "reason": "the headline's copy in the body"}
    return records


def _fold_repeated_headline(records: list[ChangeRecord]) -> list[ChangeRecord]:
    """A body line that only repeats the headline edit is part of the headline record."""
    edits = [
        (r.old, r.new)
        for r in records
        if (r.kind in ("headline", "headline_flipflop") or "swings" in r.details) and r.old and r.new
    ]

    def explained(r: ChangeRecord) -> bool:
        return r.kind == "sentence_changed" and any(
            r.old is not None and before in r.old and r.old.replace(before, after) == r.new for before, after in edits
        )

    return [r for r in records if not explained(r)]


SIGNAL_KINDS = frozenset({"correction", "modified_date"})


def _signalled(records: list[ChangeRecord]) -> bool:
    """Did the article tell readers it changed? A note, a bumped update line, a moved modified date."""
    return any(r.kind in SIGNAL_KINDS for r in records)


def classify(old: Snapshot, new: Snapshot, background: Background = NOTHING_KNOWN) -> list[ChangeRecord]:
    """Every change from ``old`` to ``new``; content records carry the stealth flag."""
    records = _fold_repeated_headline([record for fn in CLASSIFIERS.values() for record in fn(old, new, background)])
    records = _headline_copies(old, new, records)
    stealth = not _signalled(records)
    for record in records:
        if record.kind in CONTENT_KINDS:
            record.stealth = stealth
    return records
