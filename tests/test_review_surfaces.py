"""Reports, cards, exports and hostile text on every surface (HTML pages, report, CLI, card)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import warnings
from pathlib import Path

import pytest

from review.inert import inert
from tests.articles import TRUCE_V1, article_page
from tests.conftest import ROOT, Redline
from tests.localsite import LocalSite
from tests.reviewdata import HOSTILE_URL, TRUCE_URL, fill, truce_v2_paragraphs

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from review.web import create_app

BIDI_AND_ZERO_WIDTH = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _no_live_markup(html: str) -> None:
    """Nothing in the page can run: no script element, no handler attribute, no javascript: URL."""
    assert not re.search(r"<script", html, re.IGNORECASE)
    assert not re.search(r"<[^>]+\son\w+\s*=", html, re.IGNORECASE)
    assert not re.search(r"""(?:href|src)\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE)
    assert not BIDI_AND_ZERO_WIDTH.search(html)


def test_inert_marks_invisible_characters() -> None:
    assert inert("a\u202eb\u200bc\x1b[31m") == "a⟨U+202E⟩b⟨U+200B⟩c⟨U+001B⟩[31m"
    assert inert("line\nnext\ttab") == "line\nnext\ttab"
    assert inert(None) == ""


def test_every_html_page_renders_hostile_text_inert(tmp_path: Path) -> None:
    room = fill(f"sqlite:///{tmp_path / 'h.db'}")
    hostile = room.ids["hostile"]
    with TestClient(create_app(room.db_url)) as client:
        for path in (
            "/",
            "/?q=script",
            "/articles",
            f"/articles/{hostile}",
            f"/articles/{hostile}?view=side&from=1&to=2",
            f"/articles/{hostile}/versions/1",
            f"/articles/{hostile}/versions/2",
            "/figures?q=ferries",
            "/figures?q=%3Cscript%3E",
            "/?kind=%3Cscript%3Ealert(1)%3C/script%3E",
        ):
            response = client.get(path)
            assert response.status_code in (200, 400), path
            _no_live_markup(response.text)
            csp = response.headers["content-security-policy"]
            assert "default-src 'none'" in csp and "script-src" not in csp, path
        page = client.get(f"/articles/{hostile}").text
        assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
        assert "⟨U+202E⟩" in page
        raw = client.get(f"/articles/{hostile}/versions/2/raw")
        assert raw.headers["content-security-policy"].startswith("sandbox;")
        assert b"<script>window.__pwned = 1</script>" in raw.content  # kept as fetched, shown sandboxed
        assert client.get(f"/articles/{hostile}?view=sideways").status_code == 400
        assert client.get(f"/articles/{hostile}?from=x").status_code == 400
        assert client.get("/articles/999").status_code == 404


def test_report_from_a_real_crawl(site: LocalSite, redline: Redline, tmp_path: Path) -> None:
    url = site.put("/world/truce-talks", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs, byline=TRUCE_V1.byline))
    redline("track", url)
    redline("crawl", "--all")
    site.put("/world/truce-talks", article_page("Truce talks falter", truce_v2_paragraphs(), byline=TRUCE_V1.byline))
    redline("crawl", "--all")
    redline("report", "--since", "24h", "-o", "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<ins>20,057</ins>" in html and "more than 20,000" in html
    assert "people killed" in html and "<svg" in html  # the figure's chart is inline
    assert not re.search(r"""(?:src|href)=["']https?://""", html.split("<main>", 1)[1].replace(url, ""))
    _no_live_markup(html)
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat()  # after every change, however fast
    assert redline("report", "--since", later, "-o", "-").stdout.count("Nothing changed") == 1


def test_cli_surfaces_on_hostile_data(tmp_path: Path) -> None:
    room = fill(f"sqlite:///{tmp_path / 'c.db'}")
    redline = Redline(room.db_url, tmp_path)
    report = redline("report", "-o", "-").stdout
    _no_live_markup(report)
    assert "&lt;script&gt;" in report

    text = redline("diff", HOSTILE_URL).stdout
    assert "\u202e" not in text and "⟨U+202E⟩" in text
    table = redline("changes").stdout
    assert not BIDI_AND_ZERO_WIDTH.search(table)

    card = redline("diff", TRUCE_URL, "--format", "card").stdout
    assert "<ins>20,057</ins>" in card and "Negotiators" not in card  # only the edited sentences
    _no_live_markup(card)
    hostile_card = redline("diff", HOSTILE_URL, "--format", "card").stdout
    _no_live_markup(hostile_card)

    rows = redline("export", "--format", "newsedits", "--kind", "number").stdout.splitlines()
    assert any(json.loads(r)["label"] == "edited" for r in rows)
    csv_out = redline("export", "--format", "csv", "--outlet", "bay.example").stdout
    assert "20,100" in csv_out and "20,057" not in csv_out
    bad = redline("export", "--outlet", "nowhere.example", check=False)
    assert bad.returncode == 2 and "allowed: bay.example, harbour.example" in bad.stderr
    feed = redline("feed", "--kind", "number").stdout
    assert feed.count("<entry>") == 2


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed")
def test_diff_card_png(tmp_path: Path) -> None:
    room = fill(f"sqlite:///{tmp_path / 'p.db'}")
    redline = Redline(room.db_url, tmp_path)
    redline("diff", TRUCE_URL, "--format", "png", "-o", "card.png")
    assert (tmp_path / "card.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (ROOT / "card.png").exists()  # -o is relative to where redline runs, never the checkout
    from PIL import Image

    with Image.open(tmp_path / "card.png") as image:
        card = image.convert("RGB")
    width, height = card.size
    assert width == 680 and 150 < height < 600, card.size  # the card, not the window it was shot in
    white = (255, 255, 255)
    for y in (0, height - 1):  # the top border and the bottom one: no blank margin either side
        assert any(card.getpixel((x, y)) != white for x in range(width)), y
    missing = redline("diff", TRUCE_URL, "--format", "png", check=False)
    assert missing.returncode == 1 and "needs -o" in missing.stderr
