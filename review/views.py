"""What each review page shows, computed once for the web UI, the JSON API and the report.

Functions take the caller's session and return plain data; the templates and
the API only format it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from pipeline.diff import Segment, word_diff
from pipeline.kinds import severity_rank
from review import render
from review.figure_series import FigureSeries, article_series, cross_article_series
from review.filters import ChangeFilter
from review.inert import inert
from review.svg import Point, Series, line_chart, timestamp
from storage import queries, review_queries
from storage.models import Article, Change, Version
from storage.sites import outlet_of


class NotFound(LookupError):
    """The thing asked for does not exist; the web layer answers 404."""


def change_row(change: Change, article: Article) -> dict[str, Any]:
    return {
        **render.change_json(change, article),
        "article_id": article.id,
        "outlet": outlet_of(article.url),
    }


def changes(session: Session, flt: ChangeFilter) -> list[dict[str, Any]]:
    return [change_row(c, a) for c, a in review_queries.search_changes(session, flt.query())]


@dataclass
class ChangeSet:
    """What one fetch found: every change of one article between two versions, shown as one block."""

    article_id: int
    title: str
    url: str
    outlet: str
    from_version: int | None
    to_version: int | None
    detected_at: str | None
    changes: list[dict[str, Any]]

    @property
    def href(self) -> str:
        return f"/articles/{self.article_id}?from={self.from_version or ''}&to={self.to_version or ''}"

    @property
    def stealth(self) -> bool:
        return any(c["stealth"] for c in self.changes)


def change_sets(session: Session, rows: list[dict[str, Any]]) -> list[ChangeSet]:
    """Rows grouped by (article, version step), in the order of each group's first row."""
    titles = review_queries.latest_titles(session, [r["article_id"] for r in rows])
    sets: dict[tuple[int, int | None, int | None], ChangeSet] = {}
    for row in rows:
        key = (row["article_id"], row["from_version"], row["to_version"])
        if key not in sets:
            title = titles.get(row["article_id"]) or row["article_url"]
            sets[key] = ChangeSet(
                row["article_id"],
                title,
                row["article_url"],
                row["outlet"],
                row["from_version"],
                row["to_version"],
                row["detected_at"],
                [],
            )
        sets[key].changes.append(row)
    for change_set in sets.values():
        change_set.changes.sort(key=lambda c: (-severity_rank(c["severity"]), c["id"]))
    return list(sets.values())


def article_or_404(session: Session, article_id: int) -> Article:
    article = review_queries.get_article(session, article_id)
    if article is None:
        raise NotFound(f"no article {article_id}")
    return article


def version_or_404(session: Session, article: Article, seq: int) -> Version:
    version = queries.get_version(session, article.id, seq)
    if version is None:
        raise NotFound(f"{article.url} has versions 1..{article.version_count}; there is no version {seq}")
    return version


def version_text(v: Version) -> str:
    return f"{v.title or ''}\n\n{v.text}"


@dataclass(frozen=True)
class DiffView:
    old: Version
    new: Version
    segments: list[Segment]

    def inline_html(self) -> Markup:
        return Markup(render.diff_html(self.segments))

    def side_by_side(self) -> tuple[Markup, Markup]:
        """The old text with deletions marked, the new one with insertions marked."""
        old = [s for s in self.segments if s.op != "insert"]
        new = [s for s in self.segments if s.op != "delete"]
        return Markup(render.diff_html(old)), Markup(render.diff_html(new))

    def as_json(self) -> dict[str, Any]:
        return {
            "from_version": self.old.seq,
            "to_version": self.new.seq,
            "segments": [{"op": s.op, "text": s.text} for s in self.segments],
        }


def diff(session: Session, article: Article, from_: int | None, to: int | None) -> DiffView | None:
    """The word diff between two versions; by default the last edit. None with fewer than two versions."""
    if article.version_count < 1:
        return None
    to = to or article.version_count
    from_ = from_ or max(1, to - 1)
    old, new = version_or_404(session, article, from_), version_or_404(session, article, to)
    return DiffView(old, new, word_diff(version_text(old), version_text(new)))


def steps(diff: DiffView, version_count: int) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """The version steps before and after the one shown: (from, to) of the previous and the next edit."""
    older = (diff.old.seq - 1, diff.old.seq) if diff.old.seq > 1 else None
    newer = (diff.new.seq, diff.new.seq + 1) if diff.new.seq < version_count else None
    return older, newer


def headline_history(versions: list[Version]) -> tuple[list[str], list[dict[str, Any]]]:
    """Surfaces seen (h1, title, og:title…) and, per version, each headline and whether it changed."""
    surfaces = sorted({s for v in versions for s in (v.headlines or {})})
    rows: list[dict[str, Any]] = []
    previous: dict[str, str] = {}
    for v in versions:
        heads = dict(v.headlines or {})
        cells = [
            {"text": heads.get(s), "changed": bool(previous) and heads.get(s) != previous.get(s)} for s in surfaces
        ]
        rows.append({"version": v.seq, "fetched_at": v.fetched_at, "cells": cells})
        previous = heads
    return surfaces, rows


def series_json(series: FigureSeries) -> dict[str, Any]:
    return {
        "context": series.context,
        "unit": series.unit,
        "label": series.label,
        "changed": series.changed,
        "points": [
            {
                "article_id": p.article_id,
                "version": p.seq,
                "fetched_at": render.iso(p.fetched_at),
                "value": render.tidy(p.value),
                "text": p.text,
                "sentence": p.sentence,
            }
            for p in series.points
        ],
    }


def version_href(article_id: int, seq: int) -> str:
    return f"/articles/{article_id}/versions/{seq}"


def article_chart(series: FigureSeries) -> Markup:
    """One figure of one article over its versions."""
    points = [Point(p.seq, p.value, version_href(p.article_id, p.seq), f"v{p.seq}: {p.text}") for p in series.points]
    labels = {float(p.seq): f"v{p.seq}" for p in series.points}
    return line_chart([Series(series.label, points)], x_labels=labels, title=series.label)


def figures_chart(all_series: list[FigureSeries]) -> Markup:
    """Figures of many articles over time, each point linked to its version."""
    chart = [
        Series(
            s.label,
            [
                Point(
                    timestamp(p.fetched_at),
                    p.value,
                    version_href(p.article_id, p.seq),
                    f"{s.label} v{p.seq} {p.fetched_at:%Y-%m-%d %H:%M}: {p.text}",
                )
                for p in s.points
            ],
        )
        for s in all_series
    ]
    times = sorted({p.fetched_at for s in all_series for p in s.points})
    labels = {timestamp(t): f"{t:%d %b %H:%M}" for t in (times[0], times[-1])} if times else {}
    return line_chart(chart, x_labels=labels, title="figures over time")


def article_figures(session: Session, article: Article) -> list[FigureSeries]:
    return article_series(queries.versions_of(session, article.id))


def figures_across(session: Session, query: str, max_articles: int = 200) -> list[FigureSeries]:
    pairs = [
        (a, queries.versions_of(session, a.id)) for a, _ in review_queries.list_articles(session, limit=max_articles)
    ]
    return cross_article_series(pairs, query)


def snippet(text: str | None, width: int = 280) -> str:
    value = " ".join(inert(text).split())
    return value if len(value) <= width else value[: width - 1] + "…"


def escaped(text: str | None) -> Markup:
    return escape(inert(text))
