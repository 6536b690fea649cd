"""Extraction drift: text that comes and goes with the extractor, not with the article.

Pure functions on the sentences two versions were split into. Two shapes:

- a *lone edge line*: a heading beside the article ("2021 Winter Games") or
  the attribution line of an embedded post ("— A. Name (@handle) March 3,
  2021") that appears or disappears on its own, while the sentences around
  it are unchanged: the extractor's boundary moved, the page's text there did
  not;
- a *drifted block*: every sentence of the article is still there, in order,
  and what was added (or dropped) is one block of fragments (teaser
  headlines, "Advertisement", "Trending") beside it: the extraction took in
  (or let go of) a promotional box. :func:`extraction_drift` says so, so that
  classification reports it as ``metadata`` and the store's decision can hold
  the version instead of reporting many edits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.noise import MONTHS
from pipeline.sentences import Pair, comparable

# "— Name (@handle) November 18, 2019", as embedded posts end on every site.
_ATTRIBUTION = re.compile(
    rf"[—–-]\s*[^()\n]{{0,80}}\(@\w{{1,30}}\)\s*(?:(?:{MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+(?:{MONTHS})\.?\s+\d{{4}})\W*$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…:;\"”’»)]\s*$")

# A drifted block has at least this many lines, and at least this share of them are fragments.
BLOCK_MIN_LINES = 3
BLOCK_FRAGMENT_SHARE = 0.5


def is_attribution(line: str) -> bool:
    """The attribution line of an embedded post (it may end the post's own text)."""
    return bool(_ATTRIBUTION.search(line))


def is_fragment(line: str) -> bool:
    """A line that is not a sentence: no closing punctuation, or only a few words."""
    return not _SENTENCE_END.search(line) or len(line.split()) < 4


def is_heading(line: str) -> bool:
    """A short title-like line: at most ten words, no closing punctuation, capitalised."""
    words = line.split()
    return 0 < len(words) <= 10 and not _SENTENCE_END.search(line) and not words[0][:1].islower()


def lone_edge_lines(pairs: Sequence[Pair]) -> set[int]:
    """Indexes (into ``pairs``, an alignment) of the added or removed lines that drifted alone.

    A heading or an embedded post's attribution that came or went while the
    lines on both sides of it are unchanged, with nothing else between them on
    the other side (or it sits at an end of the text), is drift.
    """
    old_len = 1 + max((p.old_index for p in pairs if p.old_index is not None), default=-1)
    new_len = 1 + max((p.new_index for p in pairs if p.new_index is not None), default=-1)
    new_to_old = {p.new_index: p.old_index for p in pairs if p.kind == "equal"}
    old_to_new = {p.old_index: p.new_index for p in pairs if p.kind == "equal"}
    lone = set()
    for k, p in enumerate(pairs):
        if p.kind == "added" and p.new is not None and p.new_index is not None:
            index, line, same, other_len = p.new_index, p.new, new_to_old, old_len
        elif p.kind == "removed" and p.old is not None and p.old_index is not None:
            index, line, same, other_len = p.old_index, p.old, old_to_new, new_len
        else:
            continue
        before = -1 if index == 0 else same.get(index - 1)
        after = other_len if index + 1 == (new_len if p.kind == "added" else old_len) else same.get(index + 1)
        if before is None or after is None or after != before + 1:
            continue  # a neighbour changed too, or something else came or went beside it
        if is_heading(line) or is_attribution(line):
            lone.add(k)
    return lone


@dataclass(frozen=True)
class Drift:
    """A block of non-article lines that the extraction took in (``added``) or let go of."""

    lines: tuple[str, ...]
    added: bool

    @property
    def reason(self) -> str:
        where = "took in" if self.added else "let go of"
        return f"extraction drift: the extraction {where} a block of {len(self.lines)} lines beside the article"


def extraction_drift(old: Sequence[str], new: Sequence[str]) -> Drift | None:
    """The block of fragments one side has beside the other's whole article, or None.

    ``old`` and ``new`` are the two versions' sentences. Drift when every
    sentence of the shorter side is in the longer one, in order, and the rest
    of the longer side is one contiguous block of at least
    :data:`BLOCK_MIN_LINES` lines, mostly fragments (teasers, labels). A
    real addition (whole sentences) or any edit of the article's own
    sentences is not drift.
    """
    for short, long_, added in ((old, new, True), (new, old, False)):
        block = _extra_block(short, long_)
        if block is None or len(block) < BLOCK_MIN_LINES:
            continue
        if sum(is_fragment(line) for line in block) >= BLOCK_FRAGMENT_SHARE * len(block):
            return Drift(tuple(block), added)
    return None


def _extra_block(short: Sequence[str], long_: Sequence[str]) -> list[str] | None:
    """The lines of ``long_`` left over once ``short`` is matched in order, if they are one run."""
    if not short or len(long_) <= len(short):
        return None
    keys = [comparable(s) for s in short]
    matched: list[int] = []
    j = 0
    for i, line in enumerate(long_):
        if j < len(keys) and comparable(line) == keys[j]:
            matched.append(i)
            j += 1
    if j < len(keys):
        return None  # a sentence of the article changed or went: not drift
    extra = [i for i in range(len(long_)) if i not in set(matched)]
    if extra != list(range(extra[0], extra[-1] + 1)):
        return None
    return [long_[i] for i in extra]
