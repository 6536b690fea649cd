"""A diff card a reporter can paste into a story: only the edited sentences, as HTML or PNG.

The PNG is the HTML card photographed by headless Chromium (Debian's
``chromium``), when it is installed, then cropped to the card: Chromium
photographs a whole window, and the card is rarely as tall as one.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from markupsafe import Markup

from pipeline.diff import word_diff
from pipeline.sentences import align, split_sentences
from review import render
from review.templating import render_template
from storage.models import Version
from storage.sites import outlet_of

CARD_WIDTH = 680
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
BROWSER_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking")


class CardError(RuntimeError):
    pass


def edited_sentences(old: Version, new: Version, limit: int = 6) -> list[Markup]:
    """The sentences that changed (headline first), each as a word diff."""
    out: list[Markup] = []
    if (old.title or "") != (new.title or ""):
        out.append(Markup(render.diff_html(word_diff(old.title or "", new.title or ""))))
    for pair in align(split_sentences(old.text), split_sentences(new.text)):
        if pair.kind in ("equal", "moved"):
            continue
        out.append(Markup(render.diff_html(word_diff(pair.old or "", pair.new or ""))))
        if len(out) >= limit:
            break
    return out


def card_html(url: str, old: Version, new: Version, width: int = CARD_WIDTH) -> str:
    return render_template(
        "card.html",
        title=new.title or url,
        url=url,
        outlet=outlet_of(url),
        old=old,
        new=new,
        sentences=edited_sentences(old, new),
        width=width,
    )


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def crop_to_content(path: Path) -> tuple[int, int]:
    """Cut the white margin off a PNG (the window below the card); return the new size."""
    from PIL import Image, ImageChops

    with Image.open(path) as image:
        rgb = image.convert("RGB")
    box = ImageChops.difference(rgb, Image.new("RGB", rgb.size, (255, 255, 255))).getbbox()
    if box is not None and box != (0, 0, *rgb.size):
        rgb = rgb.crop(box)
        rgb.save(path, format="PNG", optimize=True)
    return rgb.size


def screenshot(html: str, out: Path, *, width: int = CARD_WIDTH + 2, height: int = 2400) -> None:
    """Render HTML to a PNG with headless Chromium, cropped to what the page drew.

    The window is taller than any card, so the card is never cut; the white below it is cropped.
    """
    browser = find_browser()
    if browser is None:
        raise CardError("a PNG needs Chromium (apt-get install chromium); --format card writes the HTML card")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "card.html"
        page.write_text(html, encoding="utf-8")
        cmd = [
            browser,
            *BROWSER_FLAGS,
            "--hide-scrollbars",
            f"--user-data-dir={tmp}/profile",
            f"--window-size={width},{height}",
            f"--screenshot={out.resolve()}",
            page.as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 or not out.exists():
        raise CardError(f"chromium could not render the card: {proc.stderr.strip()[-300:]}")
    crop_to_content(out)
