"""Text at the article's edges: what the page really says there is extracted and
reported; what only the extractor's boundary moved (a heading, an embedded
post's attribution, a promotional box) is not an edit."""

from __future__ import annotations

from pipeline.classify import Snapshot, classify
from pipeline.drift import extraction_drift
from pipeline.extract import extract
from pipeline.kinds import CONTENT_KINDS

STORY = [
    "The lighthouse on Gull Point will close for repairs on Monday, the harbour trust said.",
    "Engineers found cracks in the lantern room during a routine survey last month.",
    "The trust expects the work to take six weeks and to cost about 80,000 pounds.",
    "Boat tours will still run from the east quay while the tower is shut.",
]


def page(paragraphs: list[str], rail: str = "") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html><head><title>Gull Point lighthouse to close | Coast Post</title></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<article><h1>Gull Point lighthouse to close</h1>{body}</article>
<aside>{rail}</aside></body></html>"""


def content(old: str, new: str) -> list[tuple[str, str | None, str | None]]:
    a, b = Snapshot("Gull Point lighthouse to close", None, old), Snapshot("Gull Point lighthouse to close", None, new)
    return [(r.kind, r.old, r.new) for r in classify(a, b) if r.kind in CONTENT_KINDS]


# -- (i) the last paragraphs are the article's too ----------------------------------------------


def test_a_bold_link_inside_the_closing_paragraph_keeps_its_words() -> None:
    closing = (
        '<strong><a href="/tours">Boat tours</a></strong> will still run from the east quay while the tower is shut.'
    )
    text = extract(page([*STORY[:3], closing]), "https://coast.example/gull").text
    assert "Boat tours will still run from the east quay" in text


def test_a_closing_paragraph_extended_by_a_linked_sentence_is_reported_whole() -> None:
    extended = (
        f"{STORY[3]} <span class='link'><a href='/trust'>The trust said</a></span> "
        "it would reopen the tower in time for the summer season."
    )
    before = extract(page(STORY), "https://coast.example/gull").text
    after = extract(page([*STORY[:3], extended]), "https://coast.example/gull").text
    records = content(before, after)
    assert records and "The trust said it would reopen the tower" in " ".join(str(r[2]) for r in records)


def test_a_row_of_links_in_spans_is_still_not_article_text() -> None:
    rail = (
        '<div class="more"><span><a href="/a">Ferry fares rise again</a></span> '
        '<span><a href="/b">Storm shuts coast road</a></span></div>'
    )
    text = extract(page(STORY, rail=rail), "https://coast.example/gull").text
    assert "Ferry fares" not in text and "Storm shuts" not in text


# -- (ii) lone lines at the edge that come and go ------------------------------------------------

TEXT = "\n".join(STORY)


def test_a_heading_that_drifts_in_above_the_article_is_not_an_edit() -> None:
    assert content(TEXT, "Coastal Heritage Week 2021\n" + TEXT) == []
    assert content("Coastal Heritage Week 2021\n" + TEXT, TEXT) == []


def test_an_embedded_posts_attribution_that_comes_and_goes_is_not_an_edit() -> None:
    lines = [*STORY[:2], "— Harbour Trust (@gullpointtrust) March 3, 2021", *STORY[2:]]
    assert content(TEXT, "\n".join(lines)) == []
    assert content("\n".join(lines), TEXT) == []


def test_a_heading_added_with_new_reporting_is_still_reported() -> None:
    new = TEXT + "\nWhat happens next\nThe trust will publish the engineers' full report on its website next week."
    kinds = [k for k, _, _ in content(TEXT, new)]
    assert kinds.count("sentence_added") == 2


def test_a_sentence_added_alone_is_still_reported() -> None:
    new = TEXT + "\nVisitors with tickets for next week can ask for a refund."
    assert content(TEXT, new) == [("sentence_added", None, "Visitors with tickets for next week can ask for a refund.")]


# -- (iii) a promotional box beside the whole article --------------------------------------------

PROMO = ["Advertisement", "Supported by", "Trending", "Ten seaside towns to visit this winter", "Quiz of the week"]


def test_a_promotional_block_beside_the_whole_article_is_drift_not_edits() -> None:
    new = "\n".join([*STORY, *PROMO])
    assert content(TEXT, new) == []
    drift = extraction_drift(STORY, [*STORY, *PROMO])
    assert drift is not None and drift.added and drift.lines == tuple(PROMO)
    back = extraction_drift([*STORY, *PROMO], STORY)
    assert back is not None and not back.added


def test_real_paragraphs_added_at_the_end_are_edits_not_drift() -> None:
    more = [
        "The trust said the repairs would be paid for from its maintenance reserve.",
        "A public meeting about the work will be held at the town hall on Thursday.",
        "Local fishermen have asked for the fog signal to keep working during the repairs.",
    ]
    assert extraction_drift(STORY, [*STORY, *more]) is None
    assert [k for k, _, _ in content(TEXT, "\n".join([*STORY, *more]))] == ["sentence_added"] * 3


def test_a_promotional_block_with_an_edit_of_the_article_is_not_drift() -> None:
    edited = [STORY[0].replace("Monday", "Tuesday"), *STORY[1:]]
    assert extraction_drift(STORY, [*edited, *PROMO]) is None
