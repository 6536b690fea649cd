"""Sources (feeds, sitemaps, front pages): looked up, added and removed.

`redline sources`, `redline discover`, config.py and the daemon go through
these; each takes the caller's session and none commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.models import Source, host_of


def all_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.id)))


def sources_to_read(session: Session, ids: Sequence[int] = ()) -> list[Source]:
    """These sources (every one when ``ids`` is empty)."""
    query = select(Source)
    if ids:
        query = query.where(Source.id.in_(list(ids)))
    return list(session.scalars(query))


def source_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Source.id)))


def find_source(session: Session, ref: str) -> Source | None:
    """A source by URL, name or id."""
    conditions = [Source.url == ref, Source.name == ref]
    if ref.isdigit():
        conditions.append(Source.id == int(ref))
    return session.scalar(select(Source).where(or_(*conditions)))


def source_at(session: Session, url: str) -> Source | None:
    return session.scalar(select(Source).where(Source.url == url))


def add_source(session: Session, url: str, kind: str, every_seconds: int = 600) -> Source:
    """A new source with no runs yet; the caller sets the rest of its fields."""
    source = Source(url=url, kind=kind, every_seconds=every_seconds, error_count=0, articles_found=0)
    session.add(source)
    return source


def remove_source(session: Session, source: Source) -> None:
    """Delete a source; its articles stay tracked (their source_id becomes NULL)."""
    session.delete(source)


def due_source_ids(session: Session, now: dt.datetime) -> list[int]:
    """Sources never read, or whose next read has come."""
    query = select(Source.id).where(or_(Source.next_run_at.is_(None), Source.next_run_at <= now))
    return list(session.scalars(query))


def source_schedules(session: Session) -> dict[int, tuple[int, dt.datetime | None]]:
    """Every source's interval and next planned read, by id."""
    return {s.id: (s.every_seconds, s.next_run_at) for s in session.scalars(select(Source))}


def source_overrides(session: Session) -> list[tuple[int, str, dict[str, Any]]]:
    """(id, URL, overrides) of every source that has extraction overrides."""
    rows = session.execute(select(Source.id, Source.url, Source.overrides).where(Source.overrides.is_not(None)))
    return [(sid, url, dict(overrides)) for sid, url, overrides in rows if overrides]


def source_on_host(session: Session, host: str) -> tuple[str, str, str | None] | None:
    """(URL, kind, render) of a source on this host (as host_of gives it), the oldest first."""
    for url, kind, render in session.execute(select(Source.url, Source.kind, Source.render).order_by(Source.id)):
        if host_of(url) == host:
            return str(url), str(kind), render
    return None


def forget_fetch_state(session: Session, source_id: int) -> int:
    """Drop the validators and body hashes of a source's articles: after its render mode or
    overrides change, their next check must fetch and extract afresh, not answer 304 or
    "same bytes" from what the old settings saw. Returns how many articles."""
    from sqlalchemy import update

    from storage.models import Article

    result = session.execute(
        update(Article)
        .where(Article.source_id == source_id)
        .values(etag=None, last_modified=None, body_hash=None, region_key=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
