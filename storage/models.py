"""SQLAlchemy 2 typed models.

One row per thing a user can point at: a ``Source`` (feed, sitemap, front page),
an ``Article`` (one tracked URL), each distinct ``Version`` of it, every ``Check``
(fetch attempt, whatever its outcome) and every ``Change`` found between two
consecutive versions.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, object_session, relationship

from storage import versiontext
from storage.sites import host_of as host_of  # its old home: pipeline/background.py, migration 0004


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class ArticleStatus(enum.StrEnum):
    ACTIVE = "active"
    GONE = "gone"  # 404/410 after publication
    RETIRED = "retired"  # too old to re-check


class CheckOutcome(enum.StrEnum):
    NEW_VERSION = "new_version"
    UNCHANGED = "unchanged"
    NOT_MODIFIED = "not_modified"
    ERROR = "error"
    GONE = "gone"
    EMPTY_EXTRACTION = "empty_extraction"
    # Fetched before a check already stored (two workers raced): recorded, not applied.
    SUPERSEDED = "superseded"
    # A drastic change (most of the article gone, or replaced) held until a second fetch agrees.
    PENDING = "pending"


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # a key of spiders/source_kinds.py:SOURCE_KINDS, or auto
    name: Mapped[str | None] = mapped_column(String(200))
    every_seconds: Mapped[int] = mapped_column(Integer, default=600)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # URL patterns (regular expressions) an article link must match / must not match.
    allow: Mapped[list[str] | None] = mapped_column(JSON)
    deny: Mapped[list[str] | None] = mapped_column(JSON)
    # Per-site extraction overrides for this source's articles (pipeline.extract.SiteOverrides).
    overrides: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    articles_found: Mapped[int] = mapped_column(Integer, default=0)
    # The config file this source came from (None: added with `redline sources add`).
    from_config: Mapped[str | None] = mapped_column(String(1024))
    # Share of this source's articles ever revised; quiet outlets are checked less (pipeline/recheck.py).
    edit_rate: Mapped[float | None] = mapped_column(Float)
    # How its pages are fetched: None (plain HTTP) or "browser" (headless Chromium, spiders/browser.py).
    render: Mapped[str | None] = mapped_column(String(16))
    # kind "auto": what the outlet search chose to read (spiders/outlet.py), and why.
    found_url: Mapped[str | None] = mapped_column(String(2048))
    found_kind: Mapped[str | None] = mapped_column(String(16))
    found_why: Mapped[str | None] = mapped_column(Text)

    articles: Mapped[list[Article]] = relationship(back_populates="source")


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_due", "status", "next_check_at"),
        # A site's most recently checked articles (storage/record.py site_history), without a scan.
        Index("ix_articles_host_checked", "host", "last_checked_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    host: Mapped[str | None] = mapped_column(String(255))  # storage/sites.py:host_of(url)
    canonical_url: Mapped[str | None] = mapped_column(String(2048))
    final_url: Mapped[str | None] = mapped_column(String(2048))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=ArticleStatus.ACTIVE)
    first_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    next_check_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=utcnow)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    body_hash: Mapped[str | None] = mapped_column(String(40))  # sha1 of the last 200 body
    # The gate key of the last extraction (pipeline/gate.py); "-" when the page could not be placed.
    region_key: Mapped[str | None] = mapped_column(String(1024))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    # The headline and date as the source (feed, sitemap, front page) lists the article.
    listed_headline: Mapped[str | None] = mapped_column(Text)
    listed_published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # When it was first found gone (404/410) this time; its recheck ladder counts from here.
    gone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A drastic extraction waiting for a confirmation fetch (pipeline/confirm.py):
    # its content hash and when it was first seen.
    pending_hash: Mapped[str | None] = mapped_column(String(64))
    pending_since: Mapped[dt.datetime | None] = mapped_column(DateTime)

    source: Mapped[Source | None] = relationship(back_populates="articles")
    versions: Mapped[list[Version]] = relationship(
        back_populates="article", order_by="Version.seq", cascade="all, delete-orphan"
    )


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("article_id", "seq", name="uq_versions_article_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    byline: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[str | None] = mapped_column(String(64))
    modified_at: Mapped[str | None] = mapped_column(String(64))
    # The text, stored as storage/versiontext.py says: in full (zlib) for the
    # latest and every KEYFRAME_EVERY-th version, else as a delta from the next.
    text_z: Mapped[bytes | None] = mapped_column(LargeBinary)
    text_delta: Mapped[bytes | None] = mapped_column(LargeBinary)
    text_sha1: Mapped[str] = mapped_column(String(40))
    headlines: Mapped[dict[str, str] | None] = mapped_column(JSON)  # surface -> headline
    final_url: Mapped[str | None] = mapped_column(String(2048))
    # The raw page is not here: it is the payload of the version's WARC records (WarcRecord).
    extractor: Mapped[str] = mapped_column(String(64))
    extractor_version: Mapped[str] = mapped_column(String(32))
    reverts_to: Mapped[int | None] = mapped_column(Integer)  # seq of an identical earlier version

    article: Mapped[Article] = relationship(back_populates="versions")
    warc: Mapped[WarcRecord | None] = relationship(back_populates="version", cascade="all, delete-orphan")

    @property
    def text(self) -> str:
        """The full text, rebuilt (and verified) on first read; query functions prime it."""
        cached: str | None = self.__dict__.get("_text")
        if cached is None:
            session = object_session(self)
            if session is None:
                raise versiontext.CorruptText(f"version {self.seq}: text not loaded and no session to read it")
            load_texts(session, [self])
            cached = self.__dict__["_text"]
        return cached

    @text.setter
    def text(self, value: str) -> None:
        self.__dict__["_text"] = value
        self.text_z, self.text_delta, self.text_sha1 = versiontext.compress(value), None, versiontext.sha1(value)

    def stored_text(self) -> versiontext.Stored:
        return versiontext.Stored(self.seq, self.text_z, self.text_delta, self.text_sha1)


def load_texts(session: Session, versions: Sequence[Version], problems: list[str] | None = None) -> None:
    """Rebuild (and verify) the texts of ``versions``, all of one article, that
    are not loaded yet; rows their delta chains need are read in one query.

    A text that does not rebuild raises :class:`~storage.versiontext.CorruptText`
    naming the article and version; with ``problems``, each such version is
    named there instead and left unloaded, and the others are read."""
    try:
        _load_texts(session, versions)
    except versiontext.CorruptText as exc:
        article = session.get(Article, versions[0].article_id)
        name = f"article {versions[0].article_id} {article.url if article is not None else ''}".rstrip()
        if problems is None:
            raise versiontext.CorruptText(f"{name}: {exc}") from exc
        for v in versions:  # one by one: each version whose chain is broken is named, the rest are read
            try:
                _load_texts(session, [v])
            except versiontext.CorruptText as one:
                problems.append(f"{name}: {one}")


_CHAIN_ROWS = (
    select(Version.seq, Version.text_z, Version.text_delta, Version.text_sha1)
    .where(
        Version.article_id == bindparam("article"),
        Version.seq >= bindparam("low"),
        Version.seq <= bindparam("high"),
    )
    .order_by(Version.seq)
)


def _load_texts(session: Session, versions: Sequence[Version]) -> None:
    todo = sorted((v for v in versions if "_text" not in v.__dict__), key=lambda v: v.seq)
    if not todo:
        return
    known = {v.seq: v.stored_text() for v in versions}
    if any(v.text_z is None for v in todo):
        # Every chain from these versions ends at the first keyframe above the newest of them, or sooner.
        rows = session.execute(
            _CHAIN_ROWS,
            {"article": todo[0].article_id, "low": todo[0].seq, "high": versiontext.next_keyframe(todo[-1].seq)},
        )
        known = {row.seq: versiontext.Stored(*row) for row in rows} | known
    ordered = [known[seq] for seq in sorted(known)]
    by_seq = {v.seq: v for v in versions}
    for v in todo:
        if "_text" in v.__dict__:
            continue  # rebuilt on the way to an older one
        for seq, text in versiontext.rebuild(versiontext.chain_to(ordered, v.seq), wanted=by_seq).items():
            by_seq[seq].__dict__.setdefault("_text", text)


class WarcRecord(Base):
    """The web-archive records of the fetch that made a version (storage/warc.py): the raw page's one copy."""

    __tablename__ = "warc_records"
    __table_args__ = (Index("ix_warc_records_fetched", "fetched_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), unique=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # WARC-Record-ID and WARC-Payload-Digest of the response (or resource) record.
    record_id: Mapped[str] = mapped_column(String(64))
    payload_digest: Mapped[str] = mapped_column(String(64))
    # request + response + metadata records, one gzip member each: a .warc.gz fragment as written.
    warc_gz: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    version: Mapped[Version] = relationship(back_populates="warc")


class Check(Base):
    __tablename__ = "checks"
    __table_args__ = (
        Index("ix_checks_article_at", "article_id", "checked_at"),
        Index("ix_checks_checked_at", "checked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(24))
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    version_seq: Mapped[int | None] = mapped_column(Integer)


class Change(Base):
    __tablename__ = "changes"
    __table_args__ = (
        # With id: "newest first" pages walk the index with no sort, however many share a time.
        Index("ix_changes_detected_id", "detected_at", "id"),
        Index("ix_changes_article", "article_id", "to_version"),
        Index("ix_changes_kind", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_version: Mapped[int | None] = mapped_column(Integer)
    detected_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    old_value: Mapped[float | None] = mapped_column(Float)
    new_value: Mapped[float | None] = mapped_column(Float)
    context: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    # True when the change set this belongs to carried no signal (no update
    # note, no moved modified date): a stealth edit.
    stealth: Mapped[bool | None] = mapped_column(Boolean)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    article: Mapped[Article] = relationship()


class DaemonState(Base):
    """One row: what `redline status` reports about the daemon."""

    __tablename__ = "daemon_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="stopped")  # running | stopped
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    time_scale: Mapped[float] = mapped_column(Float, default=1.0)
    cycles: Mapped[int] = mapped_column(Integer, default=0)
    last_cycle_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_cycle_seconds: Mapped[float | None] = mapped_column(Float)
    last_cycle_pages: Mapped[int | None] = mapped_column(Integer)
    job_errors: Mapped[int] = mapped_column(Integer, default=0)
    last_job_error: Mapped[str | None] = mapped_column(Text)
    # The last sampled verify of housekeeping (storage/verify.py).
    verify_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    verify_checked: Mapped[int | None] = mapped_column(Integer)
    verify_problems: Mapped[int | None] = mapped_column(Integer)
    verify_first_problem: Mapped[str | None] = mapped_column(Text)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # matched a rule, not sent yet (or waiting for its digest)
    SENT = "sent"
    FAILED = "failed"  # the last attempt failed; retried on the next run
    GAVE_UP = "gave_up"  # failed too many times; kept as a record


class AlertDelivery(Base):
    """One alert about one change to one target: the unique key makes a second alert impossible."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("target", "change_id", name="uq_alert_deliveries_target_change"),
        Index("ix_alert_deliveries_status", "status", "rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(2048))
    mode: Mapped[str] = mapped_column(String(16))  # immediate | digest
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    message_id: Mapped[str | None] = mapped_column(String(64))  # shared by the changes of one digest

    change: Mapped[Change] = relationship()
