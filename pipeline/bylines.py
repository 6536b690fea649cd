"""Bylines as sets of people.

Pages state their author in several places (a ``<meta name=author>``, JSON-LD,
a visible byline node) and each in its own shape: "Posted by A", "A | Outlet",
"A - Staff Writer", "A, Outlet Staff Updated: 18 Nov 2019 9:38 pm", "A and B",
"A, B". Comparing the strings reports the shape flipping as an edit; comparing
the people does not. A byline no source states is unknown, not empty.
"""

from __future__ import annotations

import re
import unicodedata

# What introduces the names, not a name: "By", "Posted by", "Written by", "Words:".
_LEAD = re.compile(
    r"^\W*(?:(?:posted|written|reported|story|text|words|photos?|edited|compiled|updated)\s+)?(?:by|from|:)\s+",
    re.IGNORECASE,
)
# An outlet or section name follows a bar, a bullet or a dash set off by spaces.
_TAIL = re.compile(r"\s+[|•·]\s+.*$|\s+[-–—]\s+.*$")
# A stamp inside the byline ("Updated: 18 Nov 2019 9:38 pm", "Published 10:32").
_STAMP = re.compile(r"\b(?:updated|published|posted|modified|last updated)\b\s*:?.*$", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b)\s*", re.IGNORECASE)
# Words that describe a role or an organisation, not a person.
_ROLE_WORDS = frozenset(
    """staff writer writers reporter reporters correspondent correspondents contributor contributors
    columnist columnists desk team newsroom agency agencies wire wires service services press
    bureau associated reuters afp staffer editors editorial""".split()
)


def byline_names(byline: str | None) -> frozenset[str] | None:
    """The people a byline names, normalised; None when nothing names anyone.

    >>> sorted(byline_names("By Ann Marsh and Tom Reyes | The Courier") or ())
    ['ann marsh', 'tom reyes']
    """
    if not byline or not byline.strip():
        return None
    line = unicodedata.normalize("NFKC", byline).strip()
    line = _LEAD.sub("", line)
    line = _STAMP.sub("", line)
    line = _TAIL.sub("", line)
    names = set()
    for part in _SEPARATORS.split(line):
        name = _normalise(part)
        if name and not _is_role(part, name):
            names.add(name)
    return frozenset(names) or None


def _normalise(part: str) -> str:
    part = _LEAD.sub("", part.strip())
    words = re.findall(r"[^\W\d_]+(?:['’.-][^\W\d_]+)*\.?", part)
    return " ".join(w.casefold().rstrip(".") for w in words)


_INITIAL = re.compile(r"(?:^|\s)[^\W\d_]\.")


def _is_role(part: str, name: str) -> bool:
    """ "Courier staff", "Staff Writer", "The Associated Press": a role or an
    organisation. Told by its last word; a part with an initial ("A. Writer")
    is a person whatever the word."""
    words = name.split()
    if not words or words[0] == "the":
        return True
    return words[-1] in _ROLE_WORDS and not _INITIAL.search(part)


def same_people(old: str | None, new: str | None) -> bool | None:
    """Whether two bylines name the same people; None when either is unknown."""
    before, after = byline_names(old), byline_names(new)
    if before is None or after is None:
        return None
    return before == after
