"""Write what a fetch was decided to change (pipeline/outcome.py decides).

The rows here are the vocabulary of that decision: :class:`ArticleState` (what
an article is, before and after the fetch), :class:`CheckRow`,
:class:`NewVersion` and :class:`ChangeRow`, held by one :class:`Decision`.
Nothing here decides anything; it reads what deciding needs and writes what
was decided, in the caller's session.

Two doors, one decision. One page goes through the ORM, its article row locked
on PostgreSQL (:func:`open_article`, :func:`apply`). The quiet pages most
rechecks bring (a 304, the same bytes, the same article region) go through
storage/batch.py, many to a transaction, written from the same decisions.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storage import queries, warc
from storage.models import Article, CheckOutcome, Source, Version, host_of

logger = logging.getLogger(__name__)

# Sibling articles read to learn a site's boilerplate: enough to see a
# template line repeat, few enough to stay cheap on every new version.
SIBLINGS = 40


@dataclass
class ArticleState:
    """The article columns a fetch reads or sets, and its source's edit rate."""

    id: int
    status: str
    version_count: int
    first_seen_at: dt.datetime
    listed_published_at: dt.datetime | None = None
    last_checked_at: dt.datetime | None = None
    last_changed_at: dt.datetime | None = None
    next_check_at: dt.datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    region_key: str | None = None
    final_url: str | None = None
    canonical_url: str | None = None
    gone_at: dt.datetime | None = None  # when it went 404/410 (its slow recheck ladder counts from here)
    pending_hash: str | None = None
    pending_since: dt.datetime | None = None
    edit_rate: float | None = None  # the source's, read only


# The columns a decision may set: every field but the key and the source's.
WRITABLE = tuple(f.name for f in fields(ArticleState) if f.name not in ("id", "edit_rate"))


@dataclass(frozen=True)
class CheckRow:
    checked_at: dt.datetime
    http_status: int | None
    outcome: CheckOutcome
    error: str | None = None
    duration_ms: float | None = None
    version_seq: int | None = None


@dataclass(frozen=True)
class RawFetch:
    """The fetch a version was made from, kept as WARC records (storage/warc.py)."""

    exchange: warc.Exchange | None
    html: str | None
    fetched_at: dt.datetime | None
    response: warc.Response | None = None  # the exchange's response record, built ahead (pipeline/examine.py)


@dataclass(frozen=True)
class NewVersion:
    """The next version; its seq is the article's version count plus one."""

    seq: int
    fetched_at: dt.datetime
    content_hash: str
    title: str | None
    byline: str | None
    published_at: str | None
    modified_at: str | None
    text: str
    headlines: dict[str, str]
    final_url: str | None
    raw: RawFetch | None  # None: REDLINE_STORE_RAW_HTML is off
    extractor: str
    extractor_version: str


@dataclass(frozen=True)
class Fold:
    """Earlier ``headline`` records that rewrote ``old`` into ``new`` (either
    way) become ``kind`` records: the swings of an A/B test reported one by one
    before it showed itself."""

    old: str | None
    new: str | None
    kind: str
    severity: str
    reason: str


@dataclass(frozen=True)
class ChangeRow:
    from_version: int | None
    to_version: int | None
    detected_at: dt.datetime
    kind: str
    old: str | None
    new: str | None
    severity: str
    old_value: float | None = None
    new_value: float | None = None
    context: str | None = None
    stealth: bool | None = None
    details: dict[str, Any] | None = None
    folds: Fold | None = None  # applied just before this record is added


