"""Quiet pages, written many to a transaction.

Most rechecks learn nothing new: a 304, the same bytes again, or new
furniture around an article the gate (pipeline/gate.py) found as it was. Their writes are a check row and the
article's next check time, and through the ORM one page's transaction costs
about as much as fetching it. Here a batch of quiet pages is written with
three statements (read the articles, update them, insert the checks) in one
transaction.

A batch is all or nothing, like one page in :func:`pipeline.store.store_page`:
a kill -9 loses the whole batch, which the schedule then fetches again, never
half of a page. A page this path cannot settle on its own — an article that is
not active, has no version yet, or was checked later by another worker — is
handed back to ``store_page``, which knows every case.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from pipeline.recheck import RecheckPolicy
from spiders.items import FetchedPage
from storage.models import Article, ArticleStatus, Check, CheckOutcome, Source, utcnow

logger = logging.getLogger(__name__)


def is_quiet(page: FetchedPage) -> bool:
    """A page that says the article is as it was: a 304, or a 200 whose bytes
    match the last fetch or that the gate called unchanged (no extraction was needed)."""
    if page.error or page.extraction_error or page.retry_after:
        return False
    if page.http_status == 304:
        return True
    redirected = page.final_url is not None and page.final_url != page.url
    return page.http_status == 200 and not redirected and (page.same_body or page.same_region)


class Raced(Exception):
    """An article changed between reading and updating it: the batch is rolled back."""


_ARTICLES = cast(Table, Article.__table__)
# What the plan and the update need of each article.
_READ = [
    _ARTICLES.c[name]
    for name in (
        "id",
        "status",
        "version_count",
        "last_checked_at",
        "first_seen_at",
        "listed_published_at",
        "last_changed_at",
        "etag",
        "last_modified",
        "body_hash",
        "region_key",
    )
]
_UPDATE = (
    update(_ARTICLES)
    .where(
        _ARTICLES.c.id == bindparam("b_id"),
        _ARTICLES.c.status == ArticleStatus.ACTIVE.value,
        or_(_ARTICLES.c.last_checked_at.is_(None), _ARTICLES.c.last_checked_at <= bindparam("b_fetched")),
    )
    .values(
        last_checked_at=bindparam("b_fetched"),
        consecutive_failures=0,
        last_error=None,
        etag=bindparam("b_etag"),
        last_modified=bindparam("b_last_modified"),
        body_hash=bindparam("b_body_hash"),
        region_key=bindparam("b_region_key"),
        next_check_at=bindparam("b_next"),
        status=bindparam("b_status"),
    )
)


def write_quiet(
    session: Session, pages: Sequence[FetchedPage], policy: RecheckPolicy, now: dt.datetime | None = None
) -> tuple[list[tuple[FetchedPage, CheckOutcome, int | None]], list[FetchedPage]]:
    """Write the quiet pages this path can settle; return them with their outcome
    and version number, and the pages left for ``store_page``.

    Raises :class:`Raced` when an article moved under the batch (another
    worker's check landed between the read and the update); the caller rolls
    back and stores those pages one by one.
    """
    now = now or utcnow()
    ids = [p.article_id for p in pages]
    repeated = {i for i in ids if ids.count(i) > 1}
    a = _ARTICLES.c
    query = select(*_READ, Source.edit_rate).outerjoin(Source, Source.id == a.source_id).where(a.id.in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        query = query.order_by(a.id).with_for_update(of=_ARTICLES)
    rows = {row.id: (row, row.edit_rate) for row in session.execute(query)}
    settled: list[tuple[FetchedPage, CheckOutcome, int | None]] = []
    left: list[FetchedPage] = []
    updates: list[dict[str, object]] = []
    for page in pages:
        found = rows.get(page.article_id)
        fetched = page.fetched_at or now
        if (
            found is None
            or page.article_id in repeated
            or found[0].status != ArticleStatus.ACTIVE
            or not found[0].version_count
            or (found[0].last_checked_at is not None and fetched < found[0].last_checked_at)
        ):
            left.append(page)
            continue
        article, edit_rate = found
        resent = page.http_status == 200
        next_at, _why = policy.plan(
            born=min(article.first_seen_at, article.listed_published_at or article.first_seen_at),
            now=now,
            last_changed=article.last_changed_at,
            edit_rate=edit_rate,
        )
        new_tags = resent and bool(page.etag or page.last_modified)
        updates.append(
            {
                "b_id": article.id,
                "b_fetched": fetched,
                "b_etag": page.etag if new_tags else article.etag,
                "b_last_modified": page.last_modified if new_tags else article.last_modified,
                "b_body_hash": page.body_hash if resent else article.body_hash,
                "b_region_key": page.region_key if resent and page.same_region else article.region_key,
                "b_next": next_at,
                "b_status": ArticleStatus.ACTIVE.value if next_at is not None else ArticleStatus.RETIRED.value,
            }
        )
        outcome = CheckOutcome.UNCHANGED if resent else CheckOutcome.NOT_MODIFIED
        settled.append((page, outcome, article.version_count))
    if not updates:
        return settled, left
    done = cast(CursorResult[Any], session.execute(_UPDATE, updates))
    if done.rowcount != len(updates):
        raise Raced(f"{len(updates) - done.rowcount} of {len(updates)} articles changed under the batch")
    session.execute(
        insert(Check),
        [
            {
                "article_id": page.article_id,
                "checked_at": now,
                "http_status": page.http_status,
                "outcome": outcome.value,
                "duration_ms": page.duration_ms,
                "version_seq": seq,
            }
            for page, outcome, seq in settled
        ],
    )
    return settled, left
