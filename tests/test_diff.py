"""Word diff: paragraphs first, then words; both texts always rebuild exactly."""

from __future__ import annotations

import pytest

from pipeline.diff import token_diff, word_diff

CASES = [
    ("one figure", "Intro.\nThe toll rose to 20,000 people.\nEnd.", "Intro.\nThe toll rose to 20,057 people.\nEnd."),
    ("paragraph added", "A.\nB.", "A.\nNew one.\nB."),
    ("paragraph removed", "A.\nGone now.\nB.", "A.\nB."),
    ("two edits far apart", "First 10 said.\nMiddle.\nLast 3 said.", "First 11 said.\nMiddle.\nLast 4 said."),
    ("no newline at end", "Only one line 5", "Only one line 6"),
    ("empty to text", "", "Something new."),
]


def _sides(segments: list) -> tuple[str, str]:
    old = "".join(s.text for s in segments if s.op != "insert")
    new = "".join(s.text for s in segments if s.op != "delete")
    return old, new


@pytest.mark.parametrize("name,old,new", CASES, ids=[c[0] for c in CASES])
def test_word_diff_rebuilds_both_texts_and_agrees_with_one_pass(name: str, old: str, new: str) -> None:
    segments = word_diff(old, new)
    assert _sides(segments) == (old, new)
    changed = [(s.op, s.text) for s in segments if s.op != "equal"]
    assert changed == [(s.op, s.text) for s in token_diff(old, new) if s.op != "equal"]


def test_a_number_stays_one_token() -> None:
    changed = [(s.op, s.text) for s in word_diff("killed 20,000 people", "killed 20,057 people") if s.op != "equal"]
    assert changed == [("delete", "20,000"), ("insert", "20,057")]


def test_unrelated_texts_still_rebuild_under_a_tiny_timeout() -> None:
    old = "\n".join(f"alpha {i} beta gamma {i * 3}." for i in range(300))
    new = "\n".join(f"delta {i} beta omega {i * 7}." for i in range(300))
    segments = word_diff(old, new, timeout=0.01)
    assert _sides(segments) == (old, new)
