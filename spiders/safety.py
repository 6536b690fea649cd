"""Which URLs redline may fetch: http(s) only, and no private or loopback addresses.

A tracked URL, a URL found in a feed and every redirect hop are checked, so a
hostile page or feed cannot point redline at the machine it runs on or at the
newsroom's internal network (server-side request forgery). Running against a
local site — tests, the demo, an intranet — needs the explicit allowance
``REDLINE_ALLOW_PRIVATE=1`` (environment) or the ``REDLINE_ALLOW_PRIVATE``
setting.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:  # the rule itself needs no Scrapy: the CLI and the notifiers use it without loading it
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def private_allowed() -> bool:
    return os.environ.get("REDLINE_ALLOW_PRIVATE", "").lower() in ("1", "true", "yes")


def _is_private(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    return not addr.is_global or addr.is_multicast


@functools.lru_cache(maxsize=4096)
def _resolved_private(host: str) -> str | None:
    """The first private address a host name resolves to, or None."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None  # unresolvable now: the fetch itself will say so
    for info in infos:
        ip = str(info[4][0]).split("%", 1)[0]
        if _is_private(ip):
            return ip
    return None


def url_problem(url: str, *, allow_private: bool | None = None, resolve: bool = True) -> str | None:
    """Why redline must not fetch ``url``, or None when it may."""
    if any(ch.isspace() for ch in url):
        return "contains whitespace"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"scheme must be http or https, not {parts.scheme or 'missing'!r}"
    host = parts.hostname
    if not host:
        return "no host name"
    if allow_private is None:
        allow_private = private_allowed()
    if allow_private:
        return None
    try:
        if _is_private(host):
            return f"{host} is a private or loopback address (set REDLINE_ALLOW_PRIVATE=1 to allow)"
        return None
    except ValueError:
        pass  # a host name, not an address
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return f"{host} is a local host name (set REDLINE_ALLOW_PRIVATE=1 to allow)"
    if resolve and (ip := _resolved_private(host)):
        return f"{host} resolves to the private address {ip} (set REDLINE_ALLOW_PRIVATE=1 to allow)"
    return None


class SafeTargetsMiddleware:
    """Downloader middleware: refuse any request (redirect hops included) to a forbidden target."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SafeTargetsMiddleware:
        from pipeline.rules import setting  # here: the CLI imports url_problem without Scrapy's pipelines

        allow = setting(crawler.settings, "REDLINE_ALLOW_PRIVATE", crawler.settings.getbool) or private_allowed()
        return cls(allow)

    def process_request(self, request: Request, spider: Spider | None = None) -> Any:
        problem = url_problem(request.url, allow_private=self.allow_private)
        if problem:
            from scrapy.exceptions import IgnoreRequest

            logger.warning("refused %s: %s", request.url, problem)
            raise IgnoreRequest(f"refused target: {problem}")
        return None
