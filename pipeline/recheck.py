"""When to check an article next: often while news is fresh, rarely later.

Pure: age in, interval out. The daemon (scheduler.py) adds jitter and budgets.
"""

from __future__ import annotations

import datetime as dt

# (age below, interval): the default policy, documented in docs/recheck.md.
DEFAULT_POLICY: tuple[tuple[dt.timedelta, dt.timedelta], ...] = (
    (dt.timedelta(hours=3), dt.timedelta(minutes=15)),
    (dt.timedelta(days=1), dt.timedelta(hours=1)),
    (dt.timedelta(days=3), dt.timedelta(hours=3)),
    (dt.timedelta(days=7), dt.timedelta(hours=12)),
    (dt.timedelta(days=30), dt.timedelta(days=1)),
)
# After a failure, wait this long times 2**failures (capped).
FAILURE_BACKOFF = dt.timedelta(minutes=5)
MAX_BACKOFF = dt.timedelta(hours=12)


def interval_for(
    age: dt.timedelta, policy: tuple[tuple[dt.timedelta, dt.timedelta], ...] = DEFAULT_POLICY
) -> dt.timedelta | None:
    """The re-check interval for an article this old, or None once it retires."""
    for limit, interval in policy:
        if age < limit:
            return interval
    return None


def next_check(first_seen: dt.datetime, now: dt.datetime, *, failures: int = 0) -> dt.datetime | None:
    if failures:
        return now + min(FAILURE_BACKOFF * 2 ** (failures - 1), MAX_BACKOFF)
    interval = interval_for(now - first_seen)
    return None if interval is None else now + interval
