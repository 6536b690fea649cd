"""When articles are due, and what the daemon records about itself.

The daemon (scheduler.py), `redline status`, `redline schedule` and the
distributed leader read and write these through the functions here; each takes
the caller's session and none commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Article, ArticleStatus, DaemonState, Source, utcnow


def due(now: dt.datetime) -> ColumnElement[bool]:
    """The one definition of "due": active, and never checked or its next check has come;
    or gone, with a recheck on its slow ladder that has come (pipeline/recheck.py)."""
    return or_(
        and_(
            Article.status == ArticleStatus.ACTIVE,
            or_(Article.next_check_at.is_(None), Article.next_check_at <= now),
        ),
        and_(Article.status == ArticleStatus.GONE, Article.next_check_at <= now),
    )


def due_count(session: Session, now: dt.datetime | None = None) -> int:
    """How many articles are due now: the backlog."""
    return int(session.scalar(select(func.count()).where(due(now or utcnow()))) or 0)


def next_due_at(session: Session) -> dt.datetime | None:
    """The earliest planned check of an active article."""
    return session.scalar(select(func.min(Article.next_check_at)).where(Article.status == ArticleStatus.ACTIVE))


def upcoming(session: Session, limit: int) -> list[Article]:
    """Active articles in the order they come due (never-checked ones first)."""
    query = (
        select(Article)
        .where(Article.status == ArticleStatus.ACTIVE)
        .order_by(Article.next_check_at.is_(None).desc(), Article.next_check_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def lease(session: Session, article_ids: Sequence[int], until: dt.datetime) -> None:
    """Move these articles' next check to ``until``: handed to a worker, not due again before then."""
    session.execute(update(Article).where(Article.id.in_(list(article_ids))).values(next_check_at=until))


def articles_by_status(session: Session) -> dict[str, int]:
    return {
        str(status): n for status, n in session.execute(select(Article.status, func.count()).group_by(Article.status))
    }


def articles_by_source(session: Session) -> dict[int | None, int]:
    query = select(Article.source_id, func.count()).group_by(Article.source_id)
    return {source_id: n for source_id, n in session.execute(query)}


def failing_by_source(session: Session) -> dict[int | None, int]:
    """Articles whose last fetch failed, per source."""
    query = select(Article.source_id, func.count()).where(Article.consecutive_failures > 0).group_by(Article.source_id)
    return {source_id: n for source_id, n in session.execute(query)}


def update_edit_rates(session: Session) -> None:
    """Each source's share of fetched articles ever revised, once it has 20 (pipeline/recheck.py reads it)."""
    rows = session.execute(
        select(
            Article.source_id,
            func.count(),
            func.sum((Article.version_count >= 2).cast(type_=Source.articles_found.type)),
        )
        .where(Article.source_id.is_not(None), Article.version_count >= 1)
        .group_by(Article.source_id)
    )
    for source_id, fetched, revised in rows:
        source = session.get(Source, source_id)
        if source is not None:
            source.edit_rate = (revised or 0) / fetched if fetched >= 20 else None


def daemon_state(session: Session) -> DaemonState | None:
    """The daemon's row, or None before it first started."""
    return session.get(DaemonState, 1)


def daemon_state_row(session: Session) -> DaemonState:
    """The daemon's row, created on first use, for the daemon to write."""
    state = session.get(DaemonState, 1)
    if state is None:
        state = DaemonState(id=1, status="stopped", cycles=0, job_errors=0, time_scale=1.0)
        session.add(state)
    return state
