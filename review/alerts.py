"""Alert rules and their delivery: one alert per change and target at most, failures retried.

Rules live in a TOML file::

    [[rule]]
    name = "death tolls"
    kinds = ["number"]              # any kind when left out
    min_severity = "high"
    outlets = ["harbour.example"]   # any outlet when left out
    keywords = ["death toll", "killed"]   # any of them, in the change or its sentences
    mode = "immediate"              # or "digest"
    digest_every = "1h"             # a digest goes out at most this often
    targets = ["https://hooks.example/redline", "ntfy://redline-alerts"]

Every (change, target) pair gets one ``alert_deliveries`` row, unique in the
database: a change is never announced twice to the same place. A failed send
stays ``failed`` with its error and is retried on the next run, up to
``MAX_ATTEMPTS`` times, then ``gave_up``.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import logging
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from review import render, views
from review.filters import ChangeFilter, FilterError, parse_filter, parse_since
from review.inert import inert
from review.notifiers import DeliveryError, Message, deliver, redact, target_problem
from storage import review_queries
from storage.db import transaction
from storage.models import AlertDelivery, DeliveryStatus, utcnow

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MODES = ("immediate", "digest")
RULE_KEYS = {"name", "kinds", "min_severity", "outlets", "keywords", "mode", "digest_every", "targets"}


class RuleError(ValueError):
    """A rules file that cannot be used; the text names the rule and the problem."""


@dataclass(frozen=True)
class Rule:
    name: str
    targets: tuple[str, ...]
    filter: ChangeFilter = field(default_factory=ChangeFilter)
    keywords: tuple[str, ...] = ()
    mode: str = "immediate"
    digest_every: dt.timedelta = dt.timedelta(hours=24)

    def wants(self, change: dict[str, Any]) -> bool:
        if not self.keywords:
            return True
        details = change.get("details") or {}
        haystack = " ".join(
            str(x)
            for x in (
                change.get("old"),
                change.get("new"),
                change.get("context"),
                details.get("old_sentence"),
                details.get("new_sentence"),
                change.get("article_url"),
            )
            if x
        ).lower()
        return any(k.lower() in haystack for k in self.keywords)


def _strings(rule: str, key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"rule {rule!r}: {key} must be a list of strings")
    return value


def parse_rules(data: dict[str, Any]) -> list[Rule]:
    rules = data.get("rule")
    if not isinstance(rules, list) or not rules:
        raise RuleError("no [[rule]] tables found")
    out: list[Rule] = []
    for i, raw in enumerate(rules, 1):
        name = str(raw.get("name") or f"rule {i}")
        unknown = set(raw) - RULE_KEYS
        if unknown:
            raise RuleError(
                f"rule {name!r}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(RULE_KEYS))}"
            )
        targets = _strings(name, "targets", raw.get("targets"))
        if not targets:
            raise RuleError(f"rule {name!r}: no targets")
        for target in targets:
            problem = target_problem(target)
            if problem:
                raise RuleError(f"rule {name!r}: target {redact(target)}: {problem}")
        mode = raw.get("mode", "immediate")
        if mode not in MODES:
            raise RuleError(f"rule {name!r}: unknown mode {mode!r}; allowed: {', '.join(MODES)}")
        try:
            flt = parse_filter(
                kinds=_strings(name, "kinds", raw.get("kinds")),
                outlets=_strings(name, "outlets", raw.get("outlets")),
                severity=raw.get("min_severity"),
                limit=1000,
            )
            every = str(raw.get("digest_every", "24h"))
            now = utcnow()
            since = parse_since(every, now)
        except FilterError as exc:
            raise RuleError(f"rule {name!r}: {exc}") from None
        if since is None or since >= now:
            raise RuleError(f"rule {name!r}: digest_every must be a duration such as 1h or 1d")
        keywords = tuple(_strings(name, "keywords", raw.get("keywords")))
        out.append(Rule(name, tuple(targets), flt, keywords, mode, now - since))
    if len({r.name for r in out}) != len(out):
        raise RuleError("rule names must be unique")
    return out


def load_rules(path: Path) -> list[Rule]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        from config import not_utf8

        raise RuleError(f"cannot read {path}: {not_utf8(exc)}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path} is not valid TOML: {exc}") from None
    return parse_rules(data)


@dataclass
class RunSummary:
    matched: int = 0  # new deliveries recorded this run
    sent: int = 0  # changes announced
    messages: int = 0  # messages that got through
    failed: int = 0  # changes whose message failed this run
    waiting: int = 0  # changes held for a digest not yet due

    def __str__(self) -> str:
        return (
            f"{self.matched} new match(es); {self.sent} change(s) sent in {self.messages} message(s); "
            f"{self.failed} failed (retried next run); {self.waiting} waiting for a digest"
        )


def message_for(rule: Rule, changes: list[dict[str, Any]]) -> Message:
    if len(changes) == 1:
        c = changes[0]
        title = f"redline: {c['kind']} change on {c['outlet']}"
    else:
        title = f"redline digest ({rule.name}): {len(changes)} changes"
    lines = []
    for c in changes:
        what = f"{c.get('old') or ''} → {c.get('new') or ''}".strip(" →")
        stealth = " [stealth]" if c.get("stealth") else ""
        counting = f" ({c['context']})" if c.get("context") else ""
        lines.append(f"• {c['kind']}{stealth}{counting}: {' '.join(what.split())[:300]}\n  {c['article_url']}")
    return Message(rule.name, rule.mode, inert(title), inert("\n".join(lines)), changes, message_html(changes))


def message_html(changes: list[dict[str, Any]]) -> str:
    """Each change as a word diff under its headline, linked to the article; article text escaped."""
    esc = html.escape
    items = []
    for c in changes:
        stealth = " <strong>stealth</strong>" if c.get("stealth") else ""
        counting = f" (counting {esc(inert(c['context']))})" if c.get("context") else ""
        headline = esc(inert(c.get("title") or c["article_url"]))
        items.append(
            f"<li><strong>{esc(c['kind'])}</strong>{stealth}{counting}: {render.change_diff_html(c)}<br>"
            f'<a href="{esc(c["article_url"])}">{headline}</a> · {esc(inert(c["outlet"]))}</li>'
        )
    return f"<ul>{''.join(items)}</ul>"


@dataclass(frozen=True)
class _Batch:
    rule: Rule
    target: str
    deliveries: list[tuple[int, dict[str, Any]]]  # (delivery id, change)


def _plan(
    session: Session, rule: Rule, target: str, since: dt.datetime | None, now: dt.datetime
) -> tuple[int, list[_Batch], int]:
    """Record new matches; return (new, batches to send now, changes held for a later digest)."""
    query = replace(rule.filter.query(newest_first=False), since=since, limit=None)
    candidates = [views.change_row(c, a) for c, a in review_queries.search_changes(session, query)]
    candidates = [c for c in candidates if rule.wants(c)]
    done = review_queries.delivered_change_ids(session, target, [c["id"] for c in candidates])
    fresh = [c for c in candidates if c["id"] not in done]
    for c in fresh:
        review_queries.add_delivery(session, c["id"], rule=rule.name, target=target, mode=rule.mode)
    session.flush()
    pending = review_queries.open_deliveries(session, rule.name, target, MAX_ATTEMPTS)
    rows = []
    for d in pending:
        found = review_queries.get_change(session, d.change_id)
        if found is not None:
            rows.append((d.id, views.change_row(*found)))
    titles = review_queries.latest_titles(session, [c["article_id"] for _, c in rows])
    rows = [(i, {**c, "title": titles.get(c["article_id"])}) for i, c in rows]
    if not rows:
        return len(fresh), [], 0
    if rule.mode == "immediate":
        return len(fresh), [_Batch(rule, target, [row]) for row in rows], 0
    last = review_queries.last_sent_at(session, rule.name, target)
    if last is not None and now - last < rule.digest_every:
        return len(fresh), [], len(rows)
    return len(fresh), [_Batch(rule, target, rows)], 0


def _record(session: Session, ids: list[int], error: str | None, now: dt.datetime) -> None:
    message_id = uuid.uuid4().hex
    for delivery_id in ids:
        d = session.get(AlertDelivery, delivery_id)
        if d is None:
            continue
        d.attempts += 1
        d.last_attempt_at = now
        if error is None:
            d.status, d.sent_at, d.last_error, d.message_id = DeliveryStatus.SENT, now, None, message_id
        else:
            d.last_error = error
            d.status = DeliveryStatus.GAVE_UP if d.attempts >= MAX_ATTEMPTS else DeliveryStatus.FAILED


def run_alerts(
    db_url: str, rules: list[Rule], *, since: dt.datetime | None = None, now: dt.datetime | None = None
) -> RunSummary:
    """Match new changes against every rule, send what is due, record every outcome.

    A failing target only fails its own deliveries; the other rules and targets still go out.
    """
    summary = RunSummary()
    for rule in rules:
        for target in rule.targets:
            when = now or utcnow()
            new, batches, waiting = transaction(
                db_url, functools.partial(_plan, rule=rule, target=target, since=since, now=when)
            )
            summary.matched += new
            summary.waiting += waiting
            for batch in batches:
                ids = [i for i, _ in batch.deliveries]
                message = message_for(rule, [c for _, c in batch.deliveries])
                error: str | None = None
                try:
                    deliver(target, message)
                except DeliveryError as exc:
                    error = str(exc)
                except Exception as exc:  # a notifier bug must not stop the other alerts
                    logger.exception("notifier for %s crashed", redact(target))
                    error = f"{type(exc).__name__}: {exc}"
                if error:
                    logger.warning("alert %r to %s failed: %s", rule.name, redact(target), error)
                    summary.failed += len(ids)
                else:
                    summary.sent += len(ids)
                    summary.messages += 1
                transaction(db_url, functools.partial(_record, ids=ids, error=error, now=when))
    return summary


def alert_round(db_url: str, rules: list[Rule]) -> Callable[[dt.datetime], str | None]:
    """One alert round for the daemon (scheduler.DaemonOptions.alerts): run the rules on the
    changes detected since the time it is given; the summary to log, or None when nothing moved."""

    def round_(since: dt.datetime) -> str | None:
        summary = run_alerts(db_url, rules, since=since)
        return str(summary) if summary.matched or summary.failed else None

    return round_
