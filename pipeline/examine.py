"""What ExtractPipeline does to one page: the gate first, extraction only when it cannot say.

Pure, and a module function so an extraction worker process can run it.
"""

from __future__ import annotations

from pipeline import gate
from pipeline.decoding import decode
from pipeline.extract import Extracted, SiteOverrides, extract


def examine(
    html: str | bytes,
    url: str,
    overrides: SiteOverrides | None,
    previous_key: str | None,
    keys: bool,
    encoding: str | None = None,
) -> tuple[bool, Extracted | None, str | None]:
    """(gate said unchanged, extraction, gate key) of one page: the gate first
    (pipeline/gate.py), extraction only when it cannot say the article is as it
    was; after an extraction the gate learns the page's new key. ``html`` may be
    the response's bytes, decoded here with ``encoding`` as the crawl would."""
    if isinstance(html, bytes):
        html = decode(html, encoding)
    keys = keys and overrides is None  # per-site selectors read what the gate does not
    if keys and gate.unchanged(html, previous_key, url):
        return True, None, previous_key
    extracted = extract(html, url, overrides)
    if not keys or extracted.is_empty:
        return False, extracted, None
    return False, extracted, gate.learn(html, extracted, url) or gate.NO_KEY
