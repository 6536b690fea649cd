"""Decide a fetch and write it: where a page meets the database.

:func:`pipeline.outcome.decide` says what a fetch changes; storage/record.py
(one page at a time, or many pages to a transaction) and storage/batch.py
(quiet pages together) write it. The crawl's store (pipeline/pipelines.py
``StorePipeline``), tests and tools all store pages through here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from pipeline import outcome
from pipeline.background import background_from
from pipeline.items import FetchedPage
from pipeline.outcome import Latest, Rules
from pipeline.rules import project_rules
from pipeline.sitewide import LINE_KINDS, LineRecord, sitewide_lines
from storage import queries, record, versiontext
from storage.batch import apply_batch, can_batch, fits_batch, lock_states
from storage.models import Article, utcnow
from storage.record import Decision

logger = logging.getLogger(__name__)


def record_page(
    session: Session,
    page: FetchedPage,
    rules: Rules | None = None,
    *,
    now: dt.datetime | None = None,
    articles: Mapping[int, Article] | None = None,
) -> Decision:
    """Decide one fetch of one article (pipeline/outcome.py) and write it in the
    caller's session. ``articles``: the article rows, read already (:func:`record_pages`)."""
    rules = rules or project_rules()
    now = now or utcnow()
    opened = record.open_article(session, page.article_id, articles)
    if opened is None:
        logger.warning("fetched article %d no longer exists", page.article_id)
        return outcome.MISSING
    unreadable: str | None = None
    try:
        version = record.latest_version(session, opened) if outcome.needs_latest(page, opened.state) else None
    except versiontext.CorruptText as exc:
        # The version this fetch must be compared with no longer reads: the article's failure, not the crawl's.
        logger.error("%s", exc)
        version, unreadable = None, f"stored version unreadable: {exc} (run `redline verify`)"
    latest = Latest.of(version) if version is not None else None
    decision = outcome.decide(
        page,
        opened.state,
        latest,
        rules,
        now=now,
        background=lambda: background_from(record.site_history(session, opened.article, latest.seq if latest else 0)),
        unreadable=unreadable,
    )
    record.apply(session, opened, decision)
    return decision


def record_pages(
    session: Session, pages: Sequence[FetchedPage], rules: Rules, *, now: dt.datetime | None = None
) -> list[Decision]:
    """:func:`record_page` for each page in turn, in one session: their articles
    read in one query first. A first version then costs no query before the
    commit, which writes every page's rows together (a first crawl's crawl
    thread 6.93 -> 4.85 ms a page)."""
    articles = record.open_articles(session, [p.article_id for p in pages])
    return [record_page(session, page, rules, now=now, articles=articles) for page in pages]


def record_quiet(
    session: Session, pages: Sequence[FetchedPage], rules: Rules, *, now: dt.datetime | None = None
) -> tuple[list[tuple[FetchedPage, Decision]], list[FetchedPage]]:
    """Decide quiet pages as :func:`record_page` would and write those the batch
    can settle together; return them with their decisions, and the pages left
    for :func:`record_page` (an article that is not active, has no version yet,
    was checked later by another worker, or comes twice).

    Raises :class:`~storage.batch.Raced` when an article moved under the batch.
    """
    now = now or utcnow()
    ids = [p.article_id for p in pages]
    repeated = {i for i, n in Counter(ids).items() if n > 1}
    states = lock_states(session, ids)
    settled: list[tuple[FetchedPage, Decision]] = []
    left: list[FetchedPage] = []
    for page in pages:
        state = states.get(page.article_id)
        if state is None or page.article_id in repeated or not can_batch(state, page.fetched_at or now):
            left.append(page)
            continue
        decision = outcome.decide(page, state, None, rules, now=now)
        if fits_batch(decision):
            settled.append((page, decision))
        else:
            left.append(page)
    apply_batch(session, [d for _, d in settled])
    return settled, left


def fold_sitewide_lines(session: Session, since: dt.datetime) -> int:
    """Fold this crawl's template lines (records detected since ``since``) into
    metadata: the same line added to many articles of a site at once (pipeline/sitewide.py)."""
    rows = queries.line_changes_since(session, since, LINE_KINDS)
    reasons = sitewide_lines(LineRecord(*row) for row in rows)
    return queries.relabel_as_metadata(session, reasons) if reasons else 0
