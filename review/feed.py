"""The Atom feed of changes (feedgen): one entry per change, the same filters as the web UI.

Entry text is plain text (``type="text"``): a feed reader shows markup in
article text as characters, never as HTML.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from feedgen.feed import FeedGenerator

from review.inert import inert

FEED_ID = "urn:redline:changes"


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
        entry.link(
            href=f"{base_url}/articles/{change['article_id']}?from={change.get('from_version') or ''}"
            f"&to={change.get('to_version') or ''}"
        )
        entry.updated(_aware(change["detected_at"]))
        entry.summary(entry_summary(change), type="text")
        entry.category(term=change["kind"])
    return bytes(fg.atom_str(pretty=True))
