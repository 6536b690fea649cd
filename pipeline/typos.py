"""Typo fixes: an edit inside one word of at most two characters.

"recieve" → "receive" is a typo; "fair" → "unfair" and "now" → "not" are not,
however few letters they change.
"""

from __future__ import annotations

from pipeline.diff import tokenize, word_diff


def is_typo(old: str, new: str) -> bool:
    """One word fixed by at most two characters (one for short words), not a reversal of meaning."""
    changed = [s for s in word_diff(old, new) if s.op != "equal"]
    if len(changed) != 2 or {s.op for s in changed} != {"delete", "insert"}:
        return False
    a, b = (s.text.strip() for s in changed)
    if len(tokenize(a)) != 1 or len(tokenize(b)) != 1 or any(c.isdigit() for c in a + b):
        return False
    if _negated(a, b) or _negated(b, a) or {a.lower(), b.lower()} & _MEANING_WORDS:
        return False
    return _edit_distance(a, b) <= (2 if min(len(a), len(b)) > 4 else 1) and min(len(a), len(b)) > 2


# Short words whose one-letter edits change the meaning: "now" → "not".
_MEANING_WORDS = frozenset("not now nor no on can can't cannot won't will did didn't does was has had".split())


def _negated(word: str, other: str) -> bool:
    """'fair' → 'unfair' is a reversal of meaning, not a spelling fix."""
    w, o = word.lower(), other.lower()
    return any(w == prefix + o for prefix in ("un", "in", "im", "il", "ir", "non", "dis", "a"))


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
