"""The registry of change kinds: each kind's severity, whether it is content,
and its user help. ``redline kinds`` prints this table."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("info", "low", "medium", "high")


def severity_rank(name: str) -> int:
    return SEVERITIES.index(name)


@dataclass(frozen=True)
class KindInfo:
    severity: str
    content: bool
    help: str


KINDS: dict[str, KindInfo] = {
    "headline": KindInfo(
        "high", True, "The headline was rewritten; `details.surfaces` lists where (h1, title, og:title…)."
    ),
    "number": KindInfo(
        "high", True, "A figure was revised: `old_value`/`new_value` are numbers, `context` what it counts."
    ),
    "sentence_added": KindInfo("medium", True, "A sentence appeared in the body."),
    "sentence_removed": KindInfo("medium", True, "A sentence disappeared from the body."),
    "sentence_changed": KindInfo("medium", True, "A sentence was rewritten; `old` and `new` are the paired sentences."),
    "sentence_moved": KindInfo("low", True, "A sentence or paragraph moved without being edited."),
    "typo": KindInfo("low", True, "A one-word fix of at most two characters."),
    "byline": KindInfo("medium", True, "The author line changed."),
    "correction": KindInfo("high", True, "A correction or update note was added; `new` is its text."),
    "unpublished": KindInfo("high", True, "The article now answers 404/410."),
    "redirected": KindInfo("medium", False, "The article now redirects to another URL."),
    "published_date": KindInfo("medium", False, "The published date changed."),
    "modified_date": KindInfo("low", False, "The modified date changed (a signal, not an edit)."),
    "metadata": KindInfo(
        "info", False, "Reading furniture changed: relative times, counters, date lines. Hidden by default."
    ),
}

CONTENT_KINDS = frozenset(k for k, v in KINDS.items() if v.content)
