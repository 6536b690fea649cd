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
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Literal

from diff_match_patch import diff_match_patch

# Numbers keep their thousands separators and decimals: 20,000 / 1.2 / 3 000.
TOKEN = re.compile(r"\d+(?:[.,\u202f\u00a0']\d+)*|\w+(?:['’]\w+)*|\s+|[^\w\s]", re.UNICODE)

# Diff_Timeout for the whole call; semantic cleanup after the deadline needs a
# little more, so half a second keeps the worst case (unrelated texts) under 1 s.
DIFF_TIMEOUT_SECONDS = 0.5

Op = Literal["equal", "insert", "delete"]
_OPS: dict[int, Op] = {0: "equal", 1: "insert", -1: "delete"}


@dataclass(frozen=True)
class Segment:
    op: Op
    text: str


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text)


def _encode(tokens: list[str], table: dict[str, str], alphabet: list[str]) -> str:
    out = []
    for tok in tokens:
        ch = table.get(tok)
        if ch is None:
            # Skip the surrogate range: those code points cannot stand alone.
            code = len(alphabet) + 0x100
            if code >= 0xD800:
                code += 0x800
            ch = chr(code)
            table[tok] = ch
            alphabet.append(tok)
        out.append(ch)
    return "".join(out)


def token_diff(old: str, new: str, timeout: float = DIFF_TIMEOUT_SECONDS) -> list[Segment]:
    """Diff two texts word by word in one pass, without the paragraph step."""
    return _merge(_token_diffs(old, new, _dmp(timeout), _deadline(timeout)))


def word_diff(old: str, new: str, timeout: float = DIFF_TIMEOUT_SECONDS) -> list[Segment]:
    """Diff two texts word by word, paragraphs first; equal neighbours are merged."""
    dmp = _dmp(timeout)
    deadline = _deadline(timeout)
    a, b, lines = dmp.diff_linesToChars(old, new)
    blocks = dmp.diff_main(a, b, False, deadline)
    # Merge thin runs of equal paragraphs into the edits around them, so a
    # rewritten passage is re-diffed as one piece, as a one-pass diff sees it.
    dmp.diff_cleanupSemantic(blocks)
    out: list[tuple[int, str]] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted and inserted:
            out.extend(_token_diffs("".join(deleted), "".join(inserted), dmp, deadline))
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


def _token_diffs(old: str, new: str, dmp: diff_match_patch, deadline: float) -> list[tuple[int, str]]:
    table: dict[str, str] = {}
    alphabet: list[str] = []
    a = _encode(tokenize(old), table, alphabet)
    b = _encode(tokenize(new), table, alphabet)
    diffs = dmp.diff_main(a, b, False, deadline)
    # Semantic cleanup works on our token characters, so it can never split a
    # token; it only merges tiny equalities into their neighbours.
    dmp.diff_cleanupSemantic(diffs)
    return [
        (op, "".join(alphabet[(ord(c) - 0x100) if ord(c) < 0xD800 else (ord(c) - 0x900)] for c in chars))
        for op, chars in diffs
    ]


def _merge(diffs: list[tuple[int, str]]) -> list[Segment]:
    segments: list[Segment] = []
    for op, text in diffs:
        if segments and segments[-1].op == _OPS[op]:
            segments[-1] = Segment(_OPS[op], segments[-1].text + text)
        elif text:
            segments.append(Segment(_OPS[op], text))
    return segments
