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
    "headline_flipflop": KindInfo(
        "high",
        True,
        "The headline alternated between two wordings (A → B → A → B, an A/B test): reported once, "
        "folding the earlier swings; "
        "`details.variants` holds both wordings, later swings are metadata.",
    ),
    "number": KindInfo(
        "high", True, "A figure was revised: `old_value`/`new_value` are numbers, `context` what it counts."
    ),
    "sentence_added": KindInfo("medium", True, "A sentence appeared in the body."),
    "sentence_removed": KindInfo("medium", True, "A sentence disappeared from the body."),
    "sentence_changed": KindInfo("medium", True, "A sentence was rewritten; `old` and `new` are the paired sentences."),
    "sentence_moved": KindInfo(
        "low", True, "A sentence or paragraph moved without being edited; `details.sentences` counts its sentences."
    ),
    "typo": KindInfo("low", True, "A fix inside one word of at most two characters (edit distance ≤ 2)."),
    "byline": KindInfo("medium", True, "The people named in the byline changed (compared as a set of names)."),
    "correction": KindInfo(
        "high",
        True,
        "A correction or update note (words, not just a date) was added; `new` is the note's text.",
    ),
    "unpublished": KindInfo("high", True, "The article now answers 404/410."),
    "republished": KindInfo(
        "high",
        True,
        "An unpublished article is back; `old` is the last version's headline, `new` the headline now; "
        "its edits against the last version follow as their own records.",
    ),
    "redirected": KindInfo("medium", False, "The article now redirects to another URL."),
    "published_date": KindInfo("medium", False, "The published date changed."),
    "modified_date": KindInfo(
        "low", False, "The modified date, or a visible 'Updated: <date>' line, changed (a signal, not an edit)."
    ),
    "metadata": KindInfo(
        "info",
        False,
        "Not an edit: relative times, counters, reading time, date lines, spacing or quote style, lines the site "
        "repeats on many articles; `details.reason` says which. Hidden by default.",
    ),
}

CONTENT_KINDS = frozenset(k for k, v in KINDS.items() if v.content)
