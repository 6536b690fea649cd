"""Make hostile text inert before any surface shows it.

Escaping (HTML, XML) is the renderer's job; this module handles what escaping
does not: characters that reorder or hide text (bidi overrides, zero-width
characters), terminal control sequences, and characters XML cannot carry.
Each is replaced by a visible ``⟨U+202E⟩`` marker so a reader sees that it
was there.
"""

from __future__ import annotations

import re

# Bidi embeddings/overrides/isolates and marks, zero-width characters, the BOM,
# C0/C1 controls other than tab and newline, and lone surrogates.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
    "\ud800-\udfff]"
)


def _marker(m: re.Match[str]) -> str:
    return f"⟨U+{ord(m.group(0)):04X}⟩"


def inert(text: str | None) -> str:
    """Text with every invisible or reordering character shown as a visible marker."""
    if not text:
        return text or ""
    return _INVISIBLE.sub(_marker, text)


def has_invisible(text: str) -> bool:
    return bool(_INVISIBLE.search(text))
