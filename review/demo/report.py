"""The demo's change report: per story, what changed, old → new, and whether it was signalled."""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pipeline.diff import Segment, word_diff
from pipeline.kinds import CONTENT_KINDS, severity_rank
from review.render import SEVERITY_STYLE, diff_html, diff_text, iso
from storage import queries
from storage.db import session_scope
from storage.models import Article, Change


def _rows(db_url: str) -> list[tuple[Article, str, list[Change]]]:
    """Per article (in order of first change): its latest title and its content records."""
    with session_scope(db_url) as session:
        grouped: dict[int, list[Change]] = defaultdict(list)
        articles: dict[int, Article] = {}
        for change, article in queries.list_changes(session):
            if change.kind in CONTENT_KINDS or severity_rank(change.severity) >= severity_rank("medium"):
                grouped[article.id].append(change)
                articles[article.id] = article
        out = []
        for article_id, changes in grouped.items():
            latest = queries.latest_version(session, article_id)
            title = latest.title if latest is not None and latest.title else articles[article_id].url
            out.append((articles[article_id], title, changes))
        session.expunge_all()
    return out


def _what(change: Change, markers: bool = False) -> Text:
    if change.kind == "number" and change.old_value is not None:
        text = Text.assemble((change.old or "", "red"), " → ", (change.new or "", "green"))
        if change.context:
            text.append(f"  ({change.context})", style="dim")
        return text
    if change.old and change.new and change.kind not in ARROW_KINDS:
        return diff_text(_spaced(_trim(word_diff(change.old, change.new))), markers=markers)
    if change.old and change.new:
        return Text.assemble((_cut(change.old), "red"), " → ", (_cut(change.new), "green"))
    return Text(_cut(change.new or change.old or ""), style="green" if change.new else "red")


# Kinds whose old and new are better shown side by side than as a word diff.
ARROW_KINDS = frozenset({"number", "unpublished", "redirected"})


def _spaced(segments: list[Segment]) -> list[Segment]:
    """A space between a deletion and the insertion that replaces it, so the words do not run together."""
    out: list[Segment] = []
    for seg in segments:
        if out and out[-1].op == "delete" and seg.op == "insert" and not seg.text.startswith(" "):
            out.append(Segment("equal", " "))
        out.append(seg)
    return out


def _trim(segments: list[Segment], keep: int = 60) -> list[Segment]:
    """Shorten long unchanged stretches so the edit itself stays in view."""
    out = []
    for i, seg in enumerate(segments):
        if seg.op == "equal" and len(seg.text) > keep:
            head = seg.text[:keep] + "… " if i < len(segments) - 1 and i > 0 else ""
            if i == 0:
                seg = Segment("equal", "…" + seg.text[-keep:])
            elif i == len(segments) - 1:
                seg = Segment("equal", seg.text[:keep] + "…")
            else:
                seg = Segment("equal", head + seg.text[-keep // 2 :])
        out.append(seg)
    return out


def _cut(value: str, width: int = 110) -> str:
    value = " ".join(value.split())
    return value if len(value) <= width else value[: width - 1] + "…"


def print_report(db_url: str, console: Console) -> int:
    """Print every content record grouped by story; return how many were printed."""
    from review.output import want_markers

    markers = want_markers(console)  # piped, a deletion would run into its insertion
    total = 0
    for article, title, changes in _rows(db_url):
        table = Table(show_header=False, box=None, pad_edge=False, expand=True)
        table.add_column("kind", width=20, no_wrap=True)
        table.add_column("v", width=5, no_wrap=True)
        table.add_column("what", ratio=1)
        for change in changes:
            kind = Text(change.kind, style=SEVERITY_STYLE.get(change.severity, ""))
            if change.stealth:
                kind.append("\nstealth", style="bold magenta")
            table.add_row(kind, f"{change.from_version or ''}→{change.to_version or ''}", _what(change, markers))
            total += 1
        console.print(Panel(Group(Text(article.url, style="dim"), table), title=Text(title, style="bold")))
    return total


def _html_what(change: Change) -> str:
    if change.old and change.new and change.kind not in ARROW_KINDS:
        return diff_html(_spaced(word_diff(change.old, change.new)))
    old = f"<del>{html.escape(change.old)}</del>" if change.old else ""
    new = f"<ins>{html.escape(change.new)}</ins>" if change.new else ""
    return f"{old} → {new}" if old and new else old or new


def write_html(db_url: str, path: Path) -> None:
    """A self-contained HTML copy of the report: no scripts, no external requests."""
    esc = html.escape
    sections = []
    for article, title, changes in _rows(db_url):
        rows = []
        for c in changes:
            flag = ' <span class="stealth">stealth</span>' if c.stealth else ""
            rows.append(
                f'<tr class="{esc(c.severity)}"><td>{esc(c.kind)}{flag}</td>'
                f"<td>{c.from_version or ''}→{c.to_version or ''}</td>"
                f"<td>{_html_what(c)}</td>"
                f"<td>{esc(c.context or '')}</td><td>{esc(iso(c.detected_at) or '')}</td></tr>"
            )
        sections.append(
            f"<section><h2>{esc(title)}</h2><p class=url>{esc(article.url)}</p><table>"
            "<tr><th>kind</th><th>versions</th><th>old → new</th><th>counts</th><th>detected</th></tr>"
            + "".join(rows)
            + "</table></section>"
        )
    path.write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>redline demo report</title>
<style>
body{{font:15px/1.5 system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.3em;text-align:left;vertical-align:top}}
del{{background:#fdd;color:#900}} ins{{background:#dfd;color:#060;text-decoration:none}}
.stealth{{background:#c0c;color:#fff;padding:0 .3em;border-radius:3px;font-size:.8em}} .url{{color:#666}}
tr.high td:first-child{{color:#b00;font-weight:bold}}
</style></head><body><h1>redline demo report</h1>{"".join(sections)}</body></html>
""",
        encoding="utf-8",
    )
