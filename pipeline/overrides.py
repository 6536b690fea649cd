"""Per-source extraction overrides: which one applies to a page, and whether one is well formed.

A source's ``overrides`` (``redline.toml`` ``[[sources]] overrides = {body =
"...", remove = [...]}``, or ``redline sources add … --body CSS --remove CSS``)
apply to that source's articles and to every other article on the source's
host (one tracked by hand, say). The ``REDLINE_SITE_OVERRIDES`` setting, keyed
by host, is the per-run way and wins over both. Selectors are CSS, or XPath
when they start with ``/`` or ``(`` (pipeline/extract.py SiteOverrides).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import lxml.etree
from cssselect import GenericTranslator, SelectorError

from storage.sites import domains_of, host_of

SELECTOR_KEYS = ("body", "title", "byline")
KEYS = (*SELECTOR_KEYS, "remove")


def selector_problem(selector: Any) -> str | None:
    """Why ``selector`` is not a usable CSS or XPath selector, or None."""
    if not isinstance(selector, str) or not selector.strip():
        return f"expected a CSS or XPath selector, got {selector!r}"
    try:
        if selector.startswith(("/", "(")):
            lxml.etree.XPath(selector)
        else:
            GenericTranslator().css_to_xpath(selector)
    except (SelectorError, lxml.etree.XPathError) as exc:
        return f"bad selector {selector!r}: {exc}"
    return None


def overrides_problem(data: Any) -> str | None:
    """Why a mapping is not a valid overrides table, or None."""
    if not isinstance(data, Mapping):
        return "expected a table"
    for key, value in data.items():
        if key not in KEYS:
            return f"unknown key {key!r} (expected {', '.join(KEYS)})"
        for selector in [value] if key != "remove" or isinstance(value, str) else value:
            if problem := selector_problem(selector):
                return f"{key}: {problem}"
    return None


@dataclass
class OverrideTable:
    """Every override a crawl may apply, looked up per page."""

    by_source: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_host: dict[str, dict[str, Any]] = field(default_factory=dict)
    setting: dict[str, Any] = field(default_factory=dict)  # REDLINE_SITE_OVERRIDES, host -> overrides

    @classmethod
    def build(cls, sources: list[tuple[int, str, dict[str, Any]]], setting: dict[str, Any]) -> OverrideTable:
        """From (source id, source URL, its overrides) rows and the setting."""
        table = cls(setting=dict(setting))
        for source_id, url, overrides in sources:
            table.by_source[source_id] = overrides
            table.by_host.setdefault((host_of(url) or ""), overrides)
        return table

    def lookup(self, url: str, source_id: int | None = None) -> dict[str, Any] | None:
        """The overrides for a page: the setting's for its host (or a parent domain), else its
        source's, else those of a source on its host."""
        for name in domains_of(url):
            if name in self.setting:
                return dict(self.setting[name])
        if source_id is not None and source_id in self.by_source:
            return self.by_source[source_id]
        return self.by_host.get(host_of(url) or "")
