"""Classify a new extraction where it was made: in the extraction worker.

A changed article cost the crawl's thread about 13 ms to store, half of it
classifying the change (pipeline/classify.py) and reading what that needs: the
site's other articles and the article's earlier headlines (storage/record.py
``site_history``). The crawl's thread is what a wave of edits waits on, while
the workers that extracted the new text sit half idle. So a worker that has
just extracted an article which has versions reads the same rows itself (read
only: its own connection, nothing written) and classifies the new text against
the latest version there. The store takes those records when the version it
compares with is still the one the worker read, the same sequence number and
content hash (pipeline/outcome.py ``decide``), and classifies itself otherwise.

What the worker reads is the site as it stood when the page was examined, a
moment before the store would have read it: the same rows, except for pages
written in between (the site's other articles a batch stores first).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.classify import ChangeRecord, Snapshot, classify
from pipeline.extract import Extracted
from pipeline.normalise import fingerprint

if TYPE_CHECKING:
    from storage.models import Version

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ahead:
    """A new extraction's change records against the version they were classified against."""

    seq: int  # that version's sequence number
    content_hash: str  # and its content hash
    digest: str  # the new extraction's content hash
    records: tuple[ChangeRecord, ...]


def content_hash(e: Extracted) -> str:
    return fingerprint(
        e.title, e.byline, e.text, e.published_at, e.modified_at, json.dumps(e.headlines, sort_keys=True)
    )


def snapshot_of(v: Version | Extracted) -> Snapshot:
    return Snapshot(v.title, v.byline, v.text, v.published_at, v.modified_at, dict(v.headlines or {}))


def classify_ahead(db_url: str, article_id: int, extracted: Extracted) -> Ahead | None:
    """The change records of ``extracted`` against article ``article_id``'s latest
    version, or None: no version, the same content, or the database did not answer
    (the store then classifies as it always could)."""
    # The database layer is imported on the first classification, not with the
    # module: a worker that never classifies (a first crawl, gated rechecks)
    # starts without SQLAlchemy (pipeline/workerside.py).
    from pipeline.background import background_from
    from storage.db import session_scope
    from storage.record import classification_inputs

    digest = content_hash(extracted)
    try:
        with session_scope(db_url) as session:
            inputs = classification_inputs(session, article_id)
            if inputs is None or inputs[0].content_hash == digest:
                return None
            version, history = inputs
            latest, seq, stored_hash = snapshot_of(version), version.seq, version.content_hash
    except Exception as exc:  # the store reads and classifies itself
        logger.info("article %d not classified ahead: %s", article_id, exc)
        return None
    records = tuple(classify(latest, snapshot_of(extracted), background_from(history)))
    return Ahead(seq, stored_hash, digest, records)
