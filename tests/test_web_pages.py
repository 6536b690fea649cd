"""The web UI's pages as a reviewer reads them: stories told apart, edits as blocks, stepping through versions."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from storage.models import utcnow
from tests.articles import article_page
from tests.reviewdata import TRUCE_URL, TRUCE_V2_TITLE, _store, fill, truce_v2_paragraphs

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from review.web import create_app


def _blocks(html: str) -> list[str]:
    return re.findall(r'<tbody class="change-set".*?</tbody>', html, re.DOTALL)


def test_changes_page_shows_headline_outlet_and_one_block_per_edit(tmp_path: Path) -> None:
    room = fill(f"sqlite:///{tmp_path / 'w.db'}")
    with TestClient(create_app(room.db_url)) as client:
        html = client.get("/").text
    blocks = _blocks(html)
    # One block per (article, version step): three articles, each edited once.
    assert len(blocks) == 3, html
    truce = next(b for b in blocks if TRUCE_V2_TITLE in b)
    href = f'href="/articles/{room.ids["truce"]}?from=1&amp;to=2"'
    assert f'<a class="headline" {href}>{TRUCE_V2_TITLE}</a>' in truce
    assert '<span class="outlet">harbour.example</span>' in truce
    assert truce.count('<tr class="change"') >= 2  # the figure and the headline, in one block
    assert "20,057" in truce and "people killed" in truce
    bay = next(b for b in blocks if "bay.example" in b)
    assert "Gaza toll rises" in bay
    assert re.search(r"detected \d{4}-\d\d-\d\d \d\d:\d\d UTC", truce)


def test_articles_page_names_each_story(tmp_path: Path) -> None:
    room = fill(f"sqlite:///{tmp_path / 'l.db'}")
    with TestClient(create_app(room.db_url)) as client:
        html = client.get("/articles").text
    assert f'<a class="headline" href="/articles/{room.ids["truce"]}">{TRUCE_V2_TITLE}</a>' in html
    assert f'<a class="headline" href="/articles/{room.ids["bay"]}">Gaza toll rises</a>' in html
    assert '<span class="outlet">bay.example</span>' in html


def test_article_page_steps_between_versions(tmp_path: Path) -> None:
    room = fill(f"sqlite:///{tmp_path / 'a.db'}")
    third = [p.replace("20,057", "20,258") for p in truce_v2_paragraphs()]
    _store(room.db_url, TRUCE_URL, article_page(TRUCE_V2_TITLE, third), utcnow())
    truce = room.ids["truce"]
    with TestClient(create_app(room.db_url)) as client:
        middle = client.get(f"/articles/{truce}?from=2&to=3").text
        first = client.get(f"/articles/{truce}?from=1&to=2").text
        latest = client.get(f"/articles/{truce}").text
    assert f'rel="prev" href="/articles/{truce}?from=1&amp;to=2#diff"' in middle
    assert 'rel="next"' not in middle and "latest version" in middle
    assert f'rel="next" href="/articles/{truce}?from=2&amp;to=3#diff"' in first
    assert 'rel="prev"' not in first
    assert "Diff v2 → v3" in latest
    # The article's changes, one block per version step.
    assert len(_blocks(latest)) == 2


def test_latest_titles_on_both_backends(db_url: str) -> None:
    from storage import review_queries
    from storage.db import session_scope

    room = fill(db_url)
    with session_scope(room.db_url) as session:
        titles = review_queries.latest_titles(session, [room.ids["truce"], room.ids["bay"], room.ids["truce"]])
        assert review_queries.latest_titles(session, []) == {}
    assert titles == {room.ids["truce"]: TRUCE_V2_TITLE, room.ids["bay"]: "Gaza toll rises"}
