"""Word diff: paragraphs first, then words; both texts always rebuild exactly."""

from __future__ import annotations

from pathlib import Path

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


# The C++ diff is used only because its output is the pure-Python one's: held
# to it diff for diff on the case tables and on the real pages.


def _both_engines_agree(old: str, new: str) -> None:
    assert word_diff(old, new) == word_diff(old, new, pure=True)
    assert token_diff(old, new) == token_diff(old, new, pure=True)


def _case_pairs() -> list[tuple[str, str]]:
    from tests.test_cases import load_cases, snapshots

    pairs = []
    for param in load_cases():
        old, new = snapshots(param.values[0])
        pairs.append((old.text, new.text))
        pairs.append((old.title or "", new.title or ""))
    return pairs


def test_the_cpp_diff_is_the_pure_diff_on_every_case_table() -> None:
    pairs = _case_pairs()
    assert len(pairs) > 100
    for old, new in pairs:
        _both_engines_agree(old, new)


def _edited_versions(text: str) -> list[str]:
    """The edits a newsroom makes, at the text's own paragraphs: a figure
    revised, a paragraph added, dropped, moved, a clause appended, everything re-typeset."""
    import re

    lines = text.split("\n")
    out = [re.sub(r"\d+", lambda m: str(int(m.group()) + 7), text, count=1)]
    out.append("\n".join([*lines[:1], "A paragraph the editors added later, with 12 new words in it.", *lines[1:]]))
    if len(lines) > 2:
        out.append("\n".join(lines[: len(lines) // 2] + lines[len(lines) // 2 + 1 :]))
        out.append("\n".join([lines[1], lines[0], *lines[2:]]))
    out.append(text.replace(".", ", officials said.", 1))
    out.append(text.replace('"', "”").replace(" - ", " – "))
    return out


REALPAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "realpages"


@pytest.mark.realpages
@pytest.mark.skipif(not (REALPAGES / "ground-truth.json").exists(), reason="../shared/realpages is absent")
def test_the_cpp_diff_is_the_pure_diff_on_the_real_pages() -> None:
    """Each real page's extracted text against its labelled article body (two
    real, differently cut texts of one article) and against six edits of it."""
    import json

    from pipeline.normalise import normalise_text

    truth = json.loads((REALPAGES / "ground-truth.json").read_text())
    from pipeline.extract import extract
    from tests.churn import load_pages

    checked = 0
    for page in load_pages(REALPAGES):
        text = extract(page.html, page.url).text
        body = normalise_text(truth[page.id]["articleBody"])
        for other in [body, *_edited_versions(text)]:
            _both_engines_agree(text, other)
            checked += 1
    assert checked > 400
