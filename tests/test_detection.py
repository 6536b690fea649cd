"""Detection that needs history: a site's boilerplate learned from its other
articles, a headline A/B test reported once, severities filtered in the CLI."""

from __future__ import annotations

from pipeline.noise import learn_boilerplate
from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

FAST = ("-s", "AUTOTHROTTLE_ENABLED=False")
PROMO_A = "Sign up for the Harbour Courier morning briefing, delivered before seven."
PROMO_B = "Sign up for the Harbour Courier evening briefing, delivered after six."
_FILL = "Readers can follow every council decision on our local pages, which are updated through the day."
STORIES = {
    "/local/ferry": ["The council approved a rise in ferry fares for next spring, citing fuel costs and crew.", _FILL],
    "/local/storm": ["Storm Idris closed the coast road overnight and flooded the lower town near the quay.", _FILL],
    "/local/school": ["The new primary school on Mill Lane will open in January, a year later than planned.", _FILL],
}


def test_learn_boilerplate_counts_articles_not_lines() -> None:
    texts = ["Story one.\nSubscribe now.\nSubscribe now.", "Story two.\nSubscribe now.", "Story three."]
    assert learn_boilerplate(texts, min_articles=2) == {
        "Subscribe now.": "site boilerplate: on 2 other articles of this site"
    }
    assert learn_boilerplate(texts, min_articles=3) == {}


def test_site_boilerplate_is_metadata_with_its_reason(site: LocalSite, redline: Redline) -> None:
    def put_all(promo: str, extra: str | None = None) -> dict[str, str]:
        urls = {}
        for path, paragraphs in STORIES.items():
            urls[path] = site.put(path, article_page(path.title(), [*paragraphs, promo]))
        truce = list(TRUCE_V1.paragraphs) + ([extra] if extra else []) + [promo]
        urls["/world/truce"] = site.put("/world/truce", article_page(TRUCE_V1.title, truce))
        return urls

    urls = put_all(PROMO_A)
    redline("track", *urls.values())
    redline("crawl", "--all", *FAST)
    added = "Mediators from Qatar said a draft text had been shared with both delegations on Friday."
    put_all(PROMO_B, extra=added)
    redline("crawl", "--all", *FAST)

    content = redline.json("changes")
    assert [(c["article_url"], c["kind"], c["new"]) for c in content] == [
        (urls["/world/truce"], "sentence_added", added)
    ]
    assert content[0]["stealth"] is True  # no note, no new modified date
    everything = redline.json("changes", "--min-severity", "info")
    promo = [c for c in everything if c["old"] == PROMO_A]
    assert len(promo) == 4 and {c["kind"] for c in promo} == {"metadata"}
    assert all(c["details"]["reason"].startswith("site boilerplate: on 3 other articles") for c in promo)


def test_headline_ab_test_is_one_flipflop_and_severity_filters(site: LocalSite, redline: Redline) -> None:
    a, b = "Rovers stun the league leaders", "Late winner sends Rovers through"
    paragraphs = [
        "Harbour Rovers reached the quarter-finals of the cup with a goal in the last minute on Saturday.",
        "The league leaders had dominated possession but could not find a way past the Rovers goalkeeper.",
    ]
    url = site.put("/sport/rovers", article_page(a, paragraphs))
    redline("track", url)
    redline("crawl", "--all", *FAST)
    for title in (b, a, b, a):
        site.put("/sport/rovers", article_page(title, paragraphs))
        redline("crawl", "--all", *FAST)

    shown = redline.json("changes")
    assert [(c["kind"], c["to_version"]) for c in shown] == [("headline_flipflop", 4)]
    assert sorted(shown[0]["details"]["variants"]) == sorted([a, b])
    hidden = [c for c in redline.json("changes", "--min-severity", "info") if c["kind"] == "metadata"]
    assert sorted(c["to_version"] for c in hidden) == [2, 3, 5]  # two folded swings, one later swing
    assert redline.json("changes", "--min-severity", "high") == shown
    table = redline("changes", "--min-severity", "high").stdout
    assert "headline" in table and "Late winner" in table
