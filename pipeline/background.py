"""What an article's site and history teach classification: the headlines it
had before, and the sentences its site repeats on many articles.

Pure: storage/record.py reads the :class:`~storage.record.SiteHistory`, this
turns it into the :class:`~pipeline.classify.Background` classification takes.
"""

from __future__ import annotations

import logging

from pipeline.classify import Background
from pipeline.noise import learn_boilerplate
from storage.record import SiteHistory

logger = logging.getLogger(__name__)


def background_from(history: SiteHistory) -> Background:
    """The background to compare an article's latest version with the one after it."""
    boilerplate = learn_boilerplate(history.siblings)
    logger.debug(
        "%s: %d boilerplate sentences learned from %d articles", history.host, len(boilerplate), len(history.siblings)
    )
    return Background(headline_history=history.headline_history, boilerplate=boilerplate)
