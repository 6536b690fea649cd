"""Drastic changes wait for a second fetch before they become a version.

A metered paywall, a bot wall or a half-loaded page sometimes serves a page
that keeps the headline and the first paragraph and drops the rest. Stored at
once, it reads as every later sentence removed, and the next full fetch as
every sentence added back. A new extraction that loses most of the article,
or replaces it wholesale, is therefore held (a ``pending`` check) and fetched
again within minutes; only a confirmation fetch that gives the same
extraction makes it a version. Pure: texts in, a reason out.
"""

from __future__ import annotations

from pipeline.sentences import comparable, split_sentences

# An article this short can lose half its sentences in a plain edit.
MIN_SENTENCES = 4
# Held when fewer than this share of the last version's sentences survive.
KEPT_BELOW = 0.5


def drastic(old: str, new: str) -> str | None:
    """Why the change from ``old`` to ``new`` needs confirming, or None.

    >>> drastic("A one. B two. C three. D four.", "A one. Subscribe to read more.")
    'all but the first 1 of 4 sentences gone (a teaser or a half-loaded page?)'
    """
    before = [comparable(s) for s in split_sentences(old)]
    if len(before) < MIN_SENTENCES:
        return None
    after = {comparable(s) for s in split_sentences(new)}
    kept = [s in after for s in before]
    share = sum(kept) / len(before)
    if share >= KEPT_BELOW:
        return None
    if not any(kept):
        return f"none of the {len(before)} sentences kept (replaced wholesale)"
    prefix = kept.index(False)
    if prefix and not any(kept[prefix:]):
        return f"all but the first {prefix} of {len(before)} sentences gone (a teaser or a half-loaded page?)"
    return f"{sum(kept)} of {len(before)} sentences kept"