@dataclass(frozen=True)
class Decision:
    """Everything one fetch changes. ``after`` None: the article row stays as it
    is; ``check`` None: nothing is written at all (the article is gone)."""

    outcome: CheckOutcome
    before: ArticleState | None
    after: ArticleState | None
    check: CheckRow | None
    version: NewVersion | None = None
    changes: tuple[ChangeRow, ...] = field(default=())

    @property
    def update(self) -> dict[str, Any]:
        """The article columns this decision sets to a new value."""
        if self.after is None or self.before is None:
            return {}
        return {n: v for n in WRITABLE if (v := getattr(self.after, n)) != getattr(self.before, n)}

    @property
    def version_seq(self) -> int | None:
        return self.check.version_seq if self.check is not None else None

    @property
    def change_kinds(self) -> tuple[str, ...]:
        return tuple(c.kind for c in self.changes)


def state_of(article: Article) -> ArticleState:
    source = article.source
    return ArticleState(
        **{n: getattr(article, n) for n in ("id", *WRITABLE)},
        edit_rate=source.edit_rate if source is not None else None,
    )


# --- one page -----------------------------------------------------------------


@dataclass
class Opened:
    """One article read for writing, and the versions read while deciding."""

    article: Article
    state: ArticleState
    latest: Version | None = None


def on_postgresql(session: Session) -> bool:
    """Whether rows read for writing are locked (``FOR UPDATE``): PostgreSQL; SQLite locks the file."""
    return session.get_bind().dialect.name == "postgresql"


def open_article(session: Session, article_id: int, opened: Mapping[int, Article] | None = None) -> Opened | None:
    """The article, locked against other writers on PostgreSQL; None when it no
    longer exists. ``opened``: articles :func:`open_articles` read (and locked)
    already."""
    article = opened.get(article_id) if opened else None
    if article is None:
        article = session.get(Article, article_id, with_for_update=on_postgresql(session))
    return None if article is None else Opened(article, state_of(article))


def open_articles(session: Session, article_ids: Sequence[int]) -> dict[int, Article]:
    """Many pages' articles and their sources in one query, locked on
    PostgreSQL in id order (as storage/batch.py locks: two batches never wait
    on each other in a circle), for :func:`open_article`. The caller keeps the
    dict while it writes them: the session holds its objects only weakly."""
    query = select(Article).where(Article.id.in_(sorted(set(article_ids)))).options(selectinload(Article.source))
    if on_postgresql(session):
        query = query.order_by(Article.id).with_for_update(of=Article)
    return {article.id: article for article in session.scalars(query)}


def latest_version(session: Session, opened: Opened) -> Version | None:
    opened.latest = queries.latest_version(session, opened.article.id)
    return opened.latest


@dataclass(frozen=True)
class SiteHistory:
    """What the database knows around one article: its earlier headlines and
    the latest texts of other articles of its site."""

    host: str | None
    headline_history: tuple[str | None, ...]
    siblings: list[str]


def site_history(session: Session, article: Article, before_seq: int) -> SiteHistory:
    host = article.host or host_of(article.url)
    siblings = queries.sibling_texts(session, article.id, host, limit=SIBLINGS) if host else []
    return SiteHistory(host, queries.headline_history(session, article.id, before_seq), siblings)


def classification_inputs(session: Session, article_id: int) -> tuple[Version, SiteHistory] | None:
    """What classifying a new extraction of an article reads (pipeline/ahead.py):
    its latest version and its site's history; None when it has no version."""
    article = session.get(Article, article_id)
    version = queries.latest_version(session, article_id) if article is not None and article.version_count else None
    if article is None or version is None:
        return None
    return version, site_history(session, article, version.seq)


def apply(session: Session, opened: Opened, decision: Decision) -> None:
    """Write one page's decision, in the order the rows were decided."""
    article = opened.article
    if decision.version is not None:  # first: it counts from the version count before it
        _add_version(session, opened, decision.version)
    for name, value in decision.update.items():
        setattr(article, name, value)
    for change in decision.changes:
        if change.folds is not None:
            _fold(session, article.id, change.folds)
        queries.add_change(session, article.id, **row_values(change, exclude=("folds",)))
    if decision.check is not None:
        queries.add_check(session, article.id, **row_values(decision.check))


