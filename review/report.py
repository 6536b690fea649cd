"""`redline report`: one self-contained HTML file of what changed (no script, no external request).

Grouped by article, most severe first: each article's changes, the word diff
of its last edit in the period and a chart of every figure it revised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from pipeline.kinds import severity_rank
from review import views
from review.filters import ChangeFilter, parse_since
from review.templating import render_template
from storage.models import Article, utcnow


@dataclass
class ArticleSection:
    article: Article
    title: str
    changes: list[dict[str, Any]]
    diff: Markup
    charts: list[Markup]

    @property
    def worst(self) -> int:
        return max(severity_rank(c["severity"]) for c in self.changes)


def build_report(session: Session, flt: ChangeFilter, *, now: dt.datetime | None = None) -> str:
    rows = views.changes(session, flt)
    by_article: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_article.setdefault(row["article_id"], []).append(row)
    sections: list[ArticleSection] = []
    for article_id, changes in by_article.items():
        article = views.article_or_404(session, article_id)
        last = max((c for c in changes if c["to_version"]), key=lambda c: c["to_version"], default=None)
        diff = views.diff(session, article, last["from_version"], last["to_version"]) if last else None
        series = [s for s in views.article_figures(session, article) if s.changed]
        sections.append(
            ArticleSection(
                article,
                diff.new.title if diff and diff.new.title else article.url,
                sorted(changes, key=lambda c: (-severity_rank(c["severity"]), c["id"])),
                diff.inline_html() if diff else Markup(""),
                [views.article_chart(s) for s in series],
            )
        )
    sections.sort(key=lambda s: (-s.worst, s.article.url))
    since = parse_since(flt.since, now) if flt.since else None
    return render_template(
        "report.html",
        sections=sections,
        total=len(rows),
        stealth=sum(1 for r in rows if r["stealth"]),
        outlets=sorted({r["outlet"] for r in rows}),
        since=since,
        generated=now or utcnow(),
        flt=flt,
        params=[],
    )
