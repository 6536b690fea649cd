"""A response's bytes as text, decoded as Scrapy decodes them.

The crawl hands a page to extraction as its bytes and the encoding the
response declared (or Scrapy inferred): decoding a 200 KB page and pickling
the text for a worker cost the crawl's thread about 0.3 ms, the bytes about
0.02 (bench/crawl_throughput.py). The worker, or whatever needs the text in
the crawl's process (pipeline/items.py ``FetchedPage.text``), decodes them
here, to the very string ``TextResponse.text`` would have given.
"""

from __future__ import annotations

import codecs

from w3lib.encoding import html_to_unicode

# Every byte order mark w3lib reads (it decodes by the mark, whatever was declared).
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)


def decode(body: bytes, encoding: str | None) -> str:
    """``body`` as Scrapy's ``TextResponse.text`` decodes it, given the response's ``encoding``."""
    return html_to_unicode(f"charset={encoding or 'utf-8'}", body)[1]


def decode_keeping_utf8(body: bytes, encoding: str | None) -> tuple[str, bytes | None]:
    """:func:`decode`'s text, and ``body`` itself when it is exactly that text's
    UTF-8 (declared UTF-8, no byte order mark, nothing to replace), else None.

    A parser that reads UTF-8 can then take the bytes as they are: selectolax
    encodes a ``str`` back to UTF-8 before parsing it, 0.12 ms of a 208 KB page
    (the gate's lexbor parse, pipeline/gate.py: 0.74 → 0.57 ms with the decode).
    """
    try:
        declared = codecs.lookup(encoding or "utf-8").name
    except LookupError:
        declared = None
    if declared == "utf-8" and not body.startswith(_BOMS):
        try:
            return body.decode("utf-8"), body  # what html_to_unicode gives: it replaces nothing here
        except UnicodeDecodeError:
            pass
    return decode(body, encoding), None
