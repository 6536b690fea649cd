"""Durations as people write them (``90``, ``90s``, ``10m``, ``2h``, ``1d``, ``2w``), parsed once.

redline.toml (``every``, the recheck ladder), `redline sources add --every`,
and every ``since`` (CLI, web, API, alert rules, digests) read them here; each
caller turns a ValueError into its own message naming the option or field.
"""

from __future__ import annotations

import datetime as dt
import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)?\s*$")
_SECONDS = {None: 1, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object, *, zero: bool = False, unit: bool = False) -> float:
    """Seconds from a number or a string like "90s", "10m", "2h", "1d", "2w"; ValueError otherwise.

    A duration is positive unless ``zero`` allows 0 too; ``unit`` refuses a bare number.
    """
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float) and not unit:
        seconds = float(value)
    else:
        match = _DURATION.match(value) if isinstance(value, str) else None
        if not match or (unit and match.group(2) is None):
            raise ValueError(value)
        seconds = float(match.group(1)) * _SECONDS[match.group(2)]
    if seconds < 0 or (seconds == 0 and not zero) or seconds != seconds:
        raise ValueError(value)
    return seconds


def parse_since(value: str, now: dt.datetime | None = None) -> dt.datetime:
    """A duration ago, or an ISO date (naive UTC); ValueError naming what it expected otherwise."""
    try:
        seconds = parse_duration(value, zero=True, unit=True)
    except ValueError:
        pass
    else:
        now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        try:
            return now - dt.timedelta(seconds=seconds)
        except OverflowError:
            raise ValueError("a duration that reaches back no further than year 1") from None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("a duration such as 90m, 24h, 7d, 2w, or an ISO date") from None
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
