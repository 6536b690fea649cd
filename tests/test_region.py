"""The main-region key: furniture churn skips extraction, any article edit does not."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline import region
from pipeline.extract import extract
from tests.articles import TRUCE_V1, article_page


def _page(**kwargs: Any) -> str:
    paragraphs = kwargs.pop("paragraphs", TRUCE_V1.paragraphs)
    return article_page(kwargs.pop("title", TRUCE_V1.title), list(paragraphs), **kwargs)


def _key(html: str) -> str:
    key = region.learn(html, extract(html).text)
    assert key is not None
    return key


def test_furniture_churn_keeps_the_key_and_the_extraction() -> None:
    before = _page()
    after = _page(nav_counter=9, most_read=["Another story", "And another one", "A third"])
    assert region.unchanged(after, _key(before))
    e1, e2 = extract(before), extract(after)
    assert (e1.text, e1.title, e1.byline, e1.headlines) == (e2.text, e2.title, e2.byline, e2.headlines)


@pytest.mark.parametrize(
    "change",
    [
        {"paragraphs": [p.replace("20,000", "20,057") for p in TRUCE_V1.paragraphs]},
        {"paragraphs": [*TRUCE_V1.paragraphs, "Correction: an earlier version misstated the date."]},
        {"title": "Truce talks collapse"},
        {"byline": "Another reporter"},
        {"modified": "2026-11-21T09:00:00Z"},
    ],
    ids=["figure", "paragraph added", "headline", "byline", "modified date"],
)
def test_any_article_change_breaks_the_key(change: dict[str, Any]) -> None:
    assert "20,000" in " ".join(TRUCE_V1.paragraphs)
    assert not region.unchanged(_page(**change), _key(_page()))


def test_a_page_that_cannot_be_placed_has_no_key() -> None:
    assert region.learn("<html><body><p>short</p></body></html>", "short") is None
    assert not region.unchanged(_page(), 'abc /html/body/div[@class="gone"]')
    assert not region.unchanged("", _key(_page()))
