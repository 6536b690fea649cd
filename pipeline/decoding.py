"""A response's bytes as text, decoded as Scrapy decodes them.

The crawl hands a page to extraction as its bytes and the encoding the
response declared (or Scrapy inferred): decoding a 200 KB page and pickling
the text for a worker cost the crawl's thread about 0.3 ms, the bytes about
0.02 (bench/crawl_throughput.py). The worker, or whatever needs the text in
the crawl's process (pipeline/items.py ``FetchedPage.text``), decodes them
here, to the very string ``TextResponse.text`` would have given.
"""

from __future__ import annotations

from w3lib.encoding import html_to_unicode


def decode(body: bytes, encoding: str | None) -> str:
    """``body`` as Scrapy's ``TextResponse.text`` decodes it, given the response's ``encoding``."""
    return html_to_unicode(f"charset={encoding or 'utf-8'}", body)[1]
