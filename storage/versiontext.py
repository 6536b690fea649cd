"""How a version's text is stored: the newest in full, older ones as reverse deltas.

The latest version of an article, and every ``KEYFRAME_EVERY``-th one, keep
their text zlib-compressed in full (``text_z``). Every other version keeps only
``text_delta``: how the *next* version's text turns back into its own
(diff-match-patch's compact delta, zlib-compressed when that is shorter). The
common reads stay cheap — the latest text is one decompression, the one before
it one delta — and any version is at most ``KEYFRAME_EVERY - 1`` deltas away
from a full copy. Every rebuilt text is checked against its SHA-1
(``text_sha1``); a mismatch raises :class:`CorruptText`, never a wrong text.

Pure functions on bytes and strings; ``storage/queries.py`` does the reading.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

KEYFRAME_EVERY = 32
# A delta is computed once per stored version; a bounded diff keeps a huge
# rewrite cheap (the delta is then larger, never wrong).
DELTA_TIMEOUT_SECONDS = 0.2

_RAW, _ZLIB = b"d", b"z"


class CorruptText(ValueError):
    """A rebuilt text does not match the hash stored with it."""


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 9)


def decompress(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")


def is_keyframe(seq: int) -> bool:
    return seq % KEYFRAME_EVERY == 0


def make_delta(source: str, target: str) -> bytes:
    """What turns ``source`` (the newer text) into ``target`` (the older one)."""
    dmp = diff_match_patch()
    dmp.Diff_Timeout = DELTA_TIMEOUT_SECONDS
    diffs = dmp.diff_main(source, target)
    dmp.diff_cleanupEfficiency(diffs)
    raw = dmp.diff_toDelta(diffs).encode("utf-8")
    packed = zlib.compress(raw, 9)
    return _ZLIB + packed if len(packed) < len(raw) else _RAW + raw


def apply_delta(source: str, delta: bytes) -> str:
    raw = zlib.decompress(delta[1:]) if delta[:1] == _ZLIB else delta[1:]
    dmp = diff_match_patch()
    return str(dmp.diff_text2(dmp.diff_fromDelta(source, raw.decode("utf-8"))))


@dataclass(frozen=True)
class Stored:
    """One version's stored text, as read from its row."""

    seq: int
    text_z: bytes | None
    text_delta: bytes | None
    text_sha1: str


def rebuild(rows: Sequence[Stored]) -> dict[int, str]:
    """The texts of consecutive versions, given in ascending ``seq``; the last
    one must be stored in full. Verified against their hashes."""
    texts: dict[int, str] = {}
    current: str | None = None
    for row in reversed(rows):
        if row.text_z is not None:
            current = decompress(row.text_z)
        elif current is None or row.text_delta is None or row.seq + 1 not in texts:
            raise CorruptText(f"version {row.seq}: no full text above it to rebuild from")
        else:
            current = apply_delta(current, row.text_delta)
        if sha1(current) != row.text_sha1:
            raise CorruptText(f"version {row.seq}: rebuilt text does not match its hash")
        texts[row.seq] = current
    return texts


def chain_to(rows: Sequence[Stored], seq: int) -> list[Stored]:
    """Of ``rows`` (ascending, from ``seq`` upwards), the ones needed to rebuild ``seq``."""
    out: list[Stored] = []
    for row in rows:
        if row.seq < seq:
            continue
        if out and row.seq != out[-1].seq + 1:
            break
        out.append(row)
        if row.text_z is not None:
            return out
    raise CorruptText(f"version {seq}: no full text above it to rebuild from")
