"""Write many quiet pages' decisions at once (pipeline/pipelines.py ``record_quiet``).

Most rechecks learn nothing new (a 304, the same bytes, the same article
region): their decisions are a check row and the article's next check time,
and one transaction each costs about as much as the fetch. :func:`lock_states`
and :func:`apply_batch` write a batch of them with three statements (read the
articles, update them, insert the checks), decided by the same function as a
page stored alone (storage/record.py holds that door and the decision's rows).
A batch is all or nothing, like one page: a kill -9 loses the whole batch,
which the schedule then fetches again, never half of a page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Article, ArticleStatus, Check, Source
from storage.record import WRITABLE, ArticleState, Decision, on_postgresql, row_values


class Raced(Exception):
    """An article changed between reading and updating it: the batch is rolled back."""


# The batch reads and writes tables, never ORM entities: a statement naming
# one goes through the ORM's compile and loading (or bulk-insert) machinery,
# about as costly as the rows themselves.
_ARTICLES = cast(Table, Article.__table__)
_SOURCES = cast(Table, Source.__table__)
_CHECKS = cast(Table, Check.__table__)
# What the batch UPDATE sets; a decision that sets anything else is written alone.
BATCH_COLUMNS = frozenset(
    (
        "last_checked_at",
        "consecutive_failures",
        "last_error",
        "etag",
        "last_modified",
        "body_hash",
        "region_key",
        "next_check_at",
        "status",
    )
)
_UPDATE = (
    update(_ARTICLES)
    .where(
        _ARTICLES.c.id == bindparam("b_id"),
        _ARTICLES.c.status == ArticleStatus.ACTIVE.value,
        or_(_ARTICLES.c.last_checked_at.is_(None), _ARTICLES.c.last_checked_at <= bindparam("b_fetched")),
    )
    .values(**{name: bindparam(f"b_{name}") for name in sorted(BATCH_COLUMNS)})
)


# Built once: a batch of quiet pages reads its articles' states with this (about 0.1 ms a batch saved).
_STATES = (
    select(*(_ARTICLES.c[n] for n in ("id", *WRITABLE)), _SOURCES.c.edit_rate)  # ArticleState's field order
    .outerjoin(_SOURCES, _SOURCES.c.id == _ARTICLES.c.source_id)
    .where(_ARTICLES.c.id.in_(bindparam("ids", expanding=True)))
)
_STATES_LOCKED = _STATES.order_by(_ARTICLES.c.id).with_for_update(of=_ARTICLES)


def lock_states(session: Session, article_ids: Sequence[int]) -> dict[int, ArticleState]:
    """The states of these articles in one SELECT (rows locked on PostgreSQL); missing ones are left out."""
    query = _STATES_LOCKED if on_postgresql(session) else _STATES
    return {row[0]: ArticleState(*row) for row in session.execute(query, {"ids": list(article_ids)})}


def can_batch(state: ArticleState, fetched_at: dt.datetime) -> bool:
    """What the batch UPDATE's guard expects of an article: active, with a
    version, and not checked later than this fetch by another worker."""
    return (
        state.status == ArticleStatus.ACTIVE
        and state.version_count > 0
        and (state.last_checked_at is None or fetched_at >= state.last_checked_at)
    )


def fits_batch(decision: Decision) -> bool:
    """A decision :func:`apply_batch` can write: a check and batch columns only."""
    return (
        decision.after is not None
        and decision.check is not None
        and decision.version is None
        and not decision.changes
        and decision.update.keys() <= BATCH_COLUMNS
    )


def apply_batch(session: Session, decisions: Sequence[Decision]) -> None:
    """Write decisions that :func:`fits_batch` accepts, taken on states from
    :func:`lock_states`: one UPDATE and one INSERT for all of them.

    Raises :class:`Raced` when an article moved under the batch (another
    worker's check landed between the read and the update); the caller rolls
    back and stores those pages one by one.
    """
    if not decisions:
        return
    rows: list[dict[str, object]] = []
    for decision in decisions:
        after = decision.after
        if after is None or not fits_batch(decision):
            raise ValueError(f"article {after.id if after else '?'}: not a decision the batch can write")
        row: dict[str, object] = {f"b_{name}": getattr(after, name) for name in BATCH_COLUMNS}
        row.update(b_id=after.id, b_fetched=after.last_checked_at)
        rows.append(row)
    done = cast(CursorResult[Any], session.execute(_UPDATE, rows))
    if done.rowcount != len(rows):
        raise Raced(f"{len(rows) - done.rowcount} of {len(rows)} articles changed under the batch")
    checks = []
    for decision in decisions:
        assert decision.check is not None and decision.after is not None
        checks.append({"article_id": decision.after.id, **row_values(decision.check)})
    session.execute(insert(_CHECKS), checks)
