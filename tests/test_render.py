"""Sources with render = "browser": articles a script builds, fetched through headless Chromium.

Skipped when Debian's chromium is not installed, failed instead under
REDLINE_REQUIRE_SERVICES=1 (CI, whose .ci/run installs it).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.jsshell import HINT, script_built
from tests.articles import TRUCE_V1, article_page, script_built_page, story_script
from tests.conftest import ROOT, Redline, _service_missing, on_backend
from tests.localsite import LocalSite

pytestmark = pytest.mark.slow

STORY = [
    "The harbour bridge reopened to traffic on Monday after eleven weeks of repairs to its northern span.",
    "Engineers replaced 42 steel cables and resurfaced the deck, at a cost the council put at 3.1 million.",
    "Ferry operators, who had added sailings during the closure, said they would return to the winter timetable.",
]


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    if not shutil.which("chromium"):
        _service_missing("Chromium", RuntimeError("apt-get install chromium"))


def _front(*paths: str) -> str:
    links = "".join(f'<li><a href="{p}">Story {i} of the day in the harbour</a></li>' for i, p in enumerate(paths))
    return f"<html><body><main><ul>{links}</ul></main></body></html>"


def _outlet(site: LocalSite) -> tuple[str, str]:
    """A JavaScript-built story whose script arrives through a redirect, and a plain one."""
    js = site.put("/2026/11/20/harbour-bridge-reopens", script_built_page("Harbour bridge reopens after repairs"))
    site.put("/static/story.js", b"", status=302, headers={"Location": "/static/story-2.js"}, etag=False)
    site.put("/static/story-2.js", story_script(STORY), headers={"Content-Type": "application/javascript"})
    plain = site.put(
        "/2026/11/20/truce-talks-stall",
        article_page(TRUCE_V1.title, TRUCE_V1.paragraphs, extra_head='<script src="/static/plain.js"></script>'),
    )
    site.put("/static/plain.js", "window.x = 1;", headers={"Content-Type": "application/javascript"})
    return js, plain


def test_script_built_page_is_recognised() -> None:
    assert script_built(script_built_page("Harbour bridge reopens after repairs"))
    assert not script_built(article_page(TRUCE_V1.title, TRUCE_V1.paragraphs))


@on_backend("sqlite")  # the browser is the subject, not the database
def test_browser_source_stores_the_scripted_text_and_plain_sources_stay_plain(
    site: LocalSite, redline: Redline
) -> None:
    js, plain = _outlet(site)
    site.put("/browser/", _front("/2026/11/20/harbour-bridge-reopens"))
    site.put("/plain/", _front("/2026/11/20/truce-talks-stall"))
    assert (
        "through the browser"
        in redline("sources", "add", site.url("/browser/"), "--kind", "front", "--render", "browser").stdout
    )
    redline("sources", "add", site.url("/plain/"), "--kind", "front")
    redline("discover")
    out = redline("crawl", "--all").stdout
    assert "checked 2 of 2: 2 new_version" in out, out

    scripted = redline.json("checks", js)["checks"]
    assert scripted[-1]["outcome"] == "new_version"
    history = redline.json("history", js)
    assert history["versions"][0]["title"] == "Harbour bridge reopens after repairs"
    assert "Engineers replaced 42 steel cables" in _version_text(redline.db_url, js)
    # Only the browser source ran scripts: its script (and the hop it redirected through) were
    # fetched once; the plain article's script never.
    assert site.hits["/static/story.js"] == 1 and site.hits["/static/story-2.js"] == 1
    assert site.hits.get("/static/plain.js", 0) == 0
    assert "Negotiators in Doha" in _version_text(redline.db_url, plain)

    # The browser sends the stored ETag: the second check is a 304.
    redline("crawl", "--all")
    assert redline.json("checks", js)["checks"][-1]["outcome"] == "not_modified"


def _version_text(db_url: str, url: str) -> str:
    from storage import queries
    from storage.db import session_scope

    with session_scope(db_url) as session:
        article = queries.find_article(session, url)
        assert article is not None
        versions = queries.versions_of(session, article.id)
        return versions[-1].text if versions else ""


@on_backend("sqlite")  # the browser is the subject, not the database
def test_a_plain_fetch_of_a_script_built_page_says_to_use_the_browser(site: LocalSite, redline: Redline) -> None:
    js, _plain = _outlet(site)
    site.put("/", _front("/2026/11/20/harbour-bridge-reopens"))
    redline("sources", "add", site.url("/"), "--kind", "front")
    redline("discover")
    redline("crawl", "--all")
    assert redline.json("checks", js)["checks"][-1]["outcome"] == "empty_extraction"
    [source] = redline.json("sources", "list")
    assert HINT in source["health"]
    [row] = redline.json("status")["sources"]
    assert row["hint"] and HINT in row["hint"]
    # Taking the advice: the stored ETag of the plain fetch must not make the browser's fetch a 304.
    redline("sources", "add", site.url("/"), "--kind", "front", "--render", "browser")
    redline("crawl", "--all")
    assert redline.json("checks", js)["checks"][-1]["outcome"] == "new_version"
    assert HINT not in redline.json("sources", "list")[0]["health"]


@on_backend("sqlite")  # the browser is the subject, not the database
def test_browser_redirects_pass_robots_and_safety_like_plain_ones(site: LocalSite, redline: Redline) -> None:
    _outlet(site)
    # The document redirects into a path robots.txt forbids: Scrapy, not Chromium, follows the hop.
    site.put("/2026/11/20/moved-story", b"", status=301, headers={"Location": "/private/secret"}, etag=False)
    site.put("/private/secret", script_built_page("Secret"))
    # A script redirects to a scheme redline never fetches.
    site.put("/2026/11/20/hostile-story", script_built_page("Hostile story", script="/static/evil.js"))
    site.put("/static/evil.js", b"", status=302, headers={"Location": "file:///etc/passwd"}, etag=False)
    site.put("/", _front("/2026/11/20/moved-story", "/2026/11/20/hostile-story"))
    redline("sources", "add", site.url("/"), "--kind", "front", "--render", "browser")
    redline("discover")
    proc = redline("crawl", "--all", "-s", "LOG_LEVEL=INFO")
    moved = redline.json("checks", site.url("/2026/11/20/moved-story"))["checks"][-1]
    assert moved["outcome"] == "error" and "robots.txt" in (moved["error"] or "")
    assert site.hits.get("/private/secret", 0) == 0
    assert "refused redirect to file:///etc/passwd" in proc.stderr


def _descendants(pid: int) -> dict[int, str]:
    """Every live process below ``pid``, with its command line."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = commands.get(child, "")
                frontier.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@on_backend("sqlite")  # the browser is the subject, not the database
