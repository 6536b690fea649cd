"""Sentence splitting and alignment between two versions of an article.

Alignment follows the NewsEdits taxonomy: a sentence is kept, moved, changed
(old and new paired), removed or added. A paragraph that moved is a move, not a
deletion plus an addition.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof st sr jr gen col lt sgt capt maj adm gov sen rep rev hon pres jan feb mar apr
    jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun no nos vol vs etc e.g i.e approx
    dept est fig inc ltd co corp univ ave blvd mt ft u.s u.k u.n e.u a.m p.m d.c
    nr bzw ca vgl usw evtl inkl ggf sog hr fr z.b d.h u.a mme mlle av sra srta dra sres pág núm tel pp
    """.split()
)
# End of sentence: . ! ? … (and CJK/Devanagari stops), then closing quotes or
# brackets, then space (none needed after a CJK stop) and a plausible sentence start.
_BOUNDARY = re.compile(r"([.!?…。！？।]+[\"'”’»)\]」』]*)((?<=[。！？」』])\s*|\s+)(?=[\"'“‘«(\[「]?[^\s])")

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
    return list(_split(text))


# Classifying one change splits the same texts and paragraphs several times over (the confirm
# rule, body changes, boilerplate, drift): each is split once, and each sentence made comparable once.
@functools.lru_cache(maxsize=4096)
def _split(text: str) -> tuple[str, ...]:
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
    return tuple(sentences)


def sentence_starts(text: str) -> list[int]:
    """Offsets in ``text`` where a sentence after the first one begins, by the rules of
    :func:`split_sentences` (a line break always ends a sentence)."""
    starts: list[int] = []
    for line in re.finditer(r"[^\n]+", text):
        paragraph, base = line.group(), line.start()
        if base and paragraph.strip():
            starts.append(base + len(paragraph) - len(paragraph.lstrip()))
        for m in _BOUNDARY.finditer(paragraph):
            if m.group(1).startswith(".") and _is_abbreviation(paragraph[: m.start(1)]):
                continue
            if paragraph[m.end() :][:1].islower():
                continue
            starts.append(base + m.end())
    return starts


_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})


@functools.lru_cache(maxsize=65536)
def comparable(sentence: str) -> str:
    """A sentence as compared: quote style, dash style and spacing do not count."""
    return " ".join(sentence.translate(_QUOTES).split())


def similarity(a: str, b: str) -> float:
    wa, wb = _WORDS.findall(a.lower()), _WORDS.findall(b.lower())
    if not wa or not wb:
        return 0.0
    return SequenceMatcher(None, wa, wb, autojunk=False).ratio()


# Kana and CJK ideographs count one by one: those scripts put no spaces between words.
_WORDS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]|[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+")
PAIR_THRESHOLD = 0.5


# Above this many cells the weighted alignment gives way to difflib's.
_MAX_DP_CELLS = 250_000


def _kept(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """The sentences that stayed in place: the common subsequence of identical
    sentences holding the most text, so that what counts as moved is the
    smaller block (a moved paragraph, not everything around it)."""
    pre = 0
    while pre < min(len(a), len(b)) and a[pre] == b[pre]:
        pre += 1
    suf = 0
    while suf < min(len(a), len(b)) - pre and a[-1 - suf] == b[-1 - suf]:
        suf += 1
    kept = [(i, i) for i in range(pre)]
    mid_a, mid_b = a[pre : len(a) - suf], b[pre : len(b) - suf]
    if len(mid_a) * len(mid_b) > _MAX_DP_CELLS:
        blocks = SequenceMatcher(None, mid_a, mid_b, autojunk=False).get_matching_blocks()
        middle = [(blk.a + k, blk.b + k) for blk in blocks for k in range(blk.size)]
    else:
        middle = _heaviest_common(mid_a, mid_b)
    kept += [(pre + i, pre + j) for i, j in middle]
    kept += [(len(a) - suf + k, len(b) - suf + k) for k in range(suf)]
    return kept


def _heaviest_common(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    n, m = len(a), len(b)
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = best[i], best[i + 1]
        for j in range(m - 1, -1, -1):
            if a[i] == b[j]:
                row[j] = below[j + 1] + len(a[i]) + 1
            else:
                row[j] = max(below[j], row[j + 1])
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if a[i] == b[j] and best[i][j] == best[i + 1][j + 1] + len(a[i]) + 1:
            out.append((i, j))
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def align(old: list[str], new: list[str]) -> list[Pair]:
    """Align two sentence lists; every sentence of either side appears once."""
    a = [comparable(s) for s in old]
    b = [comparable(s) for s in new]
    kept = _kept(a, b)
    pairs = [Pair("equal", old[i], new[j], i, j) for i, j in kept]
    left_old = sorted(set(range(len(a))) - {i for i, _ in kept})
    left_new = sorted(set(range(len(b))) - {j for _, j in kept})

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
