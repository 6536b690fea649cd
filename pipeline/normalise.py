"""Text normalisation: keep what a reader sees, drop what only bytes see."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_BLANKS = re.compile(r"\n{2,}")
# Control characters (a terminal would obey ESC sequences) are never content. Bidi
# overrides are kept as the page had them; every surface shows them inert (review/inert.py).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def normalise_text(text: str) -> str:
    """NFC, one space between words, one paragraph per line, no invisible characters.

    Zero-width joiners and soft hyphens vanish: readers never see them and sites
    sprinkle them differently between renders. So do control characters, which
    only ever serve to fool a terminal.
    """
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROLS.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def normalise_line(text: str | None) -> str | None:
    """A single-line field (title, byline): normalised, or None when empty."""
    if text is None:
        return None
    out = " ".join(normalise_text(text).split())
    return out or None


def fingerprint(*parts: str | None) -> str:
    """A stable hash of the fields that make a version distinct."""
    h = hashlib.sha256()
    for part in parts:
        h.update((part or "").encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()
