"""Turn one fetched page into database rows: a check, maybe a version, its changes.

All of one page's writes happen in the caller's session, so they commit (or
roll back) together.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from pipeline.background import background_for, fold_into_flipflop
from pipeline.classify import Snapshot, classify
from pipeline.extract import Extracted
from pipeline.kinds import KINDS
from pipeline.normalise import fingerprint
from pipeline.recheck import DEFAULT_POLICY, RecheckPolicy
from spiders.items import FetchedPage
from storage import queries, warc
from storage.models import Article, ArticleStatus, CheckOutcome, Version, utcnow

logger = logging.getLogger(__name__)

GONE_STATUSES = (404, 410)


@dataclass
class StoreResult:
    outcome: CheckOutcome
    version_seq: int | None = None
    change_kinds: tuple[str, ...] = ()


def content_hash(e: Extracted) -> str:
    return fingerprint(
        e.title, e.byline, e.text, e.published_at, e.modified_at, json.dumps(e.headlines, sort_keys=True)
    )


def snapshot_of(v: Version) -> Snapshot:
    return Snapshot(v.title, v.byline, v.text, v.published_at, v.modified_at, dict(v.headlines or {}))


def _needs_latest(page: FetchedPage, article: Article) -> bool:
    """Only a new body or a vanished page is compared with the last version:
    a 304, an error or a resent body never reads it."""
    if not article.version_count:
        return False
    if page.http_status in GONE_STATUSES:
        return True
    return page.http_status == 200 and not page.error and not page.same_body and not page.same_region


def _outcome(
    page: FetchedPage, latest: Version | None, min_ratio: float, has_versions: bool
) -> tuple[CheckOutcome, str | None]:
    if page.error and page.http_status is None:
        return CheckOutcome.ERROR, page.error
    status = page.http_status
    if status == 304:
        return CheckOutcome.NOT_MODIFIED, None
    if status in GONE_STATUSES:
        return CheckOutcome.GONE, f"HTTP {status}"
    if status != 200:
        return CheckOutcome.ERROR, page.error or f"HTTP {status}"
    if (page.same_body or page.same_region) and has_versions:
        return CheckOutcome.UNCHANGED, None
    if page.extraction_error:
        return CheckOutcome.ERROR, page.extraction_error
    extracted: Extracted | None = page.extracted
    if extracted is None or extracted.is_empty:
        size = len(extracted.text) if extracted else 0
        return CheckOutcome.EMPTY_EXTRACTION, f"extracted {size} characters"
    if latest is not None and len(extracted.text) < min_ratio * len(latest.text):
        return CheckOutcome.EMPTY_EXTRACTION, (
            f"extracted {len(extracted.text)} characters, "
            f"under {min_ratio:.0%} of the last version's {len(latest.text)}"
        )
    if latest is not None and latest.content_hash == content_hash(extracted):
        return CheckOutcome.UNCHANGED, None
    return CheckOutcome.NEW_VERSION, None


def store_page(
    session: Session,
    page: FetchedPage,
    *,
    keep_raw: bool = True,
    min_ratio: float = 0.2,
    now: dt.datetime | None = None,
    policy: RecheckPolicy = DEFAULT_POLICY,
) -> StoreResult:
    """Record one fetch of one article."""
    now = now or utcnow()
    article = session.get(
        Article, page.article_id, with_for_update=session.bind is not None and session.bind.dialect.name == "postgresql"
    )
    if article is None:
        logger.warning("fetched article %d no longer exists", page.article_id)
        return StoreResult(CheckOutcome.ERROR)
    fetched_at = page.fetched_at or now
    if article.last_checked_at is not None and fetched_at < article.last_checked_at:
        # Another worker stored a later fetch of this article first: keep the record, apply nothing.
        queries.add_check(
            session,
            article.id,
            checked_at=fetched_at,
            http_status=page.http_status,
            outcome=CheckOutcome.SUPERSEDED,
            error=f"fetched before the check stored at {article.last_checked_at:%Y-%m-%d %H:%M:%S}",
            duration_ms=page.duration_ms,
        )
        return StoreResult(CheckOutcome.SUPERSEDED)
    latest = queries.latest_version(session, article.id) if _needs_latest(page, article) else None
    outcome, error = _outcome(page, latest, min_ratio, article.version_count > 0)
    kinds: list[str] = []
    seq: int | None = article.version_count or None

    article.last_checked_at = fetched_at
    if outcome == CheckOutcome.ERROR:
        article.consecutive_failures += 1
        article.last_error = error
    else:
        article.consecutive_failures = 0
        article.last_error = error if outcome == CheckOutcome.EMPTY_EXTRACTION else None

    if page.http_status == 200 and outcome != CheckOutcome.ERROR:
        if page.etag or page.last_modified:
            article.etag, article.last_modified = page.etag, page.last_modified
        if outcome in (CheckOutcome.NEW_VERSION, CheckOutcome.UNCHANGED):
            article.body_hash = page.body_hash
            if page.extracted is not None or page.same_region:
                article.region_key = page.region_key
        if page.final_url and page.final_url != page.url:
            if article.final_url and article.final_url != page.final_url and seq is not None:
                queries.add_change(
                    session,
                    article.id,
                    from_version=seq,
                    to_version=seq,
                    detected_at=now,
                    kind="redirected",
                    old=article.final_url,
                    new=page.final_url,
                    severity="medium",
                )
                kinds.append("redirected")
            article.final_url = page.final_url
        if article.status == ArticleStatus.GONE:
            article.status = ArticleStatus.ACTIVE

    if outcome == CheckOutcome.GONE:
        if article.status != ArticleStatus.GONE and latest is not None:
            queries.add_change(
                session,
                article.id,
                from_version=latest.seq,
                to_version=None,
                detected_at=now,
                kind="unpublished",
                old=latest.title,
                new=f"HTTP {page.http_status}",
                severity="high",
                stealth=None,
            )
            kinds.append("unpublished")
        article.status = ArticleStatus.GONE

    if outcome == CheckOutcome.NEW_VERSION:
        extracted: Extracted = page.extracted
        if extracted.canonical_url:
            article.canonical_url = extracted.canonical_url
        digest = content_hash(extracted)
        version = queries.add_version(
            session,
            article,
            previous=latest,
            fetched_at=now,
            content_hash=digest,
            title=extracted.title,
            byline=extracted.byline,
            published_at=extracted.published_at,
            modified_at=extracted.modified_at,
            text=extracted.text,
            headlines=extracted.headlines,
            final_url=page.final_url,
            extractor=extracted.extractor,
            extractor_version=extracted.extractor_version,
            # A first version reverts to nothing: no query (a first crawl stores thousands).
            reverts_to=queries.version_with_hash(session, article.id, digest) if article.version_count else None,
        )
        seq = version.seq
        if keep_raw:  # the raw page's one copy: the fetch as WARC records
            warc.keep(session, article, version, page.exchange, page.html, page.fetched_at)
        if latest is not None:
            background = background_for(session, article, latest)
            for record in classify(snapshot_of(latest), snapshot_of(version), background):
                if record.kind == "headline_flipflop":
                    fold_into_flipflop(session, article.id, record, version.seq)
                queries.add_change(
                    session,
                    article.id,
                    from_version=latest.seq,
                    to_version=version.seq,
                    detected_at=now,
                    kind=record.kind,
                    old=record.old,
                    new=record.new,
                    old_value=record.old_value,
                    new_value=record.new_value,
                    context=record.context,
                    severity=record.severity,
                    stealth=record.stealth,
                    details=record.details or None,
                )
                kinds.append(record.kind)

    queries.add_check(
        session,
        article.id,
        checked_at=now,
        http_status=page.http_status,
        outcome=outcome,
        error=error,
        duration_ms=page.duration_ms,
        version_seq=seq,
    )
    if any(KINDS[k].content for k in kinds if k in KINDS):
        article.last_changed_at = now
    if article.status == ArticleStatus.ACTIVE:
        born = min(article.first_seen_at, article.listed_published_at or article.first_seen_at)
        article.next_check_at, _why = policy.plan(
            born=born,
            now=now,
            failures=article.consecutive_failures,
            last_changed=article.last_changed_at,
            edit_rate=article.source.edit_rate if article.source is not None else None,
            retry_after=page.retry_after,
        )
        if article.next_check_at is None:
            article.status = ArticleStatus.RETIRED
    return StoreResult(outcome, seq, tuple(kinds))
