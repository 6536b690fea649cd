"""The web UI in a real browser: Debian's headless Chromium driven through chromedriver.

Skipped when chromium or chromedriver is not installed
(``apt-get install chromium chromium-driver``), failed instead under
REDLINE_REQUIRE_SERVICES=1 (CI, whose .ci/run installs them). Set REDLINE_UPDATE_SCREENSHOTS=1
to refresh docs/diff-page.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import queries, warc
from storage.db import session_scope
from tests.conftest import ROOT, _service_missing
from tests.reviewdata import Newsroom, fill

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking")

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    if not (CHROMIUM and CHROMEDRIVER):
        _service_missing("Chromium", RuntimeError("apt-get install chromium chromium-driver"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Newsroom]]:
    """`redline serve` as a user starts it, on a database the pipeline filled."""
    room = fill(f"sqlite:///{tmp_path / 'browser.db'}")
    port = _free_port()
    env = {**os.environ, "REDLINE_DB": room.db_url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "review.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/api/kinds", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stderr.read().decode() if proc.stderr else "serve exited") from None
                time.sleep(0.1)
        yield base, room
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, "--window-size=1280,1100", "--hide-scrollbars"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_changes_list_diff_and_hostile_pages(served: tuple[str, Newsroom], browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    driver = browser
    base, room = served

    # The changes list shows the figure revision, marked as a stealth edit.
    driver.get(base + "/?kind=number")
    rows = driver.find_elements(By.CSS_SELECTOR, "tr.change[data-kind=number]")
    texts = [r.text for r in rows]
    assert any("more than 20,000" in t and "20,057" in t and "people killed" in t for t in texts), texts
    assert all("stealth" in t for t in texts)

    # The diff page highlights 20,000 → 20,057.
    truce = room.ids["truce"]
    driver.get(f"{base}/articles/{truce}?from=1&to=2")
    inserted = [e for e in driver.find_elements(By.CSS_SELECTOR, ".diff ins") if e.text == "20,057"]
    deleted = [e for e in driver.find_elements(By.CSS_SELECTOR, ".diff del") if "20,000" in e.text]
    assert inserted and deleted
    assert inserted[0].value_of_css_property("background-color") == "rgba(204, 255, 204, 1)"
    assert deleted[0].value_of_css_property("text-decoration-line") == "line-through"
    assert driver.find_elements(By.CSS_SELECTOR, "figure.figure-timeline svg circle")  # the death toll chart
    shot = tmp_path / "diff-page.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("REDLINE_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(shot, ROOT / "docs" / "diff-page.png")

    # Side by side shows the old figure on the left and the new one on the right.
    driver.get(f"{base}/articles/{truce}?from=1&to=2&view=side")
    left, right = driver.find_elements(By.CSS_SELECTOR, ".side .col")
    assert "more than 20,000" in left.text and "20,057" not in left.text and "20,057" in right.text

    # Hostile content: shown as text, never run.
    hostile = room.ids["hostile"]
    for path in (
        "/",
        f"/articles/{hostile}",
        f"/articles/{hostile}?view=side",
        f"/articles/{hostile}/versions/2",
        f"/articles/{hostile}/versions/2/raw",
        "/figures?q=ferries",
    ):
        driver.get(base + path)
        assert driver.execute_script("return window.__pwned === undefined"), path
    driver.get(f"{base}/articles/{hostile}")
    heading = driver.find_element(By.TAG_NAME, "h1").text
    assert "<script>window.__pwned = 1</script>" in heading and "⟨U+202E⟩" in heading
    assert not driver.find_elements(By.CSS_SELECTOR, "main a[href^='javascript:'], main img, main script")

    # The raw snapshot is framed with a sandbox and its script stays inert inside the frame too.
    driver.get(f"{base}/articles/{hostile}/versions/2")
    frame = driver.find_element(By.CSS_SELECTOR, "iframe.raw")
    assert frame.get_attribute("sandbox") == ""
    driver.switch_to.frame(frame)
    assert driver.execute_script("return window.__pwned === undefined")
    driver.switch_to.default_content()

    # Control: the same raw page opened outside redline does run its script, so the checks above mean something.
    with session_scope(room.db_url) as session:
        version = queries.get_version(session, hostile, 2)
        record = warc.record_of(session, version.id) if version is not None else None
        stored = warc.raw_page(record.warc_gz) if record is not None else None
        assert stored is not None
        raw = stored.body
    control = tmp_path / "control.html"
    control.write_bytes(raw)
    driver.get(control.as_uri())
    assert driver.execute_script("return window.__pwned") == 1


def test_figures_page_links_points_to_versions(served: tuple[str, Newsroom], browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    base, room = served
    browser.get(base + "/figures?q=killed")
    links = {a.get_dom_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "svg a")}
    expected = {f"/articles/{room.ids[name]}/versions/{seq}" for name in ("truce", "bay") for seq in (1, 2)}
    assert expected <= links
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "tr.figure-point")]
    assert any("20,057" in r for r in rows) and any("20,100" in r for r in rows)
