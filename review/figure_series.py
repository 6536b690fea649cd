"""Figures followed across versions and across articles: the data behind the timelines.

Pure functions over stored versions: a figure is keyed by what it counts
(its context, e.g. "people killed") and its unit, so "more than 20,000 people
killed" in version 1 and "20,057 people killed" in version 2 are two points of
one series.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.figures import Figure, find_figures
from pipeline.sentences import split_sentences
from storage.models import Article, Version
from storage.sites import outlet_of


@dataclass(frozen=True)
class FigurePoint:
    article_id: int
    seq: int
    fetched_at: dt.datetime
    value: float
    text: str  # as written: "more than 20,000"
    sentence: str


@dataclass
class FigureSeries:
    context: str
    unit: str | None
    points: list[FigurePoint] = field(default_factory=list)
    label: str = ""

    @property
    def changed(self) -> bool:
        return len({p.value for p in self.points}) > 1

    @property
    def key(self) -> str:
        return f"{self.context}|{self.unit or ''}"


@functools.lru_cache(maxsize=8192)
def _sentence_figures(sentence: str) -> tuple[Figure, ...]:
    # Consecutive versions share almost every sentence: each is read once.
    return tuple(find_figures(sentence))


def _figures(version: Version, words: tuple[str, ...] = ()) -> Iterable[tuple[str, str | None, float, str, str]]:
    """(context, unit, value, text, sentence) of every figure with a context, first one per key.

    With ``words``, only sentences holding all of them are read: what a figure
    counts is taken from its sentence, so no other sentence can match.
    """
    seen: set[tuple[str, str | None]] = set()
    full = f"{version.title or ''}\n{version.text}"
    if words and not all(w in full.lower() for w in words):
        return
    for sentence in split_sentences(full):
        if words and not all(w in sentence.lower() for w in words):
            continue
        for fig in _sentence_figures(sentence):
            if not fig.context:
                continue
            key = (fig.context.lower(), fig.unit)
            if key in seen:
                continue
            seen.add(key)
            yield key[0], fig.unit, fig.value, fig.text, sentence


def article_series(versions: list[Version]) -> list[FigureSeries]:
    """Every figure of an article as a series over its versions; revised figures first."""
    series: dict[tuple[str, str | None], FigureSeries] = {}
    for v in versions:
        for context, unit, value, text, sentence in _figures(v):
            s = series.setdefault((context, unit), FigureSeries(context, unit, label=context))
            s.points.append(FigurePoint(v.article_id, v.seq, v.fetched_at, value, text, sentence))
    return sorted(series.values(), key=lambda s: (not s.changed, -len(s.points), s.context))


def matches(context: str, sentence: str, query: str) -> bool:
    """A figure answers a query when every query word is in what it counts or in its sentence."""
    words = query.lower().split()
    haystack = f"{context} {sentence}".lower()
    return bool(words) and all(w in haystack for w in words)


def cross_article_series(articles: Iterable[tuple[Article, list[Version]]], query: str) -> list[FigureSeries]:
    """One series per article of every figure matching ``query`` (e.g. "killed" or "death toll")."""
    out: list[FigureSeries] = []
    for article, versions in articles:
        points = []
        for v in versions:
            for context, _unit, value, text, sentence in _figures(v, tuple(query.lower().split())):
                if matches(context, sentence, query):
                    points.append(FigurePoint(v.article_id, v.seq, v.fetched_at, value, text, sentence))
                    break  # one point per version: the first matching figure
        if points:
            title = versions[-1].title or article.url
            out.append(FigureSeries(query, None, points, label=f"{outlet_of(article.url)}: {title}"))
    return sorted(out, key=lambda s: s.points[0].fetched_at)
