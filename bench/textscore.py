"""Bag-of-words precision, recall and F1 of an extracted text against a labelled one.

Words are runs of letters and digits, lower-cased; each occurrence counts (a
word the extraction repeats beyond the label's count is a false positive).
"""

from __future__ import annotations

import re
from collections import Counter

WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def prf(got: str, want: str) -> tuple[float, float, float]:
    """(precision, recall, F1); an empty extraction of a non-empty label scores 0."""
    g, w = Counter(words(got)), Counter(words(want))
    common = sum((g & w).values())
    if not common:
        return 0.0, 0.0, 0.0
    p, r = common / sum(g.values()), common / sum(w.values())
    return p, r, 2 * p * r / (p + r)
