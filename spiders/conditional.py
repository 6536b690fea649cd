"""Conditional-request headers belong to the URL they were stored for.

The article spider sends the stored ``If-None-Match``/``If-Modified-Since``
with each recheck. Scrapy's RedirectMiddleware copies a request's headers onto
the redirected request, so after a redirect A → B the validators of A reached
B, and a B whose ETag happened to match (the same page moved, or a server that
answers 304 to any validator) answered 304: the move was taken for "not
modified" and never recorded. Every redirect hop therefore goes out
unconditional; the response of the last hop is what the pipelines compare.
"""

from __future__ import annotations

from scrapy import Request, Spider

CONDITIONAL_HEADERS = (b"If-None-Match", b"If-Modified-Since")


class ConditionalRequestsMiddleware:
    """Downloader middleware: strips validators from redirected requests."""

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("redirect_urls"):
            for name in CONDITIONAL_HEADERS:
                request.headers.pop(name, None)