def _add_version(session: Session, opened: Opened, new: NewVersion) -> None:
    article = opened.article
    # A first version reverts to nothing: no query (a first crawl stores thousands).
    reverts_to = queries.version_with_hash(session, article.id, new.content_hash) if article.version_count else None
    version = queries.add_version(
        session, article, previous=opened.latest, reverts_to=reverts_to, **row_values(new, exclude=("seq", "raw"))
    )
    if version.seq != new.seq:
        raise AssertionError(f"article {article.id}: decided version {new.seq}, stored {version.seq}")
    if new.raw is not None:  # the raw page's one copy: the fetch as WARC records
        raw = new.raw
        warc.keep(session, article, version, raw.exchange, raw.html, raw.fetched_at, response=raw.response)


def _fold(session: Session, article_id: int, fold: Fold) -> None:
    session.flush()
    earlier = queries.headline_changes_between(session, article_id, fold.new, fold.old)
    earlier += queries.headline_changes_between(session, article_id, fold.old, fold.new)
    for change in earlier:
        change.kind, change.severity, change.stealth = fold.kind, fold.severity, None
        change.details = {**(change.details or {}), "reason": fold.reason}


def row_values(row: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A row dataclass as column values (storage/batch.py writes check rows with it too)."""
    return {f.name: getattr(row, f.name) for f in fields(row) if f.name not in exclude}


# --- a source run ----------------------------------------------------------------


def open_source(session: Session, source_id: int) -> Source | None:
    return session.get(Source, source_id)


def source_ran(
    session: Session, source: Source, *, now: dt.datetime, next_run_at: dt.datetime, error: str | None
) -> None:
    """Record a run of ``source``: when, when next, and its error (None: it was read)."""
    source.last_run_at, source.next_run_at = now, next_run_at
    if error:
        source.error_count += 1
        source.last_error = error
    else:
        source.error_count, source.last_error = 0, None


def source_resolved(session: Session, source: Source, url: str, kind: str, why: str) -> None:
    """A kind "auto" source's first run chose what to read (spiders/outlet.py)."""
    source.found_url, source.found_kind, source.found_why = url, kind, why


@dataclass(frozen=True)
class Relisted:
    """An article whose listed headline was rewritten, with its latest version's headlines."""

    article_id: int
    old: str
    new: str
    seq: int | None
    page_headlines: tuple[str | None, ...]


@dataclass
class Tracked:
    new: int = 0
    relisted: list[Relisted] = field(default_factory=list)


def track_links(
    session: Session, source: Source, links: Sequence[tuple[str, str | None, dt.datetime | None]]
) -> Tracked:
    """Track each (url, listed headline, listed date) as an article of ``source``:
    how many are new, and which tracked ones are listed under another headline."""
    tracked = Tracked()
    for url, headline, published_at in links:
        article, created = queries.get_or_create_article(session, url, source.id)
        if article.source_id is None:
            article.source_id = source.id
        if headline:
            headline = headline[:1000]
            before = article.listed_headline
            if before and before != headline and article.version_count:
                latest = queries.latest_version(session, article.id)
                # Every wording the page has carried: its latest surfaces and each version's title.
                earlier = queries.headline_history(session, article.id, article.version_count, limit=1000)
                surfaces = (*earlier, *((latest.title, *(latest.headlines or {}).values()) if latest else ()))
                tracked.relisted.append(Relisted(article.id, before, headline, article.version_count, surfaces))
            article.listed_headline = headline
        if published_at and article.listed_published_at is None:
            article.listed_published_at = published_at
        tracked.new += created
    source.articles_found += tracked.new
    return tracked


def add_changes(session: Session, article_id: int, rows: Sequence[ChangeRow]) -> None:
    """Change records that no fetch decided (a listing's headline): written as they are."""
    for row in rows:
        queries.add_change(session, article_id, **row_values(row, exclude=("folds",)))
