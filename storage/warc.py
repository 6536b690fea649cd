"""Each fetch that makes a version, kept as web-archive records (WARC, ISO 28500).

A version's fetch becomes a ``request`` + ``response`` record pair — the HTTP
status line, headers and body as received — and a ``metadata`` record that
links them to the redline article, version and hashes. A version made from a
page that was not captured from the wire (a test, an import) gets a
``resource`` record holding the page instead: no HTTP headers are invented.

The records of one version are stored together, as the bytes of a ``.warc.gz``
fragment (one gzip member per record, in a row of ``warc_records``): the
export is those bytes concatenated, so what ``redline export`` hands out is
exactly what was written at fetch time, digests and all. This is the one copy
of the raw page (docs/evidence.md says why it lives in the database).

The records are built by storage/warcbuild.py (no database there: an
extraction worker builds a new version's response record where the page's
bytes already are); this module stores and reads them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Article, Version, WarcRecord
from storage.warcbuild import (
    Built,
    Exchange,
    Raw,
    Response,
    build,
    link_of,
    raw_page,
    records,
    response_record,
    warc_date,
    warcinfo,
)

__all__ = [
    "Built",
    "Exchange",
    "Raw",
    "Response",
    "build",
    "fragments",
    "keep",
    "link_of",
    "raw_page",
    "record_of",
    "records",
    "response_record",
    "warc_date",
    "warcinfo",
]


def keep(
    session: Session,
    article: Article,
    version: Version,
    exchange: Exchange | None,
    html: str | None,
    fetched_at: dt.datetime | None = None,
    response: Response | None = None,
) -> None:
    """Store the records of ``version``'s fetch with it, in the caller's transaction."""
    built = build(
        article=article, version=version, exchange=exchange, html=html, fetched_at=fetched_at, response=response
    )
    if built is None:
        return
    session.add(
        WarcRecord(
            version=version,
            article_id=article.id,
            fetched_at=fetched_at or version.fetched_at,
            record_id=built.record_id,
            payload_digest=built.payload_digest,
            warc_gz=built.data,
        )
    )


def fragments(
    session: Session,
    *,
    since: dt.datetime | None = None,
    article_id: int | None = None,
    hosts: list[str] | None = None,
    seq: int | None = None,
) -> Iterator[bytes]:
    """The stored records of the versions asked for, oldest fetch first."""
    query = select(WarcRecord.warc_gz).join(Version, Version.id == WarcRecord.version_id)
    if since is not None:
        query = query.where(WarcRecord.fetched_at >= since)
    if article_id is not None:
        query = query.where(WarcRecord.article_id == article_id)
    if seq is not None:
        query = query.where(Version.seq == seq)
    if hosts:
        query = query.join(Article, Article.id == WarcRecord.article_id).where(
            Article.host.in_([p + h.lower() for h in hosts for p in ("", "www.")])
        )
    yield from session.scalars(query.order_by(WarcRecord.fetched_at, WarcRecord.id).execution_options(yield_per=50))


def record_of(session: Session, version_id: int) -> WarcRecord | None:
    return session.scalar(select(WarcRecord).where(WarcRecord.version_id == version_id))