def test_kill_9_of_a_crawl_leaves_no_browser_behind(site: LocalSite, redline: Redline, tmp_path: Path) -> None:
    site.put("/2026/11/20/slow-story", script_built_page("Slow story", script="/static/slow.js"))
    site.put("/static/slow.js", story_script(STORY), delay=60, headers={"Content-Type": "application/javascript"})
    site.put("/", _front("/2026/11/20/slow-story"))
    redline("sources", "add", site.url("/"), "--kind", "front", "--render", "browser")
    redline("discover")
    env = {**os.environ, "REDLINE_DB": redline.db_url, "PYTHONPATH": str(ROOT)}
    crawl = subprocess.Popen(
        [sys.executable, "-m", "review.cli", "crawl", "--all"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    browsers: dict[int, str] = {}
    try:
        for _ in range(300):  # until the browser is up and waiting on the slow script
            browsers = {p: c for p, c in _descendants(crawl.pid).items() if "chrom" in c or "playwright" in c}
            if any("chromium" in c for c in browsers.values()) and site.hits.get("/static/slow.js"):
                break
            time.sleep(0.2)
        assert any("chromium" in c for c in browsers.values()), "the browser never started"
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.wait()
        for _ in range(150):
            if not any(_alive(p) for p in browsers):
                break
            time.sleep(0.2)
        left = {p: c[:80] for p, c in browsers.items() if _alive(p)}
        assert not left, f"orphaned browser processes: {left}"
    finally:
        for pid in browsers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_render_from_the_config_file_reaches_the_source(tmp_path: Path) -> None:
    from config import ConfigError, apply_config, load_config
    from storage.db import open_database, session_scope
    from storage.models import Source

    path = tmp_path / "redline.toml"
    path.write_text('[[sources]]\nurl = "https://example.org/"\nkind = "front"\nrender = "browser"\n')
    db = open_database(f"sqlite:///{tmp_path / 'r.db'}")
    with session_scope(db) as session:
        apply_config(session, load_config(path), path)
    with session_scope(db) as session:
        assert [s.render for s in session.query(Source)] == ["browser"]
    path.write_text('[[sources]]\nurl = "https://example.org/"\nkind = "front"\nrender = "chrome"\n')
    with pytest.raises(ConfigError, match=r"redline.toml:4: sources\[1\].render: expected one of plain, browser"):
        load_config(path)
