"""Which site a URL belongs to, written once.

``host_of`` is the value of the indexed ``articles.host`` column, what the
daemon's per-site budget counts, and (without ``www.``) the outlet the review
surfaces show and filter on. Pure: no database, no network.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def host_of(url: str) -> str | None:
    """The host (and port) an article's URL names, lower-cased: what makes two articles one site's."""
    return urlsplit(url).netloc.lower()[:255] or None


def outlet_of(url: str) -> str:
    """The outlet an article belongs to: its host (and port), without ``www.``."""
    return outlet_name(host_of(url))


def outlet_name(host: str | None) -> str:
    """The outlet a stored ``articles.host`` names."""
    return (host or "").removeprefix("www.")


def outlet_hosts(outlet: str) -> tuple[str, str]:
    """The ``articles.host`` values an outlet stands for."""
    return outlet, f"www.{outlet}"


def domains_of(url: str) -> list[str]:
    """The site's domain name (no user, no port), then each parent domain:
    the keys a per-site table (REDLINE_SITE_OVERRIDES) may be written under."""
    name = (host_of(url) or "").rpartition("@")[2]
    name = name[1:].partition("]")[0] if name.startswith("[") else name.partition(":")[0]
    names = []
    while name:
        names.append(name)
        name = name.partition(".")[2]
    return names
