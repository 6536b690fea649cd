"""The revision script the demo newsroom plays while redline watches.

Each step is what an outlet does between two visits of the crawler, and says
which records redline must report for it. The demo's acceptance test checks
the report against these expectations; the demo itself only prints them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from review.demo.newsroom import Newsroom


@dataclass(frozen=True)
class Expect:
    """One record redline must report: its kind, and for figures the exact values."""

    slug: str
    kind: str
    old_value: float | None = None
    new_value: float | None = None
    stealth: bool | None = None


@dataclass
class Step:
    title: str
    play: Callable[[Newsroom], None]
    expect: list[Expect] = field(default_factory=list)


def _replace(room: Newsroom, slug: str, old: str, new: str) -> None:
    story = room.story(slug)
    for i, paragraph in enumerate(story.paragraphs):
        if old in paragraph:
            story.paragraphs[i] = paragraph.replace(old, new)
            return
    raise ValueError(f"{slug}: no paragraph contains {old!r}")


TRUCE, COUNCIL, STORM = "truce-talks-stall", "ferry-fares-vote", "storm-idris-floods"
MARKETS, HOSPITAL, ROVERS = "chipmaker-warning", "hospital-waiting-lists", "rovers-cup-run"
ENVOY, FERRY_CHIEF = "envoy-arrives-cairo", "ferry-operator-chief"
ROVERS_A = "Rovers stun league leaders to reach the cup quarter-finals"
ROVERS_B = "Late winner sends Harbour Rovers into the cup quarter-finals"


def step_toll_revised(room: Newsroom) -> None:
    room.publish(ENVOY)
    _replace(room, TRUCE, "more than 20,000 people have been killed", "20,057 people have been killed")
    room.touch(TRUCE)
    room.story(ROVERS).headline = ROVERS_B  # the sports desk starts an A/B test of its headline


def step_hostages_and_council(room: Newsroom) -> None:
    _replace(room, TRUCE, "An estimated 130 captives", "An estimated 129 captives")
    room.touch(TRUCE)
    room.story(COUNCIL).paragraphs.insert(
        3,
        "Opposition councillors said the operator should open its accounts to the public before any rise "
        "is agreed, and asked for an independent review of the fleet.",
    )
    room.touch(COUNCIL)
    room.story(ROVERS).headline = ROVERS_A


def step_toll_again_and_correction(room: Newsroom) -> None:
    room.publish(FERRY_CHIEF)
    _replace(room, TRUCE, "20,057 people have been killed", "20,258 people have been killed")
    room.story(TRUCE).headline = "Truce talks falter as mediators search for a new formula"
    room.touch(TRUCE)
    _replace(room, STORM, "rose to 4.2 metres", "rose to 3.8 metres")
    room.story(STORM).notes.append(
        "Correction: an earlier version of this article gave the wrong height for the river at Millford."
    )
    room.touch(STORM)
    room.story(ROVERS).headline = ROVERS_B


def step_stealth_and_pulled(room: Newsroom) -> None:
    # No update note and no new dateModified: a stealth edit.
    _replace(
        room,
        MARKETS,
        "its shares dropped 3 per cent in early trading before recovering some ground",
        "its shares dropped 3 per cent in early trading and ended the morning at their lowest level this year",
    )
    room.story(HOSPITAL).status = 404  # the outlet pulls the story
    room.story(ROVERS).headline = ROVERS_A


SCRIPT: list[Step] = [
    Step("first edition: eight stories on the front page", lambda room: None),
    Step(
        "death toll revised to 20,057; a new story in the feed; a headline A/B test starts",
        step_toll_revised,
        [Expect(TRUCE, "number", 20000.0, 20057.0, stealth=False)],
    ),
    Step(
        "hostage count lowered; a paragraph added to the council story",
        step_hostages_and_council,
        [Expect(TRUCE, "number", 130.0, 129.0, stealth=False), Expect(COUNCIL, "sentence_added", stealth=False)],
    ),
    Step(
        "death toll revised to 20,258 and the headline rewritten; a correction on the storm story",
        step_toll_again_and_correction,
        [
            Expect(TRUCE, "number", 20057.0, 20258.0, stealth=False),
            Expect(TRUCE, "headline", stealth=False),
            Expect(STORM, "number", 4.2, 3.8, stealth=False),
            Expect(STORM, "correction", stealth=False),
        ],
    ),
    Step(
        "a silent edit to the markets story; the hospital story is pulled",
        step_stealth_and_pulled,
        [
            Expect(MARKETS, "sentence_changed", stealth=True),
            Expect(HOSPITAL, "unpublished"),
            Expect(ROVERS, "headline_flipflop"),
        ],
    ),
]


@dataclass
class Verdict:
    caught: list[Expect]
    missed: list[Expect]
    unexpected: list[dict[str, Any]]  # content records the script did not ask for


def _slug(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _matches(expect: Expect, record: dict[str, Any]) -> bool:
    if _slug(record["article_url"]) != expect.slug or record["kind"] != expect.kind:
        return False
    if expect.old_value is not None and record["old_value"] != expect.old_value:
        return False
    if expect.new_value is not None and record["new_value"] != expect.new_value:
        return False
    return expect.stealth is None or bool(record.get("stealth")) == expect.stealth


def verify(records: list[dict[str, Any]], content_kinds: frozenset[str]) -> Verdict:
    """Hold the report (`redline changes --format json`) against the script's expectations."""
    expected = [e for step in SCRIPT for e in step.expect]
    caught = [e for e in expected if any(_matches(e, r) for r in records)]
    missed = [e for e in expected if e not in caught]
    asked = {(e.slug, e.kind) for e in expected}
    unexpected = [
        r for r in records if r["kind"] in content_kinds and (_slug(r["article_url"]), r["kind"]) not in asked
    ]
    return Verdict(caught, missed, unexpected)
