"""Bylines as sets of people: what the page says, from every source it says it in."""

from __future__ import annotations

from pipeline.bylines import byline_names, same_people
from pipeline.classify import Snapshot, classify
from pipeline.extract import extract
from tests.articles import TRUCE_V1, article_page

URL = "https://news.example/world/truce-talks"


def _page(meta: str, visible: str) -> str:
    page = article_page(TRUCE_V1.title, TRUCE_V1.paragraphs, byline=meta)
    return page.replace(f'<p class="byline">By {meta}</p>', f'<p class="byline">By {visible}</p>')


def _snapshot(html: str) -> Snapshot:
    e = extract(html, URL)
    return Snapshot(e.title, e.byline, e.text, e.published_at, e.modified_at, dict(e.headlines))


def test_a_visible_byline_edit_is_not_hidden_by_an_unchanged_meta_author() -> None:
    before = _snapshot(_page("A. Writer", "A. Writer"))
    after = _snapshot(_page("A. Writer", "A. Writer and B. Editor"))
    records = [r for r in classify(before, after) if r.kind == "byline"]
    assert [(r.old, r.new) for r in records] == [("A. Writer", "A. Writer and B. Editor")]


def test_the_meta_author_still_names_the_byline_when_the_page_agrees() -> None:
    assert _snapshot(_page("Mara Lindqvist", "Mara Lindqvist | The Harbour Courier")).byline == "Mara Lindqvist"


def test_names_are_people_not_shapes() -> None:
    assert byline_names("By A. Writer and B. Editor") == byline_names("B. Editor, A. Writer")
    assert byline_names("Reporter Staff") is None
    assert same_people("Ann Marsh", None) is None
    assert same_people("Ann Marsh", "Tom Reyes") is False
