"""The correction-note test's fast path says what its regex says, sentence for sentence."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from pipeline import noise
from pipeline.sentences import split_sentences

FRAGMENTS = [
    "An earlier version of this article",
    "an earlier version of this story misstated",
    "This story has been updated",
    "this report was corrected to",
    "This piece was amended on",
    "This post has been changed",
    "We previously reported",
    "the article originally stated",
    "The story incorrectly said",
    "Correction:",
    "Editor's note —",
    "Update (10:32 GMT):",
    "Updated at 10:32",
    "Last updated 25 November",
    "Mise à jour :",
    "Исправление:",
    "the police said on Tuesday that",
    "20,000 people",
    "this year",
    "previously",
]
# Letters IGNORECASE matches with ASCII ones, and other non-ASCII text a page carries.
ODD = ["\u0130", "\u0131", "\u017f", "\u212a", "\u2019", "\u201c", "é", "ß", "\u00a0", "İ"]


# What a correction note is: every branch in one regex, as noise.py had it before its fast path.
CORRECTION = re.compile("|".join((*noise._NOTE_AT_START, *noise._NOTE_ANYWHERE)), re.IGNORECASE)


def _reference(sentence: str) -> bool:
    return bool(CORRECTION.search(sentence))


def _mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(0, 3)):
        i = rng.randrange(len(chars))
        roll = rng.random()
        if roll < 0.4:
            chars[i] = chars[i].swapcase()
        elif roll < 0.7:
            # where IGNORECASE still matches: ſ for s, K for k, ı/İ for i
            chars[i] = {"s": "\u017f", "k": "\u212a", "i": rng.choice("\u0131\u0130")}.get(chars[i].lower(), chars[i])
        else:
            chars.insert(i, rng.choice(ODD))
    return "".join(chars)


def test_the_fast_path_is_the_regex_on_made_up_sentences() -> None:
    rng = random.Random(17)
    sentences = [
        "An earlier version of thi\u017f article misstated the toll.",  # ſ: the regex matches, lower() does not
        "THIS STORY HAS BEEN UPDATED.",
        "\u201cWe previously reported\u201d the figure as 140.",
        "We p\u0131reviously reported",
        "this \u212aind of story was updated",
        "",
        " ",
    ]
    for _ in range(4000):
        parts = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 3))]
        sentences.append(_mutate(rng, " ".join(parts)))
    disagree = [s for s in sentences if noise._note_words(s) != _reference(s)]
    assert disagree == []
    # Both answers occur, through both branches of the fast path.
    assert {noise._note_words(s) for s in sentences} == {True, False}
    assert any(not s.isascii() and _reference(s) for s in sentences)
    assert _reference(sentences[0]) and not any(w in sentences[0].lower() for w in noise._ANYWHERE_WORDS)


@pytest.mark.realpages
def test_the_fast_path_is_the_regex_on_every_sentence_of_the_real_pages(realpages: Path) -> None:
    truth = json.loads((realpages / "ground-truth.json").read_text())
    sentences = [s for entry in truth.values() for p in entry["articleBody"].split("\n") for s in split_sentences(p)]
    assert len(sentences) > 1000
    assert [s for s in sentences if noise._note_words(s) != _reference(s)] == []
