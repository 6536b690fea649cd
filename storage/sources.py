"""Reads about sources that a crawl needs once, up front."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Source, host_of


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
