"""What ExtractPipeline does to one page: the region-key check first, extraction only when it fails.

Pure, and a module function so an extraction worker process can run it.
"""

from __future__ import annotations

from pipeline import region
from pipeline.extract import Extracted, SiteOverrides, extract


def examine(
    html: str, url: str, overrides: SiteOverrides | None, previous_key: str | None, keys: bool
) -> tuple[bool, Extracted | None, str | None]:
    """(same region, extraction, region key) of one page: the key check first,
    extraction only when it fails. A module function, so a worker process can run it."""
    keys = keys and overrides is None
    found = region.probe(html, previous_key) if keys and previous_key and previous_key != region.NO_KEY else None
    if found is not None and found[0] == previous_key:
        return True, None, previous_key
    extracted = extract(html, url, overrides)
    if not keys or extracted.is_empty:
        return False, extracted, None
    if found is not None and region.covers(found[1], extracted.text):
        return False, extracted, found[0]  # same region, new content: its key is already computed
    if previous_key == region.NO_KEY:
        return False, extracted, region.NO_KEY
    return False, extracted, region.learn(html, extracted.text) or region.NO_KEY
