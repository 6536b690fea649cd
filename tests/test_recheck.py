"""The recheck policy: ages to intervals, and every adjustment on top, with its reason."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from pipeline.recheck import RecheckPolicy

NOW = dt.datetime(2026, 11, 25, 12, 0)
EXACT = RecheckPolicy(jitter=0)

LADDER = [  # age, expected interval (None: retired)
    (dt.timedelta(minutes=5), dt.timedelta(minutes=15)),
    (dt.timedelta(hours=2, minutes=59), dt.timedelta(minutes=15)),
    (dt.timedelta(hours=3), dt.timedelta(hours=1)),
    (dt.timedelta(hours=23), dt.timedelta(hours=1)),
    (dt.timedelta(days=2), dt.timedelta(hours=3)),
    (dt.timedelta(days=5), dt.timedelta(hours=12)),
    (dt.timedelta(days=20), dt.timedelta(days=1)),
    (dt.timedelta(days=30), None),
]


@pytest.mark.parametrize(("age", "interval"), LADDER)
def test_the_default_ladder(age: dt.timedelta, interval: dt.timedelta | None) -> None:
    when, why = EXACT.plan(born=NOW - age, now=NOW)
    assert (None if when is None else when - NOW) == interval, why


def test_a_recent_change_brings_the_next_check_sooner() -> None:
    when, why = EXACT.plan(born=NOW - dt.timedelta(hours=5), now=NOW, last_changed=NOW - dt.timedelta(minutes=20))
    assert when == NOW + dt.timedelta(minutes=30) and "changed recently" in why


def test_quiet_outlets_are_checked_less_often() -> None:
    never, why = EXACT.plan(born=NOW - dt.timedelta(hours=5), now=NOW, edit_rate=0.0)
    busy, _ = EXACT.plan(born=NOW - dt.timedelta(hours=5), now=NOW, edit_rate=0.3)
    assert never == NOW + dt.timedelta(hours=2) and "rarely edits" in why
    assert busy == NOW + dt.timedelta(hours=1)


def test_failures_back_off_and_retry_after_is_never_undercut() -> None:
    waits = [EXACT.plan(born=NOW, now=NOW, failures=n)[0] for n in (1, 2, 3, 20)]
    assert [w - NOW for w in waits if w] == [
        dt.timedelta(minutes=5),
        dt.timedelta(minutes=10),
        dt.timedelta(minutes=20),
        dt.timedelta(hours=12),
    ]
    when, why = EXACT.plan(born=NOW, now=NOW, failures=1, retry_after=3600)
    assert when == NOW + dt.timedelta(hours=1) and "asked for 3600 s" in why


def test_jitter_spreads_checks_within_its_share() -> None:
    rng = random.Random(1)
    policy = RecheckPolicy(jitter=0.1)
    offsets = {(policy.plan(born=NOW, now=NOW, rng=rng)[0] - NOW).total_seconds() for _ in range(200)}  # type: ignore[operator]
    assert len(offsets) > 100 and min(offsets) >= 810 and max(offsets) <= 990


def test_time_scale_compresses_ages_and_intervals() -> None:
    fast = RecheckPolicy(jitter=0, time_scale=60)
    # 4 real minutes at 60x is 4 policy hours: hourly, i.e. every real minute.
    when, _ = fast.plan(born=NOW - dt.timedelta(minutes=4), now=NOW)
    assert when == NOW + dt.timedelta(minutes=1)


def test_configured_policy() -> None:
    policy = RecheckPolicy.from_mapping(
        {"ladder": [[3600, 300], [86400, 3600]], "retire_after": 7200, "jitter": 0, "after_change": 0.25}
    )
    assert policy.plan(born=NOW - dt.timedelta(minutes=10), now=NOW)[0] == NOW + dt.timedelta(minutes=5)
    assert policy.plan(born=NOW - dt.timedelta(minutes=90), now=NOW)[0] == NOW + dt.timedelta(hours=1)
    assert policy.plan(born=NOW - dt.timedelta(hours=2), now=NOW)[0] is None
