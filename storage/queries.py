"""Queries and writes. Every function takes the caller's session; none commits."""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.models import Article, ArticleStatus, Change, Check, Version, utcnow


@dataclass(frozen=True)
class ArticleRef:
    """What a spider needs to fetch an article, detached from any session."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None = None


def get_or_create_article(session: Session, url: str, source_id: int | None = None) -> tuple[Article, bool]:
    article = session.scalar(select(Article).where(Article.url == url))
    if article is not None:
        return article, False
    article = Article(url=url, source_id=source_id, next_check_at=utcnow())
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
    query = select(Article.id, Article.url, Article.etag, Article.last_modified, Article.body_hash).where(
        Article.status != ArticleStatus.RETIRED
    )
    if urls is not None:
        query = query.where(Article.url.in_(list(urls)))
    elif not everything:
        query = query.where(
            Article.status == ArticleStatus.ACTIVE,
            or_(Article.next_check_at.is_(None), Article.next_check_at <= now),
        )
    query = query.order_by(Article.next_check_at.is_(None).desc(), Article.next_check_at, Article.id)
    if limit:
        query = query.limit(limit)
    return [ArticleRef(*row) for row in session.execute(query)]


def latest_version(session: Session, article_id: int) -> Version | None:
    return session.scalar(select(Version).where(Version.article_id == article_id).order_by(Version.seq.desc()).limit(1))


def version_with_hash(session: Session, article_id: int, content_hash: str) -> int | None:
    return session.scalar(
        select(func.min(Version.seq)).where(Version.article_id == article_id, Version.content_hash == content_hash)
    )


def add_version(session: Session, article: Article, **fields: Any) -> Version:
    """Append the next version. The (article, seq) constraint makes a duplicate impossible."""
    raw = fields.pop("raw_html", None)
    version = Version(article_id=article.id, seq=article.version_count + 1, **fields)
    if raw is not None:
        version.raw_html_z = zlib.compress(raw.encode("utf-8") if isinstance(raw, str) else raw, 6)
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


def versions_of(session: Session, article_id: int) -> list[Version]:
    return list(session.scalars(select(Version).where(Version.article_id == article_id).order_by(Version.seq)))


def get_version(session: Session, article_id: int, seq: int) -> Version | None:
    return session.scalar(select(Version).where(Version.article_id == article_id, Version.seq == seq))


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


def sibling_texts(session: Session, article_id: int, host: str, limit: int = 40) -> list[str]:
    """The last two versions' texts of up to ``limit`` other articles on ``host``
    (most recently checked first), one joined string per article."""
    like = [f"{scheme}://{host}/%" for scheme in ("http", "https")]
    siblings = (
        select(Article.id)
        .where(Article.id != article_id, or_(*(Article.url.like(p) for p in like)), Article.version_count > 0)
        .order_by(Article.last_checked_at.desc().nulls_last(), Article.id.desc())
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(Version.article_id, Version.text)
        .join(Article, Article.id == Version.article_id)
        .where(Version.article_id.in_(select(siblings.c.id)), Version.seq >= Article.version_count - 1)
    )
    texts: dict[int, list[str]] = {}
    for aid, text in rows:
        texts.setdefault(aid, []).append(text)
    return ["\n".join(parts) for parts in texts.values()]


def headline_changes_between(session: Session, article_id: int, old: str | None, new: str | None) -> list[Change]:
    """Earlier ``headline`` records of an article that rewrote ``old`` into ``new``."""
    return list(
        session.scalars(
            select(Change).where(
                Change.article_id == article_id, Change.kind == "headline", Change.old == old, Change.new == new
            )
        )
    )
