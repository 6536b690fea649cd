"""An article that starts redirecting: the first move is recorded, never taken for a 304."""

from __future__ import annotations

from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

FAST = ("-s", "RETRY_TIMES=1", "-s", "AUTOTHROTTLE_ENABLED=False")


def test_a_moved_page_is_fetched_unconditionally_after_the_redirect(site: LocalSite, redline: Redline) -> None:
    page = article_page(TRUCE_V1.title, TRUCE_V1.paragraphs)
    old = site.put("/world/truce-talks", page)
    redline("track", old)
    redline("crawl", "--all", *FAST)
    # The story moves with its bytes: the new URL's ETag is the one stored for the old.
    new = site.put("/world/2026/truce-talks", page)
    site.put("/world/truce-talks", b"", status=301, headers={"Location": new}, etag=False)
    redline("crawl", "--all", *FAST)
    checks = redline.json("checks", old)["checks"]
    assert [c["outcome"] for c in checks] == ["new_version", "unchanged"]
    assert checks[-1]["http_status"] == 200
    moves = [(c["kind"], c["old"], c["new"]) for c in redline.json("changes", "--kind", "redirected")]
    assert moves == [("redirected", old, new)]
