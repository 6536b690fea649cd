"""Bad input at fetch time: every failure is a recorded check, never a bogus version."""

from __future__ import annotations

from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

FAST = ("-s", "RETRY_TIMES=1", "-s", "AUTOTHROTTLE_ENABLED=False")


def _outcomes(redline: Redline, url: str) -> list[str]:
    return [c["outcome"] for c in redline.json("checks", url)["checks"]]


def test_server_error_keeps_last_good_version(site: LocalSite, redline: Redline) -> None:
    url = site.put("/story", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs))
    redline("track", url)
    redline("crawl", "--all", *FAST)
    site.put("/story", "<h1>Internal error</h1>", status=500)
    redline("crawl", "--all", *FAST)
    checks = redline.json("checks", url)
    assert _outcomes(redline, url) == ["new_version", "error"]
    assert checks["checks"][-1]["http_status"] == 500
    assert checks["consecutive_failures"] == 1 and "500" in checks["last_error"]
    assert site.hits["/story"] == 3  # one good fetch, then the 500 and its retry
    assert len(redline.json("history", url)["versions"]) == 1
    assert redline.json("changes") == []


def test_connection_refused_is_an_error_check(redline: Redline) -> None:
    url = "http://127.0.0.1:9/closed-port"
    redline("track", url)
    out = redline("crawl", "--all", *FAST)
    assert "1 error" in out.stdout
    check = redline.json("checks", url)["checks"][0]
    assert check["outcome"] == "error" and check["http_status"] is None and check["error"]


def test_404_after_publication_is_unpublished_once(site: LocalSite, redline: Redline) -> None:
    url = site.put("/story", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs))
    redline("track", url)
    redline("crawl", "--all", *FAST)
    site.remove("/story")
    redline("crawl", "--all", *FAST)
    redline("crawl", "--all", *FAST)
    assert _outcomes(redline, url) == ["new_version", "gone", "gone"]
    changes = redline.json("changes")
    assert [(c["kind"], c["from_version"], c["old"]) for c in changes] == [("unpublished", 1, TRUCE_V1.title)]
    assert redline.json("checks", url)["status"] == "gone"


def test_empty_extraction_never_deletes_the_article(site: LocalSite, redline: Redline) -> None:
    url = site.put("/story", article_page(TRUCE_V1.title, TRUCE_V1.paragraphs))
    redline("track", url)
    redline("crawl", "--all", *FAST)
    # A JavaScript shell: the server answers 200 with no article in the HTML.
    site.put(
        "/story",
        '<html><head><title>Loading</title></head><body><div id="root"></div>'
        '<script src="/app.js"></script></body></html>',
    )
    redline("crawl", "--all", *FAST)
    # A paywall teaser: one short paragraph and a subscribe box.
    site.put("/story", article_page(TRUCE_V1.title, ["Negotiators met again. Subscribe to read more."]))
    redline("crawl", "--all", *FAST)
    assert _outcomes(redline, url) == ["new_version", "empty_extraction", "empty_extraction"]
    assert len(redline.json("history", url)["versions"]) == 1
    assert redline.json("changes") == []


def test_revert_is_a_new_version_that_says_so(site: LocalSite, redline: Redline) -> None:
    v1 = article_page(TRUCE_V1.title, TRUCE_V1.paragraphs)
    url = site.put("/story", v1)
    redline("track", url)
    redline("crawl", "--all", *FAST)
    site.put("/story", article_page("A different headline for the same talks", TRUCE_V1.paragraphs))
    redline("crawl", "--all", *FAST)
    site.put("/story", v1)
    redline("crawl", "--all", *FAST)
    versions = redline.json("history", url)["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[2]["reverts_to"] == 1 and versions[2]["content_hash"] == versions[0]["content_hash"]
    assert [c["kind"] for c in redline.json("changes")] == ["headline", "headline"]
