"""What ExtractPipeline does to one page: the gate first, extraction only when it cannot say.

Pure, and a module function so an extraction worker process can run it.
"""

from __future__ import annotations

from typing import NamedTuple

from pipeline import gate, jsshell
from pipeline.decoding import decode
from pipeline.extract import Extracted, SiteOverrides, extract


class Examined(NamedTuple):
    same_region: bool  # the gate said the article is unchanged: no extraction
    extracted: Extracted | None
    region_key: str | None  # the gate key to store, None when unknown
    hint: str | None = None  # an empty page that script would build (pipeline/jsshell.py)


def examine(
    html: str | bytes,
    url: str,
    overrides: SiteOverrides | None,
    previous_key: str | None,
    keys: bool,
    encoding: str | None = None,
) -> Examined:
    """(gate said unchanged, extraction, gate key, hint) of one page: the gate first
    (pipeline/gate.py), extraction only when it cannot say the article is as it
    was; after an extraction the gate learns the page's new key. ``html`` may be
    the response's bytes, decoded here with ``encoding`` as the crawl would."""
    if isinstance(html, bytes):
        html = decode(html, encoding)
    keys = keys and overrides is None  # per-site selectors read what the gate does not
    if keys and gate.unchanged(html, previous_key, url):
        return Examined(True, None, previous_key)
    extracted = extract(html, url, overrides)
    if extracted.is_empty:  # parsed once more only here, where it is examined, not on the crawl's thread
        return Examined(False, extracted, None, jsshell.HINT if jsshell.script_built(html) else None)
    if not keys:
        return Examined(False, extracted, None)
    return Examined(False, extracted, gate.learn(html, extracted, url) or gate.NO_KEY)
