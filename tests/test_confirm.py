"""Which new extractions wait for a confirmation fetch (pipeline/confirm.py)."""

from __future__ import annotations

import pytest

from pipeline.confirm import drastic
from tests.articles import TRUCE_V1

FULL = "\n".join(TRUCE_V1.paragraphs)
FIRST = TRUCE_V1.paragraphs[0]


@pytest.mark.parametrize(
    ("new", "held"),
    [
        (FIRST + "\nSubscribe to continue reading.", "teaser"),
        ("\n".join(TRUCE_V1.paragraphs[:1]), "teaser"),
        ("A different story about the harbour entirely. It has three sentences. This is the third.", "wholesale"),
        (FULL.replace(TRUCE_V1.paragraphs[-1], "The talks resume on Monday."), None),
        ("\n".join(TRUCE_V1.paragraphs[:-1]), None),
        (FULL + "\nA new paragraph at the end.", None),
    ],
)
def test_drastic(new: str, held: str | None) -> None:
    reason = drastic(FULL, new)
    if held is None:
        assert reason is None
    else:
        assert reason is not None and {"teaser": "teaser", "wholesale": "wholesale"}[held] in reason


def test_a_short_article_is_never_held() -> None:
    assert drastic("One sentence. Two sentences.", "Another text entirely.") is None
