"""Articles written for the tests, as full news pages with site furniture."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Story:
    title: str
    byline: str
    paragraphs: list[str]


TRUCE_V1 = Story(
    title="Truce talks stall as reported Gaza death toll reaches 20,000",
    byline="Mara Lindqvist",
    paragraphs=[
        "Negotiators in Doha and Cairo spent a third day trying to revive a week-long truce, "
        "officials familiar with the talks said on Wednesday.",
        "Israel proposed a seven-day pause in fighting in return for the release of 40 more captives, "
        "according to two Egyptian officials briefed on the offer.",
        "Hamas leaders said they would not discuss further releases until a ceasefire took effect. "
        "An estimated 130 captives remain in Gaza.",
        "The health ministry in Gaza says more than 20,000 people have been killed since the war began. "
        "Aid agencies warn that the figure is likely to rise.",
        "Families of the captives have protested outside government offices in Jerusalem every night "
        "this week, demanding a new agreement.",
        "Diplomats said the talks would resume on Thursday in Cairo, with mediators from Qatar and Egypt.",
    ],
)


def truce_report(n: int, toll: str = "20,000") -> list[str]:
    """TRUCE_V1 as the ``n``-th article of one site, with the death toll ``toll``.

    Many articles of one site sharing a sentence teach redline that the
    sentence is site boilerplate, and an edit of boilerplate is not news. The
    sentence carrying the toll is therefore the article's own.
    """
    own = f"The health ministry in Gaza told bureau {n} that"
    return [p.replace("The health ministry in Gaza says", own).replace("20,000", toll) for p in TRUCE_V1.paragraphs]


def article_page(
    title: str,
    paragraphs: list[str],
    *,
    byline: str = "Staff reporter",
    site: str = "The Harbour Courier",
    nav_counter: int = 3,
    most_read: list[str] | None = None,
    modified: str = "2026-11-20T10:00:00Z",
    extra_head: str = "",
) -> str:
    """A news page with the furniture that changes on every render."""
    most_read = most_read or ["Council votes on ferry fares", "Storm closes coastal road", "Markets slip"]
    esc = html.escape
    body = "\n".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    rail = "\n".join(f'<li><a href="/story/{i}">{esc(t)}</a></li>' for i, t in enumerate(most_read))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(title)} | {esc(site)}</title>
<meta property="og:title" content="{esc(title)}">
<meta property="og:site_name" content="{esc(site)}">
<meta name="author" content="{esc(byline)}">
<meta property="article:published_time" content="2026-11-20T08:00:00Z">
<meta property="article:modified_time" content="{modified}">
{extra_head}
<script>window.__state = {{"session": "{nav_counter * 7919}"}};</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/inbox">Inbox ({nav_counter})</a></nav></header>
<main><article>
<h1>{esc(title)}</h1>
<p class="byline">By {esc(byline)}</p>
{body}
</article>
<aside><h2>Most read</h2><ol>{rail}</ol></aside></main>
<footer><p>© 2026 {esc(site)}. All rights reserved.</p></footer>
</body></html>
"""


def script_built_page(title: str, script: str = "/static/story.js") -> str:
    """A page whose story a script writes into an empty box: nothing to read without a browser."""
    esc = html.escape
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(title)} | The Harbour Courier</title>
<meta property="og:title" content="{esc(title)}">
<meta name="author" content="Staff reporter">
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>
<main><article><h1>{esc(title)}</h1><div id="story"></div></article></main>
<script src="{esc(script)}"></script>
</body></html>
"""


def story_script(paragraphs: list[str]) -> str:
    """The script that builds a script_built_page's story."""
    import json

    return (
        "document.getElementById('story').innerHTML = "
        + json.dumps("".join(f"<p>{html.escape(p)}</p>" for p in paragraphs))
        + ";"
    )
