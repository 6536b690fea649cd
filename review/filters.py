"""One filter language for every review surface: web UI, API, Atom, exports, reports, alerts.

Unknown values are refused with the allowed ones named (a 400 on the web), never
silently ignored: a typo in ``kind=nubmer`` must not look like "no changes".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline import durations
from pipeline.kinds import KINDS, SEVERITIES, severity_rank
from storage.review_queries import ChangeQuery

MAX_LIMIT = 1000
MAX_OFFSET = 10**9  # paging deeper than this is a mistake, and must not overflow an SQL integer
DEFAULT_LIMIT = 200


class FilterError(ValueError):
    """A filter value that is not allowed; ``allowed`` lists what is."""

    def __init__(self, field: str, value: str, allowed: Sequence[str] | str):
        self.field = field
        self.value = value
        self.allowed = [allowed] if isinstance(allowed, str) else list(allowed)
        super().__init__(f"unknown {field} {value!r}; allowed: {', '.join(self.allowed) or '(none yet)'}")

    def as_json(self) -> dict[str, object]:
        return {"error": str(self), "field": self.field, "value": self.value, "allowed": self.allowed}


def parse_since(value: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """``24h``, ``7d``, ``90m`` or an ISO date, as a naive UTC datetime (pipeline/durations.py)."""
    if not value:
        return None
    try:
        return durations.parse_since(value, now)
    except ValueError as exc:
        raise FilterError("since", value, str(exc)) from None


def _choose(field: str, values: Iterable[str], allowed: Sequence[str]) -> tuple[str, ...]:
    chosen = []
    for value in values:
        if not value:
            continue
        if value not in allowed:
            raise FilterError(field, value, allowed)
        chosen.append(value)
    return tuple(dict.fromkeys(chosen))


def _flag(field: str, value: str | None) -> bool | None:
    if value in (None, "", "any"):
        return None
    table = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
    if value.lower() not in table:
        raise FilterError(field, value, ["true", "false", "any"])
    return table[value.lower()]


@dataclass(frozen=True)
class ChangeFilter:
    """The filters as a person gave them (for links and headings), and the query they mean."""

    kinds: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    min_severity: str = "low"
    since: str | None = None
    q: str | None = None
    stealth: bool | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def query(self, *, article_id: int | None = None, newest_first: bool = True) -> ChangeQuery:
        floor = severity_rank(self.min_severity)
        return ChangeQuery(
            kinds=self.kinds,
            severities=tuple(s for s in SEVERITIES if severity_rank(s) >= floor) if floor else (),
            outlets=self.outlets,
            since=parse_since(self.since),
            text=self.q or None,
            stealth=self.stealth,
            article_id=article_id,
            limit=self.limit,
            offset=self.offset,
            newest_first=newest_first,
        )

    def params(self) -> list[tuple[str, str]]:
        """The filter as query parameters, to build links that keep it."""
        out: list[tuple[str, str]] = [("kind", k) for k in self.kinds] + [("outlet", o) for o in self.outlets]
        if self.min_severity != "low":
            out.append(("severity", self.min_severity))
        if self.since:
            out.append(("since", self.since))
        if self.q:
            out.append(("q", self.q))
        if self.stealth is not None:
            out.append(("stealth", "true" if self.stealth else "false"))
        return out


def parse_filter(
    *,
    kinds: Iterable[str] = (),
    outlets: Iterable[str] = (),
    severity: str | None = None,
    since: str | None = None,
    q: str | None = None,
    stealth: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
    known_outlets: Sequence[str] | None = None,
) -> ChangeFilter:
    """Check every value; raise :class:`FilterError` naming the allowed values."""
    chosen_outlets = tuple(o.lower().removeprefix("www.") for o in outlets if o)
    if known_outlets is not None:
        chosen_outlets = _choose("outlet", chosen_outlets, known_outlets)
    min_severity = severity or "low"
    if min_severity not in SEVERITIES:
        raise FilterError("severity", min_severity, SEVERITIES)
    if since:
        parse_since(since)
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise FilterError("limit", str(limit), f"1..{MAX_LIMIT}")
    if offset is not None and offset < 0:
        raise FilterError("offset", str(offset), "0 or more")
    return ChangeFilter(
        kinds=_choose("kind", kinds, sorted(KINDS)),
        outlets=chosen_outlets,
        min_severity=min_severity,
        since=since or None,
        q=(q or "").strip()[:200] or None,
        stealth=_flag("stealth", stealth),
        limit=limit or DEFAULT_LIMIT,
        offset=offset or 0,
    )
