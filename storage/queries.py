"""Queries and writes. Every function takes the caller's session; none commits."""

from __future__ import annotations

import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from storage import versiontext
from storage.models import Article, ArticleStatus, Change, Check, Source, Version, host_of, load_texts, utcnow
from storage.schedule import due

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArticleRef:
    """What a spider needs to fetch an article, detached from any session."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None = None
    region_key: str | None = None
    # Its source's render mode: "browser" fetches it through headless Chromium (spiders/browser.py).
    render: str | None = None
    source_id: int | None = None


def get_or_create_article(session: Session, url: str, source_id: int | None = None) -> tuple[Article, bool]:
    article = session.scalar(select(Article).where(Article.url == url))
    if article is not None:
        return article, False
    article = Article(url=url, host=host_of(url), source_id=source_id, next_check_at=utcnow())
    session.add(article)
    session.flush()
    return article, True


def find_article(session: Session, url: str) -> Article | None:
    """An article by the URL it was tracked under, its canonical URL, or where it redirected."""
    return session.scalar(
        select(Article)
        .where(or_(Article.url == url, Article.canonical_url == url, Article.final_url == url))
        .order_by(Article.id)
        .limit(1)
    )


def articles_to_check(
    session: Session,
    *,
    everything: bool = False,
    now: dt.datetime | None = None,
    limit: int | None = None,
    urls: Sequence[str] | None = None,
) -> list[ArticleRef]:
    """Articles due for a check (or every active one), most overdue first."""
    now = now or utcnow()
    query = (
        select(
            Article.id,
            Article.url,
            Article.etag,
            Article.last_modified,
            Article.body_hash,
            Article.region_key,
            Source.render,
            Article.source_id,
        )
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Article.status != ArticleStatus.RETIRED)
    )
    if urls is not None:
        query = query.where(Article.url.in_(list(urls)))
    elif not everything:
        query = query.where(due(now))
    query = query.order_by(Article.next_check_at.is_(None).desc(), Article.next_check_at, Article.id)
    if limit:
        query = query.limit(limit)
    return [ArticleRef(*row) for row in session.execute(query)]


def latest_version(session: Session, article_id: int) -> Version | None:
    version = session.scalar(
        select(Version).where(Version.article_id == article_id).order_by(Version.seq.desc()).limit(1)
    )
    if version is not None:
        load_texts(session, [version])
    return version


def version_with_hash(session: Session, article_id: int, content_hash: str) -> int | None:
    return session.scalar(
        select(func.min(Version.seq)).where(Version.article_id == article_id, Version.content_hash == content_hash)
    )


def add_version(session: Session, article: Article, *, previous: Version | None = None, **fields: Any) -> Version:
    """Append the next version. The (article, seq) constraint makes a duplicate impossible.

    The version before it gives up its full text for a delta from this one,
    unless it is a keyframe (storage/versiontext.py); both writes are in the
    caller's transaction. The raw page is kept apart, as WARC records (storage/warc.py).
    """
    version = Version(article_id=article.id, seq=article.version_count + 1, **fields)
    if previous is None and article.version_count:
        previous = get_version(session, article.id, article.version_count)
    if previous is not None and previous.text_z is not None and not versiontext.is_keyframe(previous.seq):
        delta = versiontext.make_delta(version.text, previous.text)
        if len(delta) < len(previous.text_z):
            previous.text_z, previous.text_delta = None, delta
    article.version_count = version.seq
    session.add(version)
    return version


def add_check(session: Session, article_id: int, **fields: Any) -> Check:
    check = Check(article_id=article_id, **fields)
    session.add(check)
    return check


def add_change(session: Session, article_id: int, **fields: Any) -> Change:
    change = Change(article_id=article_id, **fields)
    session.add(change)
    return change


def versions_of(session: Session, article_id: int, problems: list[str] | None = None) -> list[Version]:
    """Every version of an article, texts loaded. With ``problems``, versions whose
    text does not rebuild are named there and left out, instead of raising."""
    versions = list(session.scalars(select(Version).where(Version.article_id == article_id).order_by(Version.seq)))
    if not versions:
        return versions
    load_texts(session, versions, problems)
    return [v for v in versions if "_text" in v.__dict__] if problems is not None else versions


_VERSION_AT = select(Version).where(Version.article_id == bindparam("article"), Version.seq == bindparam("seq"))


def get_version(session: Session, article_id: int, seq: int) -> Version | None:
    # One statement built once: "read any version" is the query people wait on.
    version = session.scalar(_VERSION_AT, {"article": article_id, "seq": seq})
    if version is not None:
        load_texts(session, [version])
    return version


def list_changes(
    session: Session,
    *,
    kinds: Sequence[str] | None = None,
    since: dt.datetime | None = None,
    article_id: int | None = None,
    limit: int | None = None,
) -> list[tuple[Change, Article]]:
    query = select(Change, Article).join(Article, Change.article_id == Article.id)
    if kinds is not None:
        query = query.where(Change.kind.in_(list(kinds)))
    if since is not None:
        query = query.where(Change.detected_at >= since)
    if article_id is not None:
        query = query.where(Change.article_id == article_id)
    query = query.order_by(Change.detected_at, Change.id)
    if limit:
        query = query.limit(limit)
    return [(c, a) for c, a in session.execute(query).all()]


def checks_of(session: Session, article_id: int) -> list[Check]:
    return list(session.scalars(select(Check).where(Check.article_id == article_id).order_by(Check.id)))


def headline_history(session: Session, article_id: int, before_seq: int, limit: int = 3) -> tuple[str | None, ...]:
    """The titles of the ``limit`` versions before ``before_seq``, oldest first."""
    rows = session.scalars(
        select(Version.title)
        .where(Version.article_id == article_id, Version.seq < before_seq)
        .order_by(Version.seq.desc())
        .limit(limit)
    )
    return tuple(reversed(list(rows)))


# Sibling texts already rebuilt in this process, keyed by the (seq, text SHA-1)
# of the versions they join: a key names its text exactly, so an entry is never
# stale, whichever database or worker wrote it. Consecutive new versions of one
# site read mostly the same siblings (about 30 KB each; 256 of them ≈ 8 MB).
_SIBLING_CACHE: OrderedDict[tuple[tuple[int, str], ...], str] = OrderedDict()
_SIBLING_CACHE_SIZE = 256


# Built once (a new version reads its siblings; building these cost a third of the reading).
_SIBLINGS = (
    select(Article.id)
    .where(
        Article.host == bindparam("host"),
        Article.id != bindparam("article_id"),
        Article.version_count > 0,
        Article.last_checked_at.is_not(None),  # always set once a version is stored
    )
    .order_by(Article.last_checked_at.desc(), Article.id.desc())
    .limit(bindparam("limit", type_=Integer))
)


def _latest_two(*columns: Any, of: Any) -> Select[Any]:
    """``columns`` of the last two versions of the articles ``of`` names."""
    return (
        select(Version.article_id, *columns)
        .join(Article, Article.id == Version.article_id)
        .where(Version.article_id.in_(of), Version.seq >= Article.version_count - 1)
        .order_by(Version.article_id, Version.seq)
    )


_SIBLING_KEYS = _latest_two(Version.seq, Version.text_sha1, of=select(_SIBLINGS.subquery().c.id))
_SIBLING_STORED = _latest_two(
    Version.seq, Version.text_z, Version.text_delta, Version.text_sha1, of=bindparam("missing", expanding=True)
)


def siblings_query(article_id: int, host: str, limit: int) -> Select[int]:
    """The ids of up to ``limit`` other articles of ``host`` with versions, most
    recently checked first: a walk down ``ix_articles_host_checked``."""
    return _SIBLINGS.params(article_id=article_id, host=host.lower(), limit=limit)


def sibling_texts(session: Session, article_id: int, host: str, limit: int = 40) -> list[str]:
    """The last two versions' texts of up to ``limit`` other articles on ``host``
    (most recently checked first, by ``ix_articles_host_checked``), one joined
    string per article."""
    params = {"article_id": article_id, "host": host.lower(), "limit": limit}
    keys: dict[int, tuple[tuple[int, str], ...]] = {}
    for aid, seq, sha1 in session.execute(_SIBLING_KEYS, params):
        keys[aid] = (*keys.get(aid, ()), (seq, sha1))
    out: dict[int, str] = {}
    for aid, key in keys.items():
        if (text := _SIBLING_CACHE.get(key)) is not None:
            _SIBLING_CACHE.move_to_end(key)
            out[aid] = text
    missing = [aid for aid in keys if aid not in out]
    stored: dict[int, list[versiontext.Stored]] = {}
    if missing:
        for aid, seq, text_z, text_delta, text_sha1 in session.execute(_SIBLING_STORED, {"missing": missing}):
            stored.setdefault(aid, []).append(versiontext.Stored(seq, text_z, text_delta, text_sha1))
    # The latest text is stored in full and the one before it is one delta away.
    for aid, chain in stored.items():
        try:
            text = "\n".join(text for _, text in sorted(versiontext.rebuild(chain).items()))
        except versiontext.CorruptText as exc:  # another article's problem: learn without it
            logger.warning("article %d skipped as a sibling: %s", aid, exc)
            continue
        out[aid] = text
        _SIBLING_CACHE[tuple((v.seq, v.text_sha1) for v in chain)] = text
        if len(_SIBLING_CACHE) > _SIBLING_CACHE_SIZE:
            _SIBLING_CACHE.popitem(last=False)
    return [out[aid] for aid in keys if aid in out]


def headline_changes_between(session: Session, article_id: int, old: str | None, new: str | None) -> list[Change]:
    """Earlier ``headline`` records of an article that rewrote ``old`` into ``new``."""
    return list(
        session.scalars(
            select(Change).where(
                Change.article_id == article_id, Change.kind == "headline", Change.old == old, Change.new == new
            )
        )
    )


def line_changes_since(
    session: Session, since: dt.datetime, kinds: Sequence[str]
) -> list[tuple[int, int, str, str, str]]:
    """(change id, article id, host, kind, line) of the line records detected since ``since``."""
    rows = session.execute(
        select(Change.id, Change.article_id, Article.host, Change.kind, Change.old, Change.new)
        .join(Article, Change.article_id == Article.id)
        .where(Change.detected_at >= since, Change.kind.in_(list(kinds)))
    )
    return [(r.id, r.article_id, r.host or "", r.kind, (r.new if r.new is not None else r.old) or "") for r in rows]


def relabel_as_metadata(session: Session, reasons: dict[int, str]) -> int:
    """Turn these change records into ``metadata``, keeping why; returns how many."""
    changes = list(session.scalars(select(Change).where(Change.id.in_(list(reasons)))))
    for change in changes:
        change.details = {**(change.details or {}), "reason": reasons[change.id], "was": change.kind}
        change.kind, change.severity, change.stealth = "metadata", "info", None
    return len(changes)
