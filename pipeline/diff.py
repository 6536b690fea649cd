"""Word-level diffs with diff-match-patch.

Each token (a word, a number with its separators, a run of spaces, a
punctuation mark) is mapped to one private character, the character strings
are diffed, and the result is mapped back. A number such as ``20,057`` is one
token, so "20,000" → "20,057" is one replaced token, never "0" → "57".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from diff_match_patch import diff_match_patch

# Numbers keep their thousands separators and decimals: 20,000 / 1.2 / 3 000.
TOKEN = re.compile(r"\d+(?:[.,\u202f\u00a0']\d+)*|\w+(?:['’]\w+)*|\s+|[^\w\s]", re.UNICODE)

DIFF_TIMEOUT_SECONDS = 1.0

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


def word_diff(old: str, new: str, timeout: float = DIFF_TIMEOUT_SECONDS) -> list[Segment]:
    """Diff two texts word by word; equal neighbours are merged."""
    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    table: dict[str, str] = {}
    alphabet: list[str] = []
    a = _encode(tokenize(old), table, alphabet)
    b = _encode(tokenize(new), table, alphabet)
    diffs = dmp.diff_main(a, b, False)
    # Semantic cleanup works on our token characters, so it can never split a
    # token; it only merges tiny equalities into their neighbours.
    dmp.diff_cleanupSemantic(diffs)
    segments: list[Segment] = []
    for op, chars in diffs:
        text = "".join(alphabet[(ord(c) - 0x100) if ord(c) < 0xD800 else (ord(c) - 0x900)] for c in chars)
        if segments and segments[-1].op == _OPS[op]:
            segments[-1] = Segment(_OPS[op], segments[-1].text + text)
        elif text:
            segments.append(Segment(_OPS[op], text))
    return segments


def has_changes(segments: list[Segment]) -> bool:
    return any(s.op != "equal" for s in segments)
