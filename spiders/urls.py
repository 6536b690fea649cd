"""Canonical article URLs: one article, one URL, however a feed or page linked to it."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that identify a campaign or a click, never an article.
TRACKING = re.compile(
    r"^(utm_.*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|ocid|cmpid|smid|smtyp|"
    r"at_.*|ref|ref_src|referrer|src|cmp|itm_.*|_ga|_gl|igshid|share|sh|s_cid|icid|CMP|ns_.*|fb_.*|"
    r"outputType|amp|amp_.*|__twitter_impression|guccounter|guce_.*)$",
    re.IGNORECASE,
)
_AMP_SEGMENT = re.compile(r"/amp(?=/|$)|\.amp(?=$|\.html?$)", re.IGNORECASE)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no default port, no tracking or AMP markers,
    the remaining query sorted.

    >>> canonical_url("HTTPS://News.Example.org:443/world/story/amp/?utm_source=x&b=2&a=1#top")
    'https://news.example.org/world/story/?a=1&b=2'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if host.startswith("amp."):
        host = host[4:]
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    path = _AMP_SEGMENT.sub("", parts.path) or "/"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k))
    return urlunsplit((scheme, host, path, urlencode(query), ""))
