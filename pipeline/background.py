"""What an article's site and history teach classification: the headlines it
had before, and the sentences its site repeats on many articles.

The only module between classification and the database: classification
itself stays pure and takes a :class:`~pipeline.classify.Background`.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from pipeline.classify import Background, ChangeRecord
from pipeline.kinds import KINDS
from pipeline.noise import learn_boilerplate
from storage import queries
from storage.models import Article, Version, host_of

logger = logging.getLogger(__name__)

# Sibling articles read to learn a site's boilerplate: enough to see a
# template line repeat, few enough to stay cheap on every new version.
SIBLINGS = 40


def background_for(session: Session, article: Article, latest: Version) -> Background:
    """The background to compare ``latest`` with the version after it."""
    host = article.host or host_of(article.url)
    siblings = queries.sibling_texts(session, article.id, host, limit=SIBLINGS) if host else []
    boilerplate = learn_boilerplate(siblings)
    logger.debug("%s: %d boilerplate sentences learned from %d articles", host, len(boilerplate), len(siblings))
    return Background(
        headline_history=queries.headline_history(session, article.id, latest.seq),
        boilerplate=boilerplate,
    )


def fold_into_flipflop(session: Session, article_id: int, flipflop: ChangeRecord, to_version: int) -> None:
    """The first swings of an A/B test were reported as ``headline`` records
    before the test showed itself; now they are part of the one
    ``headline_flipflop`` record."""
    session.flush()
    earlier = queries.headline_changes_between(session, article_id, flipflop.new, flipflop.old)
    earlier += queries.headline_changes_between(session, article_id, flipflop.old, flipflop.new)
    for change in earlier:
        change.kind, change.severity, change.stealth = "metadata", KINDS["metadata"].severity, None
        change.details = {
            **(change.details or {}),
            "reason": f"a swing of the headline A/B test reported as headline_flipflop at version {to_version}",
        }
