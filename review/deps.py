"""FastAPI dependencies shared by the HTML pages and the JSON API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from review.filters import MAX_LIMIT, MAX_OFFSET, ChangeFilter, parse_filter
from storage import review_queries
from storage.db import session_scope


def get_session(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.db_url) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def change_filter(
    session: SessionDep,
    kind: Annotated[list[str], Query(description="Only these change kinds (repeatable); see /api/kinds.")] = [],  # noqa: B006
    outlet: Annotated[list[str], Query(description="Only these outlets (host names, repeatable).")] = [],  # noqa: B006
    severity: Annotated[str | None, Query(description="Minimum severity: info, low, medium, high.")] = None,
    since: Annotated[str | None, Query(description="Detected since: 90m, 24h, 7d or an ISO date.")] = None,
    q: Annotated[str | None, Query(description="Text search in old/new text, context and URL.")] = None,
    stealth: Annotated[str | None, Query(description="true: stealth edits only; false: announced only.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="At most this many (default 200).")] = None,
    offset: Annotated[int | None, Query(ge=0, le=MAX_OFFSET, description="Skip this many (paging).")] = None,
) -> ChangeFilter:
    return parse_filter(
        kinds=kind,
        outlets=outlet,
        severity=severity,
        since=since,
        q=q,
        stealth=stealth,
        limit=limit,
        offset=offset,
        known_outlets=review_queries.known_outlets(session),
    )


FilterDep = Annotated[ChangeFilter, Depends(change_filter)]
