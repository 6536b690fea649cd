"""`redline report`: one self-contained HTML file of what changed (no script, no external request).

A summary first (how many edits, where, of which kinds, which articles), then
one section per article, most severe first: its changes edit by edit, the word
diff of its last edit in the period and a chart of every figure it revised. A
legend at the end says what each kind and the stealth mark mean.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from pipeline.kinds import KINDS, severity_rank
from review import views
from review.filters import ChangeFilter, parse_since
from review.templating import render_template
from storage.models import Article, utcnow

STEALTH_HELP = (
    "The article was edited without saying so: no correction or update note was added "
    "and its declared modified date did not move."
)


@dataclass
class ArticleSection:
    article: Article
    title: str
    outlet: str
    edits: list[views.ChangeSet]
    diff: Markup
    diff_steps: tuple[int, int] | None
    charts: list[Markup]

    @property
    def changes(self) -> list[dict[str, Any]]:
        return [c for e in self.edits for c in e.changes]

    @property
    def worst(self) -> int:
        return max(severity_rank(c["severity"]) for c in self.changes)

    @property
    def anchor(self) -> str:
        return f"article-{self.article.id}"


def build_report(
    session: Session, flt: ChangeFilter, *, now: dt.datetime | None = None, title: str = "What changed"
) -> str:
    rows = views.changes(session, flt)
    sets = views.change_sets(session, rows)
    by_article: dict[int, list[views.ChangeSet]] = {}
    for change_set in sets:
        by_article.setdefault(change_set.article_id, []).append(change_set)
    sections: list[ArticleSection] = []
    for article_id, edits in by_article.items():
        article = views.article_or_404(session, article_id)
        edits.sort(key=lambda e: (e.from_version or 0, e.to_version or 10**9))  # oldest edit first
        last = next((e for e in reversed(edits) if e.to_version and e.from_version), None)
        diff = views.diff(session, article, last.from_version, last.to_version) if last else None
        series = [s for s in views.article_figures(session, article) if s.changed]
        sections.append(
            ArticleSection(
                article,
                edits[0].title,
                edits[0].outlet,
                edits,
                diff.inline_html() if diff else Markup(""),
                (diff.old.seq, diff.new.seq) if diff else None,
                [views.article_chart(s) for s in series],
            )
        )
    sections.sort(key=lambda s: (-s.worst, s.article.url))
    since = parse_since(flt.since, now) if flt.since else None
    kinds = Counter(r["kind"] for r in rows)
    return render_template(
        "report.html",
        heading=title,
        sections=sections,
        total=len(rows),
        edits=len(sets),
        stealth=sum(1 for r in rows if r["stealth"]),
        kinds=sorted(kinds.items(), key=lambda kv: (-severity_rank(KINDS[kv[0]].severity), -kv[1], kv[0])),
        legend=[(k, KINDS[k]) for k in sorted(kinds, key=lambda k: (-severity_rank(KINDS[k].severity), k))],
        stealth_help=STEALTH_HELP,
        outlets=sorted({r["outlet"] for r in rows}),
        since=since,
        generated=now or utcnow(),
        flt=flt,
        params=[],
    )
