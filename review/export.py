"""Exports of changes for other tools: a registry of formats keyed by name.

``csv`` and ``jsonl`` hold one change per row; ``newsedits`` holds every
aligned sentence pair of each edit that the filtered changes belong to, in the
style of the NewsEdits corpus (Spangher et al., 2022): one row per sentence
pair, labelled unchanged / edited / moved / deleted / added.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from sqlalchemy.orm import Session

from pipeline.sentences import align, split_sentences
from review import render, views
from review.filters import ChangeFilter
from storage import queries
from storage.sites import outlet_of

CSV_FIELDS = (
    "id",
    "detected_at",
    "outlet",
    "article_url",
    "canonical_url",
    "from_version",
    "to_version",
    "kind",
    "severity",
    "stealth",
    "old",
    "new",
    "old_value",
    "new_value",
    "context",
    "details",
)
# A cell a spreadsheet would run as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NEWSEDITS_LABELS = {"equal": "unchanged", "changed": "edited", "moved": "moved", "removed": "deleted", "added": "added"}


@dataclass(frozen=True)
class Format:
    media_type: str
    suffix: str
    write: Callable[[Session, ChangeFilter, TextIO], int]
    help: str


FORMATS: dict[str, Format] = {}


def export_format(name: str, media_type: str, suffix: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    def register(fn: Callable[[Session, ChangeFilter, TextIO], int]) -> Callable[..., int]:
        FORMATS[name] = Format(media_type, suffix, fn, (fn.__doc__ or "").strip().splitlines()[0])
        return fn

    return register


def _cell(value: Any) -> Any:
    if isinstance(value, dict | float):
        value = render.tidy(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


@export_format("csv", "text/csv; charset=utf-8", "csv")
def write_csv(session: Session, flt: ChangeFilter, out: TextIO) -> int:
    """One change per row; cells a spreadsheet would run as formulas are prefixed with '."""
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    rows = views.changes(session, flt)
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in CSV_FIELDS})
    return len(rows)


@export_format("jsonl", "application/x-ndjson; charset=utf-8", "jsonl")
def write_jsonl(session: Session, flt: ChangeFilter, out: TextIO) -> int:
    """One change per line, the same fields as `redline changes --format json`."""
    rows = views.changes(session, flt)
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def sentence_pairs(session: Session, article_id: int, from_: int, to: int) -> list[dict[str, Any]]:
    old, new = queries.get_version(session, article_id, from_), queries.get_version(session, article_id, to)
    if old is None or new is None:
        return []
    url = old.article.url
    rows = []
    for pair in align(split_sentences(old.text), split_sentences(new.text)):
        rows.append(
            {
                "article_id": article_id,
                "article_url": url,
                "outlet": outlet_of(url),
                "version_x": from_,
                "version_y": to,
                "fetched_at_x": render.iso(old.fetched_at),
                "fetched_at_y": render.iso(new.fetched_at),
                "sent_idx_x": pair.old_index,
                "sent_idx_y": pair.new_index,
                "sentence_x": pair.old,
                "sentence_y": pair.new,
                "label": NEWSEDITS_LABELS[pair.kind],
            }
        )
    return rows


@export_format("newsedits", "application/x-ndjson; charset=utf-8", "jsonl")
def write_newsedits(session: Session, flt: ChangeFilter, out: TextIO) -> int:
    """Aligned sentence pairs (NewsEdits style) of every edit the filtered changes come from."""
    edits = sorted(
        {
            (row["article_id"], row["from_version"], row["to_version"])
            for row in views.changes(session, flt)
            if row["from_version"] and row["to_version"]
        }
    )
    count = 0
    for article_id, from_, to in edits:
        for row in sentence_pairs(session, article_id, from_, to):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count
