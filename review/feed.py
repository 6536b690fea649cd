"""The Atom feed of changes (feedgen): one entry per change, the same filters as the web UI.

Each entry carries the change twice: a plain-text summary, and its word diff
as HTML content (``type="html"``, escaped inside the XML, ``<del>``/``<ins>``).
Every piece of article text in that HTML is escaped first, so a reader shows
markup in article text as characters, never runs it.

By default the feed lists content kinds only (edits, not ``modified_date``
signals); naming kinds (``?kind=modified_date``) lists those instead.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import replace
from typing import Any

from feedgen.feed import FeedGenerator
from sqlalchemy.orm import Session

from pipeline.kinds import CONTENT_KINDS
from review import render, views
from review.filters import ChangeFilter
from review.inert import inert
from storage import review_queries

FEED_ID = "urn:redline:changes"


def feed_filter(flt: ChangeFilter) -> ChangeFilter:
    """Content kinds unless the filter names kinds: a feed reader wants edits, not date signals."""
    return flt if flt.kinds else replace(flt, kinds=tuple(sorted(CONTENT_KINDS)))


def feed_changes(session: Session, flt: ChangeFilter) -> list[dict[str, Any]]:
    """The rows a feed lists, each with its article's headline (``title``)."""
    rows = views.changes(session, feed_filter(flt))
    titles = review_queries.latest_titles(session, [r["article_id"] for r in rows])
    return [{**r, "title": titles.get(r["article_id"])} for r in rows]


def _aware(value: str | None) -> dt.datetime:
    if not value:
        return dt.datetime.now(dt.UTC)
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def entry_title(change: dict[str, Any]) -> str:
    old, new = change.get("old"), change.get("new")
    what = f"{old} → {new}" if old and new else (new or old or "")
    stealth = " (stealth)" if change.get("stealth") else ""
    return inert(f"{change['outlet']}: {change['kind']}{stealth}: {' '.join(what.split())[:200]}")


def entry_summary(change: dict[str, Any]) -> str:
    lines = [
        f"Article: {change['article_url']}",
        f"Versions: {change.get('from_version') or ''} → {change.get('to_version') or ''}",
        f"Kind: {change['kind']} (severity {change['severity']}){' — stealth edit' if change.get('stealth') else ''}",
    ]
    if change.get("context"):
        lines.append(f"Counting: {change['context']}")
    if change.get("old"):
        lines.append(f"Before: {change['old']}")
    if change.get("new"):
        lines.append(f"After: {change['new']}")
    return inert("\n".join(lines))


def entry_html(change: dict[str, Any], link: str) -> str:
    """The entry's content: headline and outlet, what kind of edit, and the word diff."""
    esc = html.escape
    headline = esc(inert(change.get("title") or change["article_url"]))
    steps = f"v{change.get('from_version') or ''} → v{change.get('to_version') or ''}"
    kind = f"<strong>{esc(change['kind'])}</strong> ({esc(change['severity'])})"
    if change.get("stealth"):
        kind += " · <strong>stealth edit</strong> (no update note, no moved modified date)"
    if change.get("context"):
        kind += f" · counting {esc(inert(change['context']))}"
    return (
        f'<p><a href="{esc(link)}">{headline}</a> · {esc(inert(change["outlet"]))} · {steps}</p>'
        f"<p>{kind}</p>"
        f"<p>{render.change_diff_html(change)}</p>"
    )


def atom_feed(changes: list[dict[str, Any]], *, base_url: str, self_url: str, title: str = "redline: changes") -> bytes:
    base_url = base_url.rstrip("/")
    fg = FeedGenerator()
    fg.id(FEED_ID)
    fg.title(inert(title))
    fg.author({"name": "redline"})
    fg.link(href=self_url, rel="self")
    fg.link(href=base_url + "/", rel="alternate")
    fg.generator("redline")
    fg.updated(max((_aware(c["detected_at"]) for c in changes), default=dt.datetime.now(dt.UTC)))
    for change in changes:
        entry = fg.add_entry(order="append")
        entry.id(f"{FEED_ID}:{change['id']}")
        entry.title(entry_title(change))
        link = (
            f"{base_url}/articles/{change['article_id']}?from={change.get('from_version') or ''}"
            f"&to={change.get('to_version') or ''}"
        )
        entry.link(href=link)
        entry.updated(_aware(change["detected_at"]))
        entry.summary(entry_summary(change), type="text")
        entry.content(entry_html(change, link), type="html")
        entry.category(term=change["kind"])
    return bytes(fg.atom_str(pretty=True))
