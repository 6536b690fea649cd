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
import re
import urllib.parse
import zlib
from collections.abc import Collection, Sequence
from typing import NamedTuple

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


# zlib's level 6, not 9: on the texts of 30 real pages (7.6 KB mean) 0.18 against
# 0.35 ms a text, on the crawl's thread with every new version, for 0.6 % more bytes.
TEXT_LEVEL = 6


def compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), TEXT_LEVEL)


def decompress(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")


def is_keyframe(seq: int) -> bool:
    return seq % KEYFRAME_EVERY == 0


def next_keyframe(seq: int) -> int:
    """The first keyframe at or above ``seq``: a chain from ``seq`` ends there at the latest."""
    return -(-seq // KEYFRAME_EVERY) * KEYFRAME_EVERY


def make_delta(source: str, target: str) -> bytes:
    """What turns ``source`` (the newer text) into ``target`` (the older one)."""
    dmp = diff_match_patch()
    dmp.Diff_Timeout = DELTA_TIMEOUT_SECONDS
    diffs = dmp.diff_main(source, target)
    dmp.diff_cleanupEfficiency(diffs)
    raw = dmp.diff_toDelta(diffs).encode("utf-8")
    packed = zlib.compress(raw, TEXT_LEVEL)
    return _ZLIB + packed if len(packed) < len(raw) else _RAW + raw


# Characters outside the Basic Multilingual Plane: two UTF-16 units each.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def has_astral(text: str) -> bool:
    return _ASTRAL.search(text) is not None


def _delta_text(delta: bytes) -> str:
    """A stored delta as diff-match-patch's delta text."""
    return (zlib.decompress(delta[1:]) if delta[:1] == _ZLIB else delta[1:]).decode("utf-8")


def apply_delta(source: str, delta: bytes, astral: bool | None = None) -> str:
    """The text ``delta`` turns ``source`` into. ``astral``: whether ``source``
    may hold characters beyond U+FFFF (None: look)."""
    return _apply(source, _delta_text(delta), astral)


def _apply(source: str, raw: str, astral: bool | None) -> str:
    if has_astral(source) if astral is None else astral:
        # Delta lengths count UTF-16 units; diff-match-patch converts for us.
        dmp = diff_match_patch()
        return str(dmp.diff_text2(dmp.diff_fromDelta(source, raw)))
    # Every character is one UTF-16 unit: slice the string itself (several times faster on long texts).
    out: list[str] = []
    at = 0
    for token in raw.split("\t"):
        if not token:
            continue
        op, param = token[0], token[1:]
        if op == "+":
            out.append(urllib.parse.unquote(param))
            continue
        if op not in "=-" or not param.isdigit():
            raise CorruptText(f"not a text delta: {token[:20]!r}")
        n = int(param)
        if op == "=":
            out.append(source[at : at + n])
        at += n
    if at != len(source):
        raise CorruptText(f"the delta covers {at} characters of a {len(source)}-character text")
    return "".join(out)


def _inserts_astral(raw: str) -> bool:
    """Whether a delta text inserts characters beyond U+FFFF."""
    return any(has_astral(urllib.parse.unquote(t[1:])) for t in raw.split("\t") if t[:1] == "+")


class Stored(NamedTuple):
    """One version's stored text, as read from its row (a tuple: a read builds up to 32 of them)."""

    seq: int
    text_z: bytes | None
    text_delta: bytes | None
    text_sha1: str


def rebuild(rows: Sequence[Stored], wanted: Collection[int] | None = None) -> dict[int, str]:
    """The texts of consecutive versions, given in ascending ``seq``; the last
    one must be stored in full. With ``wanted``, only those versions' texts are
    returned (and hashed); else every one. Each returned text is verified
    against its hash: a wrong step anywhere on the way changes the text it leads to."""
    texts: dict[int, str] = {}
    current: str | None = None
    previous: int | None = None
    astral = False  # whether ``current`` may hold characters beyond U+FFFF: checked once, then carried
    for row in reversed(rows):
        if row.text_z is None and (current is None or row.text_delta is None or previous != row.seq + 1):
            raise CorruptText(f"version {row.seq}: no full text above it to rebuild from")
        try:
            if row.text_z is not None:
                current = decompress(row.text_z)
                astral = has_astral(current)
            else:
                assert current is not None and row.text_delta is not None
                raw = _delta_text(row.text_delta)  # read once for both uses
                current = _apply(current, raw, astral)
                astral = astral or _inserts_astral(raw)
        except (zlib.error, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            raise CorruptText(f"version {row.seq}: stored text unreadable ({exc})") from exc
        previous = row.seq
        if wanted is not None and row.seq not in wanted:
            continue
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
