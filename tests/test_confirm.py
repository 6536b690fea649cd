"""Which new extractions wait for a confirmation fetch (pipeline/confirm.py)."""

from __future__ import annotations

import pytest

from pipeline.confirm import drastic
from tests.articles import TRUCE_V1

FULL = "\n".join(TRUCE_V1.paragraphs)
FIRST = TRUCE_V1.paragraphs[0]


@pytest.mark.parametrize(
    ("new", "held"),
    [
        (FIRST + "\nSubscribe to continue reading.", "teaser"),
        ("\n".join(TRUCE_V1.paragraphs[:1]), "teaser"),
        ("A different story about the harbour entirely. It has three sentences. This is the third.", "wholesale"),
        (FULL.replace(TRUCE_V1.paragraphs[-1], "The talks resume on Monday."), None),
        ("\n".join(TRUCE_V1.paragraphs[:-1]), None),
        (FULL + "\nA new paragraph at the end.", None),
    ],
)
def test_drastic(new: str, held: str | None) -> None:
    reason = drastic(FULL, new)
    if held is None:
        assert reason is None
    else:
        assert reason is not None and {"teaser": "teaser", "wholesale": "wholesale"}[held] in reason


def test_a_short_article_is_never_held() -> None:
    assert drastic("One sentence. Two sentences.", "Another text entirely.") is None


# --- the whole path: crawls and the daemon ------------------------------------

import datetime as dt  # noqa: E402
import time  # noqa: E402

from tests.articles import article_page  # noqa: E402
from tests.conftest import Redline  # noqa: E402
from tests.localsite import LocalSite  # noqa: E402

FAST = ("-s", "RETRY_TIMES=1", "-s", "AUTOTHROTTLE_ENABLED=False")
WHOLE = article_page(TRUCE_V1.title, TRUCE_V1.paragraphs)
# A metered paywall: the headline and the first two paragraphs, then a subscribe box.
TEASER = article_page(TRUCE_V1.title, [*TRUCE_V1.paragraphs[:2], "Subscribe to continue reading this story."])
# A real cut: the story is rewritten down to one new short report.
CUT = article_page(
    TRUCE_V1.title,
    [*TRUCE_V1.paragraphs[:2], "The talks were suspended on Thursday evening and no new date was set."],
)


def _outcomes(redline: Redline, url: str) -> list[str]:
    return [c["outcome"] for c in redline.json("checks", url)["checks"]]


def _crawl(site: LocalSite, redline: Redline, url: str, *pages: str) -> None:
    for page in pages:
        site.put("/world/truce-talks", page)
        redline("crawl", "--all", *FAST)


def test_a_teaser_served_once_leaves_no_version_and_no_record(site: LocalSite, redline: Redline) -> None:
    url = site.url("/world/truce-talks")
    site.put("/world/truce-talks", WHOLE)
    redline("track", url)
    _crawl(site, redline, url, WHOLE, TEASER)
    checks = redline.json("checks", url)
    assert checks["checks"][-1]["outcome"] == "pending" and "teaser" in checks["checks"][-1]["error"]
    # Fetched again within minutes (REDLINE_CONFIRM_AFTER, 300 s), not after the ladder's 15.
    due = dt.datetime.fromisoformat(checks["next_check_at"].rstrip("Z"))
    checked = dt.datetime.fromisoformat(checks["checks"][-1]["checked_at"].rstrip("Z"))
    assert dt.timedelta(0) < due - checked <= dt.timedelta(seconds=301)
    _crawl(site, redline, url, WHOLE)
    # The held page kept the last version's validators: the whole page answers 304.
    assert _outcomes(redline, url) == ["new_version", "pending", "not_modified"]
    assert len(redline.json("history", url)["versions"]) == 1
    assert redline.json("changes", "--min-severity", "info") == []


def test_a_teaser_twice_in_a_row_is_stored_as_first_seen(site: LocalSite, redline: Redline) -> None:
    url = site.url("/world/truce-talks")
    site.put("/world/truce-talks", WHOLE)
    redline("track", url)
    _crawl(site, redline, url, WHOLE, TEASER, TEASER)
    assert _outcomes(redline, url) == ["new_version", "pending", "new_version"]
    first_seen = redline.json("checks", url)["checks"][1]["checked_at"]
    removed = [c for c in redline.json("changes") if c["kind"] == "sentence_removed"]
    assert removed and {c["detected_at"] for c in removed} == {first_seen}


def test_a_real_large_cut_is_stored_once_confirmed(site: LocalSite, redline: Redline) -> None:
    url = site.url("/world/truce-talks")
    site.put("/world/truce-talks", WHOLE)
    redline("track", url)
    _crawl(site, redline, url, WHOLE, CUT, CUT)
    assert _outcomes(redline, url) == ["new_version", "pending", "new_version"]
    kinds = {c["kind"] for c in redline.json("changes")}
    assert {"sentence_removed", "sentence_added"} <= kinds
    # Without confirmation (REDLINE_CONFIRM_AFTER=0) the same cut is stored at once.
    _crawl(site, redline, url, WHOLE)
    site.put("/world/truce-talks", CUT)
    redline("crawl", "--all", *FAST, "-s", "REDLINE_CONFIRM_AFTER=0")
    assert _outcomes(redline, url)[-2:] == ["new_version", "new_version"]


def test_the_daemon_confirms_soon_and_drops_a_transient_teaser(site: LocalSite, redline: Redline) -> None:
    url = site.put("/world/truce-talks", WHOLE)
    redline("track", url)
    scale = ("--time-scale", "600")  # the ladder's 15 minutes are 1.5 s; the confirmation's 5 are 0.5 s
    redline("run", "--once", *scale)
    time.sleep(2)
    site.put("/world/truce-talks", TEASER)
    redline("run", "--once", *scale)
    assert _outcomes(redline, url) == ["new_version", "pending"]
    site.put("/world/truce-talks", WHOLE)
    time.sleep(0.7)  # due again after the confirmation delay, well before the ladder's next step
    redline("run", "--once", *scale)
    assert _outcomes(redline, url) == ["new_version", "pending", "not_modified"]
    assert len(redline.json("history", url)["versions"]) == 1
