"""What is wrong with a source, read from its articles (for `sources list` and `status`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, ArticleStatus


def articles_with_error(session: Session, fragment: str) -> dict[int, int]:
    """Per source: how many of its active articles' last error contains ``fragment``."""
    query = (
        select(Article.source_id, func.count())
        .where(
            Article.source_id.is_not(None),
            Article.status == ArticleStatus.ACTIVE,
            Article.last_error.contains(fragment, autoescape=True),
        )
        .group_by(Article.source_id)
    )
    return {int(sid): int(n) for sid, n in session.execute(query).all() if sid is not None}
