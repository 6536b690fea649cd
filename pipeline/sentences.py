"""Sentence splitting and alignment between two versions of an article.

Alignment follows the NewsEdits taxonomy: a sentence is kept, moved, changed
(old and new paired), removed or added. A paragraph that moved is a move, not a
deletion plus an addition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof st sr jr gen col lt sgt capt maj adm gov sen rep rev hon pres jan feb mar apr
    jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun no nos vol vs etc e.g i.e approx
    dept est fig inc ltd co corp univ ave blvd mt ft u.s u.k u.n e.u a.m p.m d.c
    """.split()
)
# End of sentence: . ! ? … (and CJK/Devanagari stops), then closing quotes or
# brackets, then space and a plausible sentence start.
_BOUNDARY = re.compile(r"([.!?…。！？।]+[\"'”’»)\]]*)(\s+)(?=[\"'“‘«(\[]?[^\s])")

Kind = Literal["equal", "moved", "changed", "removed", "added"]


@dataclass(frozen=True)
class Pair:
    kind: Kind
    old: str | None
    new: str | None
    old_index: int | None = None
    new_index: int | None = None


def _is_abbreviation(before: str) -> bool:
    word = re.search(r"(\S+)$", before)
    if not word:
        return False
    token = word.group(1).rstrip(".").lower().lstrip("(\"'“‘")
    if token in _ABBREVIATIONS:
        return True
    # A single initial ("J. Smith") or dotted initials ("U.S.").
    return bool(re.fullmatch(r"[^\W\d_]", token) or re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]", token))


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; paragraphs (lines) always end one."""
    sentences: list[str] = []
    for paragraph in text.split("\n"):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        start = 0
        for m in _BOUNDARY.finditer(paragraph):
            end = m.end(1)
            following = paragraph[m.end() :]
            if m.group(1).startswith(".") and _is_abbreviation(paragraph[start : m.start(1)]):
                continue
            # "..." followed by a lowercase word continues the sentence.
            if following[:1].islower():
                continue
            sentences.append(paragraph[start:end].strip())
            start = m.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})


def comparable(sentence: str) -> str:
    """A sentence as compared: quote style, dash style and spacing do not count."""
    return " ".join(sentence.translate(_QUOTES).split())


def similarity(a: str, b: str) -> float:
    wa, wb = _WORDS.findall(a.lower()), _WORDS.findall(b.lower())
    if not wa or not wb:
        return 0.0
    return SequenceMatcher(None, wa, wb, autojunk=False).ratio()


_WORDS = re.compile(r"\w+")
PAIR_THRESHOLD = 0.5


def align(old: list[str], new: list[str]) -> list[Pair]:
    """Align two sentence lists; every sentence of either side appears once."""
    a = [comparable(s) for s in old]
    b = [comparable(s) for s in new]
    pairs: list[Pair] = []
    left_old: list[int] = []
    left_new: list[int] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pairs.extend(Pair("equal", old[i], new[j], i, j) for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
        else:
            left_old.extend(range(i1, i2))
            left_new.extend(range(j1, j2))

    # Identical sentences out of place moved.
    by_text: dict[str, list[int]] = {}
    for j in left_new:
        by_text.setdefault(b[j], []).append(j)
    still_old: list[int] = []
    for i in left_old:
        slots = by_text.get(a[i])
        if slots:
            j = slots.pop(0)
            pairs.append(Pair("moved", old[i], new[j], i, j))
            left_new.remove(j)
        else:
            still_old.append(i)

    # What is left pairs up by similarity, best first.
    scored = sorted(
        ((similarity(old[i], new[j]), i, j) for i in still_old for j in left_new),
        reverse=True,
    )
    used_old: set[int] = set()
    used_new: set[int] = set()
    for score, i, j in scored:
        if score < PAIR_THRESHOLD:
            break
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        pairs.append(Pair("changed", old[i], new[j], i, j))
    pairs.extend(Pair("removed", old[i], None, i, None) for i in still_old if i not in used_old)
    pairs.extend(Pair("added", None, new[j], None, j) for j in left_new if j not in used_new)
    return sorted(pairs, key=lambda p: p.new_index if p.new_index is not None else (p.old_index or 0) - 0.5)
