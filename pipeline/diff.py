"""Word-level diffs with diff-match-patch.

Paragraphs first, words inside: the two texts are diffed line by line (one
private character per paragraph, diff-match-patch's line mode), and only the
paragraphs that changed are diffed word by word. On a 6,000-word article with
one edit that is the difference between a few milliseconds and a fraction of
one (bench/diff_speed.py). One deadline, ``timeout`` seconds from the call,
bounds the whole diff: two unrelated texts come back as a coarser diff, never
late.

Each token (a word, a number with its separators, a run of spaces, a
punctuation mark) is mapped to one private character, the character strings
are diffed, and the result is mapped back. A number such as ``20,057`` is one
token, so "20,000" → "20,057" is one replaced token, never "0" → "57".

The character strings are diffed by fast-diff-match-patch, the C++ port of
the same algorithm (diff and semantic cleanup), about 25 times faster in word
mode; ``pure=True`` diffs with the pure-Python diff-match-patch, which
tests/test_diff.py holds it to, diff for diff, on the real pages and the case
tables. The pure version keeps what only it has: the line-mode encoding here
and the deltas of storage/versiontext.py.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Literal

from diff_match_patch import diff_match_patch
from fast_diff_match_patch import diff as fast_diff

# Numbers keep their thousands separators and decimals: 20,000 / 1.2 / 3 000.
TOKEN = re.compile(r"\d+(?:[.,\u202f\u00a0']\d+)*|\w+(?:['’]\w+)*|\s+|[^\w\s]", re.UNICODE)

# Diff_Timeout for the whole call; semantic cleanup after the deadline needs a
# little more, so half a second keeps the worst case (unrelated texts) under 1 s.
DIFF_TIMEOUT_SECONDS = 0.5

Op = Literal["equal", "insert", "delete"]
_OPS: dict[int, Op] = {0: "equal", 1: "insert", -1: "delete"}
_FAST_OPS = {"=": 0, "+": 1, "-": -1}


@dataclass(frozen=True)
class Segment:
    op: Op
    text: str


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text)


# Tokens are written as private-use characters: neither port's semantic
# cleanup sees a letter, a space or a line break in them (Python's isalnum and
# C's iswalnum disagree on most other code points), so both score every
# boundary alike and give the same diff.
_PRIVATE = (range(0xE000, 0xF900), range(0xF0000, 0xFFFFE), range(0x100000, 0x10FFFE))
_CAPACITY = sum(len(r) for r in _PRIVATE)


def _char(index: int) -> str:
    for block in _PRIVATE:
        if index < len(block):
            return chr(block[index])
        index -= len(block)
    raise ValueError("more distinct tokens than private-use characters")


def _encode(tokens: list[str], table: dict[str, str], alphabet: dict[str, str]) -> str:
    out = []
    for tok in tokens:
        ch = table.get(tok)
        if ch is None:
            ch = _char(len(alphabet))
            table[tok] = ch
            alphabet[ch] = tok
        out.append(ch)
    return "".join(out)


def token_diff(old: str, new: str, timeout: float = DIFF_TIMEOUT_SECONDS, *, pure: bool = False) -> list[Segment]:
    """Diff two texts word by word in one pass, without the paragraph step."""
    return _merge(_token_diffs(old, new, _dmp(timeout), _deadline(timeout), pure))


def word_diff(old: str, new: str, timeout: float = DIFF_TIMEOUT_SECONDS, *, pure: bool = False) -> list[Segment]:
    """Diff two texts word by word, paragraphs first; equal neighbours are merged.
    ``pure``: with the pure-Python diff-match-patch (the reference), not the C++ one."""
    dmp = _dmp(timeout)
    deadline = _deadline(timeout)
    a, b, lines = dmp.diff_linesToChars(old, new)
    # Paragraphs in pure Python (a few dozen characters; the line characters
    # are control characters and Latin letters, which the ports classify
    # differently). Semantic cleanup merges thin runs of equal paragraphs into
    # the edits around them, so a rewritten passage is re-diffed as one piece,
    # as a one-pass diff sees it.
    blocks = dmp.diff_main(a, b, False, deadline)
    dmp.diff_cleanupSemantic(blocks)
    out: list[tuple[int, str]] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted and inserted:
            out.extend(_token_diffs("".join(deleted), "".join(inserted), dmp, deadline, pure))
        elif deleted:
            out.append((-1, "".join(deleted)))
        elif inserted:
            out.append((1, "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for op, chars in blocks:
        text = "".join(lines[ord(c)] for c in chars)
        if op == -1:
            deleted.append(text)
        elif op == 1:
            inserted.append(text)
        else:
            flush()
            out.append((0, text))
    flush()
    return _merge(out)


def _dmp(timeout: float) -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    return dmp


def _deadline(timeout: float) -> float:
    # diff-match-patch reads the deadline against time.time(); 0 means no limit.
    return time.time() + timeout if timeout > 0 else float(2**63)


def _diff_cleaned(a: str, b: str, dmp: diff_match_patch, deadline: float, pure: bool) -> list[tuple[int, str]]:
    """diff_main then semantic cleanup, by the C++ port unless ``pure``."""
    if pure:
        diffs: list[tuple[int, str]] = dmp.diff_main(a, b, False, deadline)
        dmp.diff_cleanupSemantic(diffs)
        return diffs
    # Both ports try the half-match shortcut only under a time limit: 0 stays "none".
    limit = 0.0 if dmp.Diff_Timeout <= 0 else max(deadline - time.time(), 1e-6)
    return [
        (_FAST_OPS[op], text)
        for op, text in fast_diff(a, b, timelimit=limit, checklines=False, cleanup="Semantic", counts_only=False)
    ]


def _token_diffs(
    old: str, new: str, dmp: diff_match_patch, deadline: float, pure: bool = False
) -> list[tuple[int, str]]:
    table: dict[str, str] = {}
    alphabet: dict[str, str] = {}
    old_tokens, new_tokens = tokenize(old), tokenize(new)
    if len(set(old_tokens) | set(new_tokens)) > _CAPACITY:
        raise ValueError("texts with more distinct tokens than private-use characters")
    a = _encode(old_tokens, table, alphabet)
    b = _encode(new_tokens, table, alphabet)
    # Semantic cleanup works on our token characters, so it can never split a
    # token; it only merges tiny equalities into their neighbours.
    diffs = _diff_cleaned(a, b, dmp, deadline, pure)
    return [(op, "".join(alphabet[c] for c in chars)) for op, chars in diffs]


def _merge(diffs: list[tuple[int, str]]) -> list[Segment]:
    segments: list[Segment] = []
    for op, text in diffs:
        if segments and segments[-1].op == _OPS[op]:
            segments[-1] = Segment(_OPS[op], segments[-1].text + text)
        elif text:
            segments.append(Segment(_OPS[op], text))
    return segments
