"""Scrapy's meta-refresh redirect, decoding only the head of the page.

Scrapy's ``MetaRefreshMiddleware`` looks for ``<meta http-equiv="refresh">``
in the first 4,096 characters of a page, but takes them from
``response.text``, which decodes the whole body: 0.19 ms of the crawl's
thread for a 210 KB real page, on every 200, about a tenth of what the
thread spends on a recheck whose bytes did not change (a py-spy of that
recheck: 201 of 1,907 samples). Nothing else on that thread needs the text:
the article spider hands the bytes to extraction. This middleware decodes
just the bytes those characters can take and otherwise does what Scrapy's
does, with the same w3lib functions; ``tests/test_metarefresh.py`` holds the
two to the same answer.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.response import _metaref_cache
from w3lib import html
from w3lib.encoding import html_to_unicode

HEAD_CHARS = 4096  # what scrapy.utils.response.get_meta_refresh reads of the text
# Enough bytes for that many characters in any encoding a page declares (UTF-8 and
# GB18030 take at most 4 a character) and for a cut character at the end.
HEAD_BYTES = HEAD_CHARS * 4 + 16


def head_text(response: TextResponse) -> str:
    """``response.text[:HEAD_CHARS]``, decoding only the bytes it needs."""
    # As response.text does first: an encoding the body itself has to tell is
    # found by decoding all of it, and that text is then kept (and used).
    encoding = response.encoding
    if len(response.body) <= HEAD_BYTES or getattr(response, "_cached_ubody", None) is not None:
        return response.text[:HEAD_CHARS]
    text = html_to_unicode(f"charset={encoding}", response.body[:HEAD_BYTES])[1]
    if len(text) < HEAD_CHARS + 8:  # more bytes a character than any common encoding: decode it all
        return response.text[:HEAD_CHARS]
    return text[:HEAD_CHARS]  # a character cut at the end of those bytes lies far past these


def meta_refresh(response: TextResponse, ignore_tags: list[str]) -> tuple[None, None] | tuple[float, str]:
    """What ``scrapy.utils.response.get_meta_refresh`` answers, from :func:`head_text`."""
    text = head_text(response)
    base = html.get_base_url(text, response.url, response.encoding)
    return html.get_meta_refresh(text, base, response.encoding, ignore_tags=ignore_tags)


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """``MetaRefreshMiddleware`` itself (its settings, its checks, its redirect),
    handed the page's refresh as :func:`meta_refresh` reads it: Scrapy's
    ``get_meta_refresh`` answers from its per-response cache, filled here first."""

    def process_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Request | Response:
        if isinstance(response, HtmlResponse) and response not in _metaref_cache:
            _metaref_cache[response] = meta_refresh(response, self._ignore_tags)
        return super().process_response(request, response, *args, **kwargs)
