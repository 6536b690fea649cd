"""Retention: old check rows go, every version and the check that made it stay.

A check is written for every fetch, whatever its outcome: about 4 million a day
at 100 outlets (docs/scaling.md). After ``keep`` (90 days by default, the
``[retention]`` table of redline.toml) a check is only history of a fetch that
found nothing new, and is deleted; a ``new_version`` check is the record of
when and how a version was fetched, and is kept as long as its version, which
is for ever. Versions and changes are never pruned.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.orm import Session

from storage.models import Check, CheckOutcome, utcnow

logger = logging.getLogger(__name__)

DEFAULT_KEEP_CHECKS = dt.timedelta(days=90)
# Checks deleted per transaction: a big first prune never holds a long lock.
BATCH = 5000


@dataclass(frozen=True)
class RetentionPolicy:
    keep_checks: dt.timedelta = DEFAULT_KEEP_CHECKS

    @classmethod
    def from_mapping(cls, data: dict[str, float] | None) -> RetentionPolicy:
        """From the validated ``[retention]`` table (seconds)."""
        data = data or {}
        return cls(dt.timedelta(seconds=data["checks"]) if "checks" in data else DEFAULT_KEEP_CHECKS)

    def cutoff(self, now: dt.datetime | None = None) -> dt.datetime:
        return (now or utcnow()) - self.keep_checks


def _prunable(before: dt.datetime) -> ColumnElement[bool]:
    return and_(Check.checked_at < before, Check.outcome != CheckOutcome.NEW_VERSION)


def count_prunable(session: Session, before: dt.datetime) -> int:
    """How many checks a prune at ``before`` would delete."""
    return int(session.scalar(select(func.count()).select_from(Check).where(_prunable(before))) or 0)


def prune_checks(session: Session, before: dt.datetime, limit: int = BATCH) -> int:
    """Delete at most ``limit`` prunable checks older than ``before``; returns how many went."""
    ids = list(session.scalars(select(Check.id).where(_prunable(before)).order_by(Check.id).limit(limit)))
    if not ids:
        return 0
    session.execute(delete(Check).where(Check.id.in_(ids)))
    return len(ids)
