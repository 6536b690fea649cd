"""When to check an article next: often while news is fresh, rarely later, never after a month.

Pure: an article's facts in, the next check time and the reason out. The
default ladder (docs/recheck.md):

    age under 3 h     every 15 min
    under 1 day       every hour
    under 3 days      every 3 h
    under 7 days      twice a day
    under 30 days     daily
    30 days and on    retired: no more checks

Then, in this order: an article that changed within its current interval comes
back sooner (``after_change``); an outlet that rarely edits has its intervals
stretched (``quiet_stretch``, by the share of its articles ever revised);
failures back off exponentially; a server's Retry-After is never undercut;
jitter spreads checks so a thousand articles found together are not fetched
together. ``time_scale`` compresses the whole clock (demos and tests): ages
count N times faster and intervals are N times shorter.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

Ladder = tuple[tuple[dt.timedelta, dt.timedelta], ...]

# An article gone (404/410) is checked again this long after it went, then never:
# a story pulled for legal review often comes back within days (docs/recheck.md).
GONE_LADDER: tuple[dt.timedelta, ...] = (
    dt.timedelta(hours=1),
    dt.timedelta(hours=6),
    dt.timedelta(days=1),
    dt.timedelta(days=3),
)

DEFAULT_LADDER: Ladder = (
    (dt.timedelta(hours=3), dt.timedelta(minutes=15)),
    (dt.timedelta(days=1), dt.timedelta(hours=1)),
    (dt.timedelta(days=3), dt.timedelta(hours=3)),
    (dt.timedelta(days=7), dt.timedelta(hours=12)),
    (dt.timedelta(days=30), dt.timedelta(days=1)),
)


@dataclass(frozen=True)
class RecheckPolicy:
    ladder: Ladder = DEFAULT_LADDER
    # Past the ladder's last age an article retires (its history stays).
    after_change: float = 0.5  # the next interval after a change, as a share of the usual one
    quiet_stretch: float = 2.0  # at most this much longer for outlets that (almost) never edit
    quiet_below: float = 0.05  # ... that is, with fewer than 5 % of their articles ever revised
    jitter: float = 0.1  # ± this share of the interval, at random
    failure_backoff: dt.timedelta = dt.timedelta(minutes=5)  # doubled per consecutive failure
    max_backoff: dt.timedelta = dt.timedelta(hours=12)
    domain_budget: int = 60  # at most this many checks per domain per batch (the daemon applies it)
    time_scale: float = 1.0
    gone_ladder: tuple[dt.timedelta, ...] = GONE_LADDER

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, *, time_scale: float = 1.0) -> RecheckPolicy:
        """From a validated ``[recheck]`` config table (durations already as timedeltas or seconds)."""
        policy = cls(time_scale=time_scale)
        if not data:
            return policy
        changes: dict[str, Any] = {}
        if "ladder" in data:
            changes["ladder"] = tuple((_td(age), _td(every)) for age, every in data["ladder"])
        if "retire_after" in data:
            ladder, retire = changes.get("ladder", policy.ladder), _td(data["retire_after"])
            last = next((every for age, every in ladder if age >= retire), ladder[-1][1])
            changes["ladder"] = (*(step for step in ladder if step[0] < retire), (retire, last))
        for name in ("after_change", "quiet_stretch", "quiet_below", "jitter"):
            if name in data:
                changes[name] = float(data[name])
        if "domain_budget" in data:
            changes["domain_budget"] = int(data["domain_budget"])
        for name in ("failure_backoff", "max_backoff"):
            if name in data:
                changes[name] = _td(data[name])
        return replace(policy, **changes)

    @property
    def retire_after(self) -> dt.timedelta:
        return self.ladder[-1][0]

    def base_interval(self, age: dt.timedelta) -> dt.timedelta | None:
        """The ladder's interval for an article this old (in policy time), or None once it retires."""
        for limit, interval in self.ladder:
            if age < limit:
                return interval
        return None

    def plan(
        self,
        *,
        born: dt.datetime,
        now: dt.datetime,
        failures: int = 0,
        last_changed: dt.datetime | None = None,
        edit_rate: float | None = None,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> tuple[dt.datetime | None, str]:
        """(when to check next, why) — None when the article retires."""
        scale = self.time_scale
        age = (now - born) * scale
        if failures:
            wait = min(self.failure_backoff * 2 ** (failures - 1), self.max_backoff)
            reason = f"backing off after {failures} failure{'s' if failures > 1 else ''}"
            if retry_after:
                wait = max(wait, dt.timedelta(seconds=retry_after) * scale)
                reason += f"; the server asked for {retry_after:.0f} s"
            return now + wait / scale, reason
        interval = self.base_interval(age)
        if interval is None:
            return None, f"retired at {_human(self.retire_after)} old"
        reason = f"{_human(age)} old: every {_human(interval)}"
        if last_changed is not None and (now - last_changed) * scale < interval:
            interval = interval * self.after_change
            reason += f"; changed recently, so every {_human(interval)}"
        elif edit_rate is not None and edit_rate < self.quiet_below:
            stretch = self.quiet_stretch - (self.quiet_stretch - 1) * (edit_rate / self.quiet_below)
            interval = interval * stretch
            reason += f"; the outlet rarely edits ({edit_rate:.0%}), so every {_human(interval)}"
        if self.jitter:
            interval = interval * (1 + (rng or random).uniform(-self.jitter, self.jitter))
        if retry_after:
            interval = max(interval, dt.timedelta(seconds=retry_after) * scale)
        return now + interval / scale, reason

    def plan_gone(self, *, gone_at: dt.datetime, now: dt.datetime) -> tuple[dt.datetime | None, str]:
        """(when to look at a gone article again, why) — None past the ladder's last rung."""
        scale = self.time_scale
        for after in self.gone_ladder:
            due = gone_at + after / scale
            if due > now:
                return due, f"gone: looking again {_human(after)} after it went"
        return None, f"gone for more than {_human(self.gone_ladder[-1])}: no more checks"


def _td(value: Any) -> dt.timedelta:
    return value if isinstance(value, dt.timedelta) else dt.timedelta(seconds=float(value))


def _human(delta: dt.timedelta) -> str:
    seconds = delta.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:.0f} {unit}" if abs(value - round(value)) < 0.05 else f"{value:.1f} {unit}"
    return f"{seconds:.0f} s"


DEFAULT_POLICY = RecheckPolicy()
