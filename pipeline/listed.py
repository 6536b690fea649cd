"""The headline a feed or a front page lists is a surface of its own.

Discovery reads each article's headline as its source lists it. When that
listed headline is rewritten while the page's own headline surfaces did not
move, the only trace of the edit is in the listing: it is a ``headline``
record with ``details.surfaces`` ``["listed"]``. Feeds lag the page: a listed
headline that changes *to* a wording the page carries or has carried is the
listing catching up with (or cycling through, in an A/B test) wordings
already reported from the page, so it is ``metadata``.
Pure: headlines in, a record out.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.classify import ChangeRecord
from pipeline.sentences import comparable


def listed_headline_change(
    old: str | None, new: str | None, page_headlines: Iterable[str | None], source_kind: str
) -> ChangeRecord | None:
    """The record for a listed headline going from ``old`` to ``new``, or None.

    ``page_headlines`` are the headline surfaces of the article's latest
    version (its title, h1, og:title…) and the titles of its earlier versions."""
    if not old or not new or comparable(old) == comparable(new):
        return None
    details = {"surfaces": ["listed"], "source_kind": source_kind}
    page = {comparable(h) for h in page_headlines if h}
    if comparable(new) in page:
        reason = f"the {source_kind} now lists a headline the page carries or carried (listings lag the page)"
        return ChangeRecord("metadata", old, new, details={**details, "reason": reason})
    return ChangeRecord("headline", old, new, details=details)
