"""What ExtractPipeline does to one page: the gate first, extraction only when it cannot say.

Pure, and a module function so an extraction worker process can run it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import NamedTuple

from pipeline import gate, jsshell
from pipeline.ahead import Ahead, classify_ahead
from pipeline.decoding import decode_keeping_utf8
from pipeline.extract import Extracted, SiteOverrides, extract
from storage import warcbuild as warc  # not storage.warc: a worker needs no database layer

logger = logging.getLogger(__name__)


class Examined(NamedTuple):
    same_region: bool  # the gate said the article is unchanged: no extraction
    extracted: Extracted | None
    region_key: str | None  # the gate key to store, None when unknown
    hint: str | None = None  # an empty page that script would build (pipeline/jsshell.py)
    # The fetch's WARC response record, built where the bytes already are: most
    # of what storing a new version costs the crawl's thread (storage/warcbuild.py).
    response: warc.Response | None = None
    # Its change records against the latest version, classified here (pipeline/ahead.py).
    ahead: Ahead | None = None


def examine(
    html: str | bytes,
    url: str,
    overrides: SiteOverrides | None,
    previous_key: str | None,
    keys: bool,
    encoding: str | None = None,
    capture: tuple[warc.Exchange, dt.datetime] | None = None,
    article: tuple[str, int] | None = None,
) -> Examined:
    """(gate said unchanged, extraction, gate key, hint, response record, change
    records) of one page: the gate first (pipeline/gate.py), extraction only
    when it cannot say the article is as it was; after an extraction the gate
    learns the page's new key. ``html`` may be the response's bytes, decoded here with ``encoding`` as
    the crawl would. ``capture``: the exchange and when it arrived, whose
    response record is built once an extraction finds an article (a new
    version, unless its text is the stored one's). ``article``: the database
    URL and the article's id, to classify a new extraction against its latest
    version here (pipeline/ahead.py; the extraction workers pass them)."""
    # What the gate parses: the text, or the bytes themselves where they are its
    # UTF-8 (the same tree, without lexbor encoding the text again).
    parsed: str | bytes = html
    if isinstance(html, bytes):
        html, utf8 = decode_keeping_utf8(html, encoding)
        parsed = utf8 if utf8 is not None else html
    keys = keys and overrides is None  # per-site selectors read what the gate does not
    if keys and gate.unchanged(parsed, previous_key, url):
        return Examined(True, None, previous_key)
    extracted = extract(html, url, overrides)
    if extracted.is_empty:  # parsed once more only here, where it is examined, not on the crawl's thread
        return Examined(False, extracted, None, jsshell.HINT if jsshell.script_built(html) else None)
    response = _response_record(capture) if capture is not None else None
    ahead = classify_ahead(*article, extracted) if article is not None else None
    key = (gate.learn(parsed, extracted, url) or gate.NO_KEY) if keys else None
    return Examined(False, extracted, key, None, response, ahead)


def _response_record(capture: tuple[warc.Exchange, dt.datetime]) -> warc.Response | None:
    """The response record built ahead, or None: it only saves the store building
    it, which then builds it itself, so a failure here must not cost the page."""
    try:
        return warc.response_record(*capture)
    except Exception as exc:  # whatever failed, the store builds the record (and meets it) itself
        logger.warning("the WARC record of %s was not built ahead: %s", capture[0].url, exc)
        return None
