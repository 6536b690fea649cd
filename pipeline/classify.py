"""Classify the differences between two versions of an article into change records.

Each classifier in :data:`CLASSIFIERS` looks at one aspect (headline, byline,
dates, body) of two :class:`Snapshot` objects and yields :class:`ChangeRecord`
objects. :func:`classify` runs them all and marks a change set *stealth* when
it changed content without any signal to readers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.diff import tokenize, word_diff
from pipeline.figures import Figure, find_figures
from pipeline.kinds import CONTENT_KINDS, KINDS
from pipeline.sentences import Pair, align, split_sentences


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


Classifier = Callable[[Snapshot, Snapshot], Iterator[ChangeRecord]]
CLASSIFIERS: dict[str, Classifier] = {}


def classifier(name: str) -> Callable[[Classifier], Classifier]:
    def register(fn: Classifier) -> Classifier:
        CLASSIFIERS[name] = fn
        return fn

    return register


_RELATIVE_TIME = re.compile(
    r"\b(?:\d+|an?|one)\s+(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\s+ago\b"
    r"|\b\d+\s*(?:min(?:ute)?s?)\s+read\b|\breading time\b"
    r"|^\s*\d[\d,.]*\s+(?:comments?|views?|shares?|reactions?)\s*$",
    re.IGNORECASE,
)
_CORRECTION = re.compile(
    r"^\s*(?:correction|corrections|clarification|editor'?s note|update|updated)\s*[:—–-]"
    r"|\ban earlier version of this (?:article|story|report|post)\b"
    r"|\bthis (?:article|story|report|post) has been (?:updated|corrected|amended)\b"
    r"|^\s*(?:updated|last updated)\s+(?:at|on)\b",
    re.IGNORECASE,
)


def is_metadata(sentence: str) -> bool:
    """Reading furniture: relative times, reading time, counters."""
    return bool(_RELATIVE_TIME.search(sentence))


def is_correction(sentence: str) -> bool:
    return bool(_CORRECTION.search(sentence))


@classifier("headline")
def headline_changes(old: Snapshot, new: Snapshot) -> Iterator[ChangeRecord]:
    """One record per distinct edit, listing every surface that made it.

    Surfaces are grouped by the edit itself (the words deleted and inserted),
    so "T" → "Exclusive: T" on the h1 and "T | Site" → "Exclusive: T | Site"
    in og:title are one edit; a surface rewritten differently is its own record.
    """
    groups: dict[tuple[tuple[str, str], ...], list[tuple[str, str, str]]] = {}
    for surface, before in old.headlines.items():
        after = new.headlines.get(surface)
        if after and after != before:
            edit = tuple((s.op, s.text.strip()) for s in word_diff(before, after) if s.op != "equal")
            groups.setdefault(edit, []).append((surface, before, after))
    if not groups and old.title and new.title and old.title != new.title:
        groups[()] = [("headline", old.title, new.title)]
    for members in groups.values():
        _, before, after = min(members, key=lambda m: _SURFACE_RANK.get(m[0], len(_SURFACE_RANK)))
        yield ChangeRecord("headline", before, after, details={"surfaces": [m[0] for m in members]})


_SURFACE_RANK = {name: i for i, name in enumerate(("h1", "og:title", "json-ld", "title", "twitter:title"))}


@classifier("byline")
def byline_changes(old: Snapshot, new: Snapshot) -> Iterator[ChangeRecord]:
    """The author line, compared by its names: "By A, Writer" equals "A; Writer"."""
    if _byline_key(old.byline) != _byline_key(new.byline):
        yield ChangeRecord("byline", old.byline, new.byline)


def _byline_key(byline: str | None) -> list[str]:
    words = re.findall(r"\w+", (byline or "").lower())
    return words[1:] if words[:1] == ["by"] else words


@classifier("dates")
def date_changes(old: Snapshot, new: Snapshot) -> Iterator[ChangeRecord]:
    """Published and modified dates as the page states them."""
    if old.published_at != new.published_at and old.published_at and new.published_at:
        yield ChangeRecord("published_date", old.published_at, new.published_at)
    if old.modified_at != new.modified_at and new.modified_at:
        yield ChangeRecord("modified_date", old.modified_at, new.modified_at)


def _figure_record(a: Figure, b: Figure, old_sentence: str, new_sentence: str) -> ChangeRecord:
    return ChangeRecord(
        "number",
        a.text,
        b.text,
        old_value=a.value,
        new_value=b.value,
        context=b.context or a.context,
        details={
            "delta": b.value - a.value,
            "old_qualifier": a.qualifier,
            "new_qualifier": b.qualifier,
            "old_sentence": old_sentence,
            "new_sentence": new_sentence,
        },
    )


def _align_figures(old: list[Figure], new: list[Figure]) -> list[tuple[Figure, Figure]]:
    if len(old) == len(new):
        return list(zip(old, new, strict=True))
    pairs = []
    free = list(new)
    for a in old:
        match = next((b for b in free if b.context and b.context == a.context), None)
        if match:
            pairs.append((a, match))
            free.remove(match)
    return pairs


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


def _is_typo(old: str, new: str) -> bool:
    changed = [s for s in word_diff(old, new) if s.op != "equal"]
    if len(changed) != 2 or {s.op for s in changed} != {"delete", "insert"}:
        return False
    a, b = (s.text.strip() for s in changed)
    if len(tokenize(a)) != 1 or len(tokenize(b)) != 1 or any(c.isdigit() for c in a + b):
        return False
    return _edit_distance(a, b) <= 2


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _changed_pair(pair: Pair) -> Iterator[ChangeRecord]:
    assert pair.old is not None and pair.new is not None
    if is_metadata(pair.old) and is_metadata(pair.new):
        yield ChangeRecord("metadata", pair.old, pair.new)
        return
    old_figs, new_figs = find_figures(pair.old), find_figures(pair.new)
    figure_records = [
        _figure_record(a, b, pair.old, pair.new)
        for a, b in _align_figures(old_figs, new_figs)
        if a.value != b.value or a.text != b.text
    ]
    if figure_records and _only_figures_changed(pair.old, pair.new, old_figs, new_figs):
        yield from figure_records
        return
    if _is_typo(pair.old, pair.new):
        yield ChangeRecord("typo", pair.old, pair.new)
        return
    yield ChangeRecord("sentence_changed", pair.old, pair.new)
    yield from figure_records


@classifier("body")
def body_changes(old: Snapshot, new: Snapshot) -> Iterator[ChangeRecord]:
    """Sentences aligned between versions: added, removed, changed, moved."""
    for pair in align(split_sentences(old.text), split_sentences(new.text)):
        if pair.kind == "equal":
            continue
        if pair.kind == "moved":
            yield ChangeRecord(
                "sentence_moved", pair.old, pair.new, details={"from": pair.old_index, "to": pair.new_index}
            )
        elif pair.kind == "changed":
            yield from _changed_pair(pair)
        elif pair.kind == "added":
            assert pair.new is not None
            kind = (
                "metadata" if is_metadata(pair.new) else "correction" if is_correction(pair.new) else "sentence_added"
            )
            yield ChangeRecord(kind, None, pair.new)
        else:
            assert pair.old is not None
            kind = "metadata" if is_metadata(pair.old) else "sentence_removed"
            yield ChangeRecord(kind, pair.old, None)


def _fold_repeated_headline(records: list[ChangeRecord]) -> list[ChangeRecord]:
    """A body line that only repeats the headline edit is part of the headline record."""
    edits = [(r.old, r.new) for r in records if r.kind == "headline" and r.old and r.new]

    def explained(r: ChangeRecord) -> bool:
        return r.kind == "sentence_changed" and any(
            r.old is not None and before in r.old and r.old.replace(before, after) == r.new for before, after in edits
        )

    return [r for r in records if not explained(r)]


def _signalled(records: list[ChangeRecord]) -> bool:
    """Did the article tell readers it changed? A note, or a moved modified date."""
    return any(r.kind in ("correction", "modified_date") for r in records)


def classify(old: Snapshot, new: Snapshot) -> list[ChangeRecord]:
    """Every change from ``old`` to ``new``; content records carry the stealth flag."""
    records = _fold_repeated_headline([record for fn in CLASSIFIERS.values() for record in fn(old, new)])
    stealth = not _signalled(records)
    for record in records:
        if record.kind in CONTENT_KINDS:
            record.stealth = stealth
    return records
