"""Renderings shared by the CLI and reports: JSON shapes, Rich tables, diffs.

Article text is hostile input: the terminal gets it through Rich ``Text``
objects (never markup), HTML gets it escaped.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from rich.table import Table
from rich.text import Text

from pipeline.diff import Segment, word_diff
from review.inert import inert
from review.textdiff import change_diff, rich_diff
from storage.models import Article, Change, Check, Version


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"


def tidy(value: Any) -> Any:
    """Floats without binary noise (4.2 - 3.8 reads -0.4, not -0.40000000000000036), in dicts and lists too.

    Twelve significant digits: far more than any figure an article prints, far
    fewer than the 17 that expose float arithmetic. Stored values are untouched.
    """
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [tidy(v) for v in value]
    return value


def change_json(change: Change, article: Article) -> dict[str, Any]:
    """The contract shape of a change (README.md, "A change record"), plus stealth and details."""
    return {
        "id": change.id,
        "article_url": article.url,
        "canonical_url": article.canonical_url,
        "from_version": change.from_version,
        "to_version": change.to_version,
        "detected_at": iso(change.detected_at),
        "kind": change.kind,
        "old": change.old,
        "new": change.new,
        "old_value": tidy(change.old_value),
        "new_value": tidy(change.new_value),
        "context": change.context,
        "severity": change.severity,
        "stealth": change.stealth,
        "details": tidy(change.details),
    }


def listed_json(article: Article) -> dict[str, Any] | None:
    """The headline surface a feed or front page shows for the article (None when never listed).

    Kept beside the page's own surfaces, not diffed against them: a feed lags
    the page, and the lag is not an edit.
    """
    if not article.listed_headline:
        return None
    return {"headline": article.listed_headline, "published_at": iso(article.listed_published_at)}


def history_json(article: Article, versions: list[Version]) -> dict[str, Any]:
    """`redline history --format json` and /api/articles/{id}: the article and every version."""
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "status": article.status,
        "listed": listed_json(article),
        "versions": [version_json(v) for v in versions],
    }


def checks_json(article: Article, checks: list[Check]) -> dict[str, Any]:
    """`redline checks --format json` and /api/articles/{id}/checks: the article's state and every fetch."""
    return {
        "url": article.url,
        "status": article.status,
        "last_error": article.last_error,
        "consecutive_failures": article.consecutive_failures,
        "next_check_at": iso(article.next_check_at),
        "checks": [check_json(c) for c in checks],
    }


def version_json(version: Version) -> dict[str, Any]:
    return {
        "version": version.seq,
        "fetched_at": iso(version.fetched_at),
        "title": version.title,
        "text": version.text,
        "byline": version.byline,
        "published_at": version.published_at,
        "modified_at": version.modified_at,
        "content_hash": version.content_hash,
        "reverts_to": version.reverts_to,
        "headlines": version.headlines,
    }


def check_json(check: Check) -> dict[str, Any]:
    return {
        "checked_at": iso(check.checked_at),
        "http_status": check.http_status,
        "outcome": check.outcome,
        "error": check.error,
        "duration_ms": None if check.duration_ms is None else round(check.duration_ms, 1),
        "version": check.version_seq,
    }


def checks_table(url: str, rows: list[dict[str, Any]]) -> Table:
    columns = ("checked_at", "http_status", "outcome", "version", "duration_ms", "error")
    table = Table(title=Text(url), header_style="bold")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if row[c] is None else str(row[c])) for c in columns))
    return table


def _short(value: str | None, width: int = 90) -> str:
    if value is None:
        return ""
    value = " ".join(inert(value).split())
    return value if len(value) <= width else value[: width - 1] + "…"


SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


def changes_table(rows: list[tuple[Change, Article]], *, markers: bool = False, url_width: int | None = None) -> Table:
    """One line per change; the change as a word diff of old → new (markers when ``markers``).

    A URL is never broken over lines (it could not be copied): on a narrow
    terminal it is cut at ``url_width`` with an ellipsis instead.
    """
    table = Table(show_lines=False, header_style="bold")
    table.add_column("id", no_wrap=True)
    table.add_column("article", no_wrap=True, overflow="ellipsis", max_width=url_width)
    table.add_column("v", no_wrap=True)
    table.add_column("kind", overflow="fold")
    table.add_column("change", overflow="fold")
    table.add_column("context", overflow="fold", max_width=24)
    for change, article in rows:
        kind = Text(change.kind, style=SEVERITY_STYLE.get(change.severity, ""))
        if change.stealth:
            kind.append(" stealth", style="bold magenta")
        versions = f"{change.from_version or ''}→{change.to_version or ''}"
        table.add_row(
            str(change.id),
            Text(inert(article.url)),
            versions,
            kind,
            change_diff(change.old, change.new, markers=markers),
            Text(change.context or ""),
        )
    return table


CHANGE_COLUMNS = (
    "id",
    "detected_at",
    "article_url",
    "from_version",
    "to_version",
    "kind",
    "severity",
    "stealth",
    "old",
    "new",
    "context",
)


def history_table(url: str, versions: list[Version]) -> Table:
    table = Table(title=Text(url), header_style="bold")
    for col in ("version", "fetched_at", "title", "byline", "modified_at", "chars", "hash"):
        table.add_column(col, overflow="fold", no_wrap=col in ("fetched_at", "hash"))
    for v in versions:
        title = _short(v.title, 70) + (f" (= v{v.reverts_to})" if v.reverts_to and v.reverts_to != v.seq else "")
        table.add_row(
            str(v.seq),
            iso(v.fetched_at) or "",
            Text(title),
            Text(v.byline or ""),
            v.modified_at or "",
            str(len(v.text)),
            v.content_hash[:12],
        )
    return table


def diff_text(segments: list[Segment], *, markers: bool = False) -> Text:
    """Deleted words red and struck through, inserted words green; with ``markers``,
    ``[-deleted-]{+inserted+}`` instead (for anything that is not a terminal)."""
    return rich_diff(segments, markers=markers)


def diff_html(segments: list[Segment]) -> str:
    parts = []
    for seg in segments:
        text = html.escape(inert(seg.text)).replace("\n", "<br>\n")
        if seg.op == "delete":
            parts.append(f"<del>{text}</del>")
        elif seg.op == "insert":
            parts.append(f"<ins>{text}</ins>")
        else:
            parts.append(text)
    return "".join(parts)


def change_diff_html(change: dict[str, Any]) -> str:
    """One change as an escaped word diff (``<del>``/``<ins>``), for feeds and alert messages.

    A revised figure is shown in its sentence; an added or removed sentence as one insertion or deletion.
    """
    details = change.get("details") or {}
    old, new = details.get("old_sentence"), details.get("new_sentence")
    if not (isinstance(old, str) and isinstance(new, str) and old != new):
        old, new = change.get("old") or "", change.get("new") or ""
    if old and new:
        segments = word_diff(old, new)
    else:
        segments = [Segment("delete", old)] if old else [Segment("insert", new)] if new else []
    return diff_html(segments)


def diff_page(title: str, body: str) -> str:
    """A self-contained HTML page for a diff: no scripts, no external requests."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{html.escape(title)}</title>
<style>
body{{font:16px/1.6 Georgia,serif;max-width:46em;margin:2em auto;padding:0 1em;color:#222}}
del{{background:#fdd;color:#900}} ins{{background:#dfd;color:#060;text-decoration:none}}
h1{{font:bold 1.3em system-ui,sans-serif}} .meta{{color:#666;font:.9em system-ui,sans-serif}}
</style></head><body>{body}</body></html>
"""
