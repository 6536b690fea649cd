"""The demo's change report: per story, what changed, old → new, and whether it was signalled."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pipeline.diff import Segment, word_diff
from pipeline.kinds import CONTENT_KINDS, KINDS, severity_rank
from review.filters import MAX_LIMIT, ChangeFilter
from review.render import SEVERITY_STYLE, diff_text
from review.report import build_report
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


# What the demo reports: every content kind, and the signals of medium severity or more (a redirect).
DEMO_KINDS = tuple(
    sorted(k for k, v in KINDS.items() if v.content or severity_rank(v.severity) >= severity_rank("medium"))
)


def write_html(db_url: str, path: Path) -> None:
    """The same records as `redline report` shows them: one self-contained file, no script, no request."""
    flt = ChangeFilter(kinds=DEMO_KINDS, min_severity="info", limit=MAX_LIMIT)
    with session_scope(db_url) as session:
        html = build_report(session, flt, title="What redline caught in the demo")
    path.write_text(html, encoding="utf-8")


def display_db_url(db_url: str, cwd: Path | None = None) -> str:
    """A SQLite URL as the README writes it: relative to where the user stands, when it is below there."""
    prefix = "sqlite:///"
    if not db_url.startswith(prefix):
        return db_url
    path = Path(db_url.removeprefix(prefix))
    try:
        return prefix + str(path.relative_to((cwd or Path.cwd()).resolve()))
    except ValueError:
        return db_url


def closing_hint(db_url: str, shown: int, report: Path) -> list[str]:
    """What the demo says last: what the report left out and why, and the commands to see it all.

    Each command is one line, never wrapped: it is meant to be copied.
    """
    with session_scope(db_url) as session:
        kinds = [change.kind for change, _ in queries.list_changes(session)]
    hidden = sum(1 for k in kinds if severity_rank(KINDS[k].severity) < severity_rank("low"))
    listed = len(kinds) - hidden
    signals = sorted(
        {k for k in kinds if k not in DEMO_KINDS and severity_rank(KINDS[k].severity) >= severity_rank("low")}
    )
    db = display_db_url(db_url)
    lines = [f"{shown} records above: every edit redline found, and signals such as a redirect."]
    if listed != shown:
        lines.append(
            f"`redline changes` lists {listed}: also {listed - shown} low-severity signal(s) "
            f"({', '.join(signals)}: a date moved, not the text)."
        )
    if hidden:
        lines.append(
            f"{hidden} metadata record(s) (counters, relative times, furniture: not edits) are hidden by default; "
            "--min-severity info shows them."
        )
    lines += [
        f"HTML report: {report}",
        "See them all, then browse (after `. .venv/bin/activate`):",
        f"  redline --db {db} changes",
        f"  redline --db {db} changes --min-severity info",
        f"  redline --db {db} serve",
    ]
    return lines


def print_closing_hint(console: Console, db_url: str, shown: int, report: Path) -> None:
    for line in closing_hint(db_url, shown, report):
        console.print(Text(line), soft_wrap=True)
