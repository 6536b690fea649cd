"""What one fetch changes: the check, the article's new state, maybe a version, its change records.

Pure: the fetched page, the article's state, its latest version and the rules
in, a :class:`~storage.record.Decision` out; storage/record.py writes it. The
one page path and the batch of quiet pages both decide here.

To add an outcome (a pending confirmation, a republished article, a cheaper
"unchanged" test), add its branch to :func:`_outcome` or :func:`decide`; the
rows it writes are the ones any decision writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from pipeline.ahead import content_hash, snapshot_of
from pipeline.classify import NOTHING_KNOWN, Background, ChangeRecord, Snapshot, classify
from pipeline.confirm import drastic
from pipeline.items import FetchedPage
from pipeline.kinds import KINDS
from pipeline.recheck import RecheckPolicy
from storage.models import ArticleStatus, CheckOutcome, Version
from storage.record import ArticleState, ChangeRow, CheckRow, Decision, Fold, NewVersion, RawFetch

GONE_STATUSES = (404, 410)


@dataclass(frozen=True)
class Rules:
    """The settings a decision follows (REDLINE_MIN_TEXT_RATIO, REDLINE_STORE_RAW_HTML, REDLINE_RECHECK)."""

    policy: RecheckPolicy
    min_ratio: float
    keep_raw: bool
    # How soon a drastic change is fetched again to confirm it (REDLINE_CONFIRM_AFTER,
    # scaled by REDLINE_TIME_SCALE); None stores drastic changes at once.
    confirm_after: dt.timedelta | None = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Latest:
    """The version a new body is compared with."""

    seq: int
    content_hash: str
    snapshot: Snapshot

    @classmethod
    def of(cls, version: Version) -> Latest:
        return cls(version.seq, version.content_hash, snapshot_of(version))


def needs_latest(page: FetchedPage, state: ArticleState) -> bool:
    """Only a new body or a vanished page is compared with the last version:
    a 304, an error or a resent body never reads it."""
    if not state.version_count:
        return False
    if page.http_status in GONE_STATUSES:
        return True
    if empty_page(page) and state.status != ArticleStatus.GONE:
        return False  # empty is empty whatever the last version said (a gone one's return names its title)
    return page.http_status == 200 and not page.error and not page.same_body and not page.same_region


def empty_page(page: FetchedPage) -> bool:
    """A 200 whose extraction found no article (a video page, a script-built shell)."""
    extracted = page.extracted
    return page.http_status == 200 and not page.extraction_error and extracted is not None and extracted.is_empty


# The article was deleted while its page was fetched: nothing to write.
MISSING = Decision(CheckOutcome.ERROR, None, None, None)


def _outcome(
    page: FetchedPage, latest: Latest | None, min_ratio: float, has_versions: bool, digest: str | None
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
    extracted = page.extracted
    if extracted is None or extracted.is_empty:
        size = len(extracted.text) if extracted else 0
        hint = f"; {page.hint}" if page.hint else ""  # a script-built page (pipeline/jsshell.py)
        return CheckOutcome.EMPTY_EXTRACTION, f"extracted {size} characters{hint}"
    last_text = latest.snapshot.text if latest is not None else ""
    if latest is not None and len(extracted.text) < min_ratio * len(last_text):
        return CheckOutcome.EMPTY_EXTRACTION, (
            f"extracted {len(extracted.text)} characters, under {min_ratio:.0%} of the last version's {len(last_text)}"
        )
    if latest is not None and latest.content_hash == digest:
        return CheckOutcome.UNCHANGED, None
    return CheckOutcome.NEW_VERSION, None


def decide(
    page: FetchedPage,
    state: ArticleState,
    latest: Latest | None,
    rules: Rules,
    *,
    now: dt.datetime,
    background: Callable[[], Background] = lambda: NOTHING_KNOWN,
    unreadable: str | None = None,
) -> Decision:
    """Decide one fetch of one article.

    ``latest`` is needed when :func:`needs_latest` says so; ``unreadable`` says
    why it could not be read (a corrupt stored text), which makes the fetch
    the article's error, not the crawl's. ``background`` is called (once) only
    when a new version is classified against ``latest`` here: what it reads
    (the site's other articles) costs queries most fetches never need. A page
    its extraction worker classified against this same ``latest``
    (``page.ahead``, pipeline/ahead.py) brings its records instead.
    """
    fetched_at = page.fetched_at or now
    if state.last_checked_at is not None and fetched_at < state.last_checked_at:
        # Another worker stored a later fetch of this article first: keep the record, apply nothing.
        check = CheckRow(
            fetched_at,
            page.http_status,
            CheckOutcome.SUPERSEDED,
            error=f"fetched before the check stored at {state.last_checked_at:%Y-%m-%d %H:%M:%S}",
            duration_ms=page.duration_ms,
        )
        return Decision(CheckOutcome.SUPERSEDED, state, None, check)
    # The extraction's content hash, computed once: compared with the latest
    # version, with a held candidate, and stored with a new version.
    digest = content_hash(page.extracted) if page.extracted is not None else None
    outcome, error = (
        (CheckOutcome.ERROR, unreadable)
        if unreadable is not None
        else _outcome(page, latest, rules.min_ratio, state.version_count > 0, digest)
    )
    if outcome == CheckOutcome.NEW_VERSION and latest is not None and rules.confirm_after is not None:
        assert page.extracted is not None  # a new version is an extraction
        held = _held(latest.snapshot.text, page.extracted.text, state.pending_hash, digest)
        if held is not None:
            outcome, error = CheckOutcome.PENDING, f"held for a confirmation fetch: {held}"
    after = replace(state)
    changes: list[ChangeRow] = []
    seq: int | None = state.version_count or None
    # The time a confirmed drastic change was first seen is when it is reported.
    confirmed = outcome == CheckOutcome.NEW_VERSION and digest is not None and state.pending_hash == digest
    detected_at = (state.pending_since if confirmed else None) or now
    if outcome == CheckOutcome.PENDING:
        if state.pending_hash != digest:
            after.pending_hash, after.pending_since = digest, now  # as its pending check says
    elif outcome not in (CheckOutcome.ERROR, CheckOutcome.SUPERSEDED):
        # Confirmed, or it was transient: the page is back (or changed otherwise).
        after.pending_hash = after.pending_since = None

    after.last_checked_at = fetched_at
    if outcome == CheckOutcome.ERROR:
        after.consecutive_failures += 1
        after.last_error = error
    else:
        after.consecutive_failures = 0
        after.last_error = error if outcome == CheckOutcome.EMPTY_EXTRACTION else None

    if page.http_status == 200 and outcome not in (CheckOutcome.ERROR, CheckOutcome.PENDING):
        # A held page keeps the last version's validators: its confirmation is a full fetch.
        if page.etag or page.last_modified:
            after.etag, after.last_modified = page.etag, page.last_modified
        if outcome in (CheckOutcome.NEW_VERSION, CheckOutcome.UNCHANGED):
            after.body_hash = page.body_hash
            if page.extracted is not None or page.same_region:
                after.region_key = page.region_key
        if page.final_url and page.final_url != page.url:
            # Where the article was last read: its last redirect target, else its own URL,
            # so the first redirect of a published article is a move too.
            previous = after.final_url or page.url
            if previous != page.final_url and seq is not None:
                changes.append(
                    ChangeRow(seq, seq, now, "redirected", previous, page.final_url, KINDS["redirected"].severity)
                )
            after.final_url = page.final_url
        if after.status == ArticleStatus.GONE:
            after.status = ArticleStatus.ACTIVE
            after.gone_at = None

    if outcome == CheckOutcome.GONE:
        if after.status != ArticleStatus.GONE and latest is not None:
            changes.append(
                ChangeRow(
                    latest.seq,
                    None,
                    now,
                    "unpublished",
                    latest.snapshot.title,
                    f"HTTP {page.http_status}",
                    KINDS["unpublished"].severity,
                )
            )
        after.status = ArticleStatus.GONE
        after.gone_at = after.gone_at or now

    version: NewVersion | None = None
    if outcome == CheckOutcome.NEW_VERSION:
        extracted = page.extracted
        assert extracted is not None and digest is not None  # a new version is an extraction
        if extracted.canonical_url:
            after.canonical_url = extracted.canonical_url
        seq = after.version_count = state.version_count + 1
        version = NewVersion(
            seq=seq,
            fetched_at=now,
            content_hash=digest,
            title=extracted.title,
            byline=extracted.byline,
            published_at=extracted.published_at,
            modified_at=extracted.modified_at,
            text=extracted.text,
            headlines=extracted.headlines,
            final_url=page.final_url,
            raw=_raw(page) if rules.keep_raw else None,
            extractor=extracted.extractor,
            extractor_version=extracted.extractor_version,
        )
        if latest is not None:
            ahead = page.ahead  # classified in the extraction worker (pipeline/ahead.py)
            if ahead is not None and (ahead.seq, ahead.content_hash, ahead.digest) == (
                latest.seq,
                latest.content_hash,
                digest,
            ):
                records: Iterable[ChangeRecord] = ahead.records
            else:  # against another version than the worker read, or not classified there
                records = classify(latest.snapshot, snapshot_of(extracted), background())
            changes += _classified(latest, records, seq, detected_at)

    if state.status == ArticleStatus.GONE and after.status == ArticleStatus.ACTIVE:
        changes.insert(0, _republished(page, state, latest, seq, now))

    check = CheckRow(now, page.http_status, outcome, error, page.duration_ms, seq)
    if any(KINDS[c.kind].content for c in changes if c.kind in KINDS):
        after.last_changed_at = now
    if after.status == ArticleStatus.GONE:
        # Looked at again on the slow ladder (1 h, 6 h, 1 d, 3 d after it went), then never.
        after.next_check_at, _why = rules.policy.plan_gone(gone_at=after.gone_at or now, now=now)
    if after.status == ArticleStatus.ACTIVE:
        after.next_check_at, _why = rules.policy.plan(
            born=min(after.first_seen_at, after.listed_published_at or after.first_seen_at),
            now=now,
            failures=after.consecutive_failures,
            last_changed=after.last_changed_at,
            edit_rate=after.edit_rate,
            retry_after=page.retry_after,
        )
        if after.next_check_at is None:
            after.status = ArticleStatus.RETIRED
        elif outcome == CheckOutcome.PENDING and rules.confirm_after is not None:
            # Minutes, not the ladder's hours; a Retry-After still wins.
            soon = now + max(rules.confirm_after, dt.timedelta(seconds=page.retry_after or 0))
            after.next_check_at = min(after.next_check_at, soon)
    return Decision(outcome, state, after, check, version, tuple(changes))


def _republished(
    page: FetchedPage, state: ArticleState, latest: Latest | None, seq: int | None, now: dt.datetime
) -> ChangeRow:
    """A gone article answers again: what it was, what it is now, how long it was away.
    Its edits against the last version follow as their own records (classified above)."""
    title = page.extracted.title if page.extracted is not None else None
    old = latest.snapshot.title if latest is not None else None
    away = (now - state.gone_at).total_seconds() if state.gone_at else None
    return ChangeRow(
        latest.seq if latest is not None else state.version_count or None,
        seq,
        now,
        "republished",
        old,
        title or old or f"HTTP {page.http_status}",
        KINDS["republished"].severity,
        details={"gone_for_seconds": away} if away is not None else None,
    )


def _held(last_text: str, new_text: str, pending_hash: str | None, digest: str | None) -> str | None:
    """Why this new extraction waits for a confirmation fetch, or None to store it.

    A drastic change (pipeline/confirm.py) is held the first time it is seen;
    a second fetch that extracts exactly the same text (``digest`` equals the
    held ``pending_hash``) confirms it."""
    reason = drastic(last_text, new_text)
    if reason is None or pending_hash == digest:
        return None
    return reason


def _raw(page: FetchedPage) -> RawFetch:
    """What the WARC records keep: the exchange as received, or, without one, the page's text
    (decoding a 200 KB page costs 0.1 ms that the exchange's bytes do not need)."""
    return RawFetch(page.exchange, page.text() if page.exchange is None else None, page.fetched_at, page.warc_response)


def _classified(latest: Latest, records: Iterable[ChangeRecord], seq: int, now: dt.datetime) -> list[ChangeRow]:
    rows: list[ChangeRow] = []
    for record in records:
        fold = None
        if record.kind == "headline_flipflop":
            # The first swings of the A/B test were reported as headline records
            # before the test showed itself: now they are part of this one.
            reason = f"a swing of the headline A/B test reported as headline_flipflop at version {seq}"
            fold = Fold(record.old, record.new, "metadata", KINDS["metadata"].severity, reason)
        rows.append(
            ChangeRow(
                latest.seq,
                seq,
                now,
                record.kind,
                record.old,
                record.new,
                record.severity,
                old_value=record.old_value,
                new_value=record.new_value,
                context=record.context,
                stealth=record.stealth,
                details=record.details or None,
                folds=fold,
            )
        )
    return rows
