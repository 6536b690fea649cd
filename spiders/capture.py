"""Keep an article response as it came off the wire, for its WARC record.

Scrapy's HttpCompressionMiddleware (order 590) replaces a gzip or brotli body
with the decoded one and drops its ``Content-Encoding`` header. A web archive
keeps what the server sent, so this middleware sits just before it on the way
back (order 595; after RedirectMiddleware, so only the final response of a
redirect chain is seen) and notes the headers and the encoded body in the
request's meta. The article spider turns them into a
:class:`storage.warc.Exchange`.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response

from storage.warc import Exchange

META_KEY = "redline_received"


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy's headers as (name, value) pairs, every value of a repeated header in order."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]


class CaptureMiddleware:
    """Notes each article response's headers and undecoded body (``meta["redline_received"]``)."""

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if "article_id" in request.meta and response.status == 200:
            request.meta[META_KEY] = (header_pairs(response.headers), response.body)
        return response


def exchange_of(response: Response) -> Exchange | None:
    """The request and response as sent and received, or None when the middleware did not see it."""
    received = response.meta.get(META_KEY)
    if received is None:
        return None
    headers, body = received
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    request = response.request
    return Exchange(
        url=response.url,
        status=response.status,
        reason=reason,
        protocol=response.protocol or "HTTP/1.1",
        response_headers=headers,
        body=body,
        method=request.method if request is not None else "GET",
        request_headers=header_pairs(request.headers) if request is not None else [],
        ip_address=str(response.ip_address) if response.ip_address is not None else None,
    )
