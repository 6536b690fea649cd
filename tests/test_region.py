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


LINK_BLOCKS = """<html><body>
<ul><li> <a href="/1">Ferry fares rise</a> </li><li><a href="/2">Storm</a><!-- ad slot --></li>
<li><a href="/3">Markets</a> slip</li><li>Read: <a href="/4">Markets</a></li></ul>
<div><span> <b><a href="/5">Tags</a></b> </span>
<p>A sentence with <a href="/6">a link</a> in it.</p><p><a href="/7">Only a link</a><br>\n</p>
<p><a href="/8">One</a><a href="/9">Two</a></p><h3><a href="/10"><em>Teaser</em></a></h3>
<div><script>var x = 1;</script><a href="/11">After a script</a></div>
<span><a href="/12"></a>   </span><p>\n<!-- c --><a href="/13">Commented</a><?pi x?></p></div>
</body></html>"""


def test_holds_only_answers_what_comparing_text_content_would() -> None:
    """prune_link_blocks asks whether a block holds nothing but one child's
    text; the shortcut must agree with text_content() on every pair."""
    from pipeline.extract import _holds_only, parse_page

    tree = parse_page(LINK_BLOCKS)
    assert tree is not None
    pairs = [(p, c) for p in tree.iter() if isinstance(p.tag, str) for c in p if isinstance(c.tag, str)]
    assert len(pairs) > 30
    answers = [(_holds_only(p, c), p.text_content().strip() == c.text_content().strip()) for p, c in pairs]
    assert [fast for fast, _ in answers] == [slow for _, slow in answers]
    assert {fast for fast, _ in answers} == {True, False}
