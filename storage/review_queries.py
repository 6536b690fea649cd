"""Read queries for the review surfaces (web UI, API, feeds, exports, alerts).

Kept apart from ``storage/queries.py`` so the crawl's write path stays small.
Every function takes the caller's session; none commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.models import AlertDelivery, Article, Change, DeliveryStatus, Version
from storage.sites import outlet_hosts, outlet_name


@dataclass(frozen=True)
class ChangeQuery:
    """Which changes to return; every field narrows the result."""

    kinds: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    since: dt.datetime | None = None
    text: str | None = None
    stealth: bool | None = None
    article_id: int | None = None
    limit: int | None = None
    offset: int = 0
    newest_first: bool = True


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_changes(session: Session, q: ChangeQuery) -> list[tuple[Change, Article]]:
    query = select(Change, Article).join(Article, Change.article_id == Article.id)
    if q.kinds:
        query = query.where(Change.kind.in_(q.kinds))
    if q.severities:
        query = query.where(Change.severity.in_(q.severities))
    if q.outlets:
        query = query.where(Article.host.in_([host for o in q.outlets for host in outlet_hosts(o)]))
    if q.since is not None:
        query = query.where(Change.detected_at >= q.since)
    if q.stealth is not None:
        query = query.where(
            Change.stealth.is_(q.stealth) if q.stealth else or_(Change.stealth.is_(False), Change.stealth.is_(None))
        )
    if q.article_id is not None:
        query = query.where(Change.article_id == q.article_id)
    if q.text:
        pattern = f"%{_like_escape(q.text.lower())}%"
        query = query.where(
            or_(
                *(
                    func.lower(col).like(pattern, escape="\\")
                    for col in (Change.old, Change.new, Change.context, Article.url)
                )
            )
        )
    order = (Change.detected_at.desc(), Change.id.desc()) if q.newest_first else (Change.detected_at, Change.id)
    query = query.order_by(*order).offset(q.offset)
    if q.limit:
        query = query.limit(q.limit)
    return [(c, a) for c, a in session.execute(query).all()]


def get_change(session: Session, change_id: int) -> tuple[Change, Article] | None:
    row = session.execute(
        select(Change, Article).join(Article, Change.article_id == Article.id).where(Change.id == change_id)
    ).first()
    return None if row is None else (row[0], row[1])


def get_article(session: Session, article_id: int) -> Article | None:
    return session.get(Article, article_id)


def list_articles(session: Session, *, limit: int = 500, offset: int = 0) -> list[tuple[Article, int]]:
    """Articles, most recently checked first, each with its number of changes."""
    counts = select(Change.article_id, func.count(Change.id).label("n")).group_by(Change.article_id).subquery("counts")
    query = (
        select(Article, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.article_id == Article.id)
        .order_by(Article.last_checked_at.desc().nulls_last(), Article.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [(a, int(n)) for a, n in session.execute(query).all()]


def latest_titles(session: Session, article_ids: Sequence[int]) -> dict[int, str | None]:
    """The title of each article's newest version (the headline people know it by)."""
    if not article_ids:
        return {}
    ids = sorted(set(article_ids))
    newest = (
        select(Version.article_id, func.max(Version.seq).label("seq"))
        .where(Version.article_id.in_(ids))
        .group_by(Version.article_id)
        .subquery("newest")
    )
    query = select(Version.article_id, Version.title).join(
        newest, (Version.article_id == newest.c.article_id) & (Version.seq == newest.c.seq)
    )
    return {article_id: title for article_id, title in session.execute(query).all()}


def known_outlets(session: Session) -> list[str]:
    """Every outlet with a tracked article (read from the indexed ``articles.host``)."""
    return sorted({outlet_name(host) for host in session.scalars(select(Article.host).distinct())})


def version_times(session: Session, article_id: int) -> dict[int, dt.datetime]:
    rows = session.execute(select(Version.seq, Version.fetched_at).where(Version.article_id == article_id))
    return {seq: at for seq, at in rows.all()}


def number_contexts(session: Session, limit: int = 30) -> list[tuple[str, int]]:
    """What revised figures counted, most often first: the figures page's index."""
    query = (
        select(Change.context, func.count(Change.id))
        .where(Change.kind == "number", Change.context.is_not(None))
        .group_by(Change.context)
        .order_by(func.count(Change.id).desc(), Change.context)
        .limit(limit)
    )
    return [(str(ctx), int(n)) for ctx, n in session.execute(query).all()]


# Alert deliveries ---------------------------------------------------------------------------


def delivered_change_ids(session: Session, target: str, change_ids: Sequence[int]) -> set[int]:
    if not change_ids:
        return set()
    query = select(AlertDelivery.change_id).where(
        AlertDelivery.target == target, AlertDelivery.change_id.in_(list(change_ids))
    )
    return set(session.scalars(query))


def add_delivery(session: Session, change_id: int, *, rule: str, target: str, mode: str) -> AlertDelivery:
    delivery = AlertDelivery(change_id=change_id, rule=rule, target=target, mode=mode, attempts=0)
    session.add(delivery)
    return delivery


def open_deliveries(session: Session, rule: str, target: str, max_attempts: int) -> list[AlertDelivery]:
    """Deliveries still to send for one rule and target: pending, or failed with tries left."""
    query = (
        select(AlertDelivery)
        .where(
            AlertDelivery.rule == rule,
            AlertDelivery.target == target,
            AlertDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.FAILED]),
            AlertDelivery.attempts < max_attempts,
        )
        .order_by(AlertDelivery.change_id)
    )
    return list(session.scalars(query))


def last_sent_at(session: Session, rule: str, target: str) -> dt.datetime | None:
    return session.scalar(
        select(func.max(AlertDelivery.sent_at)).where(AlertDelivery.rule == rule, AlertDelivery.target == target)
    )


def list_deliveries(session: Session, *, status: str | None = None, limit: int = 200) -> list[AlertDelivery]:
    query = select(AlertDelivery).order_by(AlertDelivery.id.desc()).limit(limit)
    if status:
        query = query.where(AlertDelivery.status == status)
    return list(session.scalars(query))
