"""Real revisions, replayed: churn between real captures reports nothing, the
real edits report themselves. A bounded subset of bench/revisions.py (about
twenty articles, three crawls). Skips when ../shared/realrevisions is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.realrevisions import Article, Replay, ReplaySite, load, truth
from bench.revisions import HEADLINE_KINDS, Pair
from tests.conftest import Redline

pytestmark = [pytest.mark.realpages, pytest.mark.slow]

ROUNDS, CHURNED = 3, 8
FAST = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16")
# The articles whose headline or body really changed between two captures
# (bench/revisions.py finds them from the truth; named here to keep the test short).
EDITED = (
    "asian-stock-markets-mixed-us-tax-bill-politics-in-focus",
    "billy-bush-slams-trump-for-questioning-authenticity-access-hollywood-tape",
    "south-carolina-children-with-autism-say-classroom-robot-is-too-cool",
    "james-levine-suspended-by-met-opera-after-sexual-abuse-accusations",
    "msnbc-host-joy-reid-targets-crist-with-anti-gay-comments-in-old-blog-posts",
    "philadelphia-76ers-dancer-surprised-by-army-soldier-boyfriend",
    "walking-dead-season-8-episode-7-recap-tide-war-turns-on-rick",
    "trump-backs-roy-moore-need-his-vote",
    "elton-john-announces-moms-death-am-in-shock",
    "facebooks-sandberg-warns-on-sexual-misconduct-backlash-for-women",
    "mcdonalds-kfc-and-oreos-trump-s-fast-food-habits-detailed-in-upcoming-book",
)


def _edited_at(a: Article) -> int | None:
    """The index of the first version whose article (headline or body) differs from the one before."""
    for k in range(1, len(a.versions)):
        old, new = truth(a.versions[k - 1][1]), truth(a.versions[k][1])
        if old.paragraphs and new.paragraphs and (old.paragraphs != new.paragraphs or old.headline != new.headline):
            return k
    return None


def rounds(replay: Replay) -> dict[str, list[bytes]]:
    """Per article path, the bytes of each round: a window of its real captures
    that ends with its first real edit, and for the most recaptured other
    articles their first captures (churn)."""
    served = {}
    for a in replay.articles:
        if a.path.rsplit("/", 1)[-1].removesuffix(".html") in EDITED and (k := _edited_at(a)) is not None:
            served[a.path] = [body for _, body in a.versions[max(0, k + 1 - ROUNDS) : k + 1]]
    others = sorted((a for a in replay.articles if a.path not in served), key=lambda a: (-len(a.versions), a.path))
    for a in others[:CHURNED]:
        served[a.path] = [body for _, body in a.versions[:ROUNDS]]
    return served


@pytest.fixture(scope="module")
def replay() -> Replay:
    found = load()
    if found is None:
        pytest.skip("../shared/realrevisions is not present")
    return found


def test_real_churn_is_silent_and_real_edits_are_reported(replay: Replay, tmp_path: Path) -> None:
    served = rounds(replay)
    assert sum(path.rsplit("/", 1)[-1].removesuffix(".html") in EDITED for path in served) == len(EDITED)
    redline = Redline(f"sqlite:///{tmp_path}/revisions.db", tmp_path)
    pairs: list[Pair] = []
    with ReplaySite(Replay(replay.captured_at, [])) as site:
        redline("track", *(site.base + path for path in served))
        seen: set[int] = set()
        for n in range(ROUNDS):
            site.serve({path: bodies[min(n, len(bodies) - 1)] for path, bodies in served.items()})
            redline("crawl", "--all", *FAST)
            fresh = [c for c in redline.json("changes", "--min-severity", "info") if c["id"] not in seen]
            seen.update(c["id"] for c in fresh)
            if n == 0:
                assert fresh == []
                continue
            for path, bodies in served.items():
                if n < len(bodies) and bodies[n] != bodies[n - 1]:
                    records = [c for c in fresh if c["article_url"] == site.base + path]
                    pairs.append(Pair(path, n, truth(bodies[n - 1]), truth(bodies[n]), records))

    false = [(p.path, [(r["kind"], r["old"], r["new"]) for r in p.content]) for p in pairs if p.churn and p.content]
    missed_body = [(p.path, p.body_coverage()) for p in pairs if p.body_changed and p.body_coverage() < 0.5]
    missed_headline = [
        p.path for p in pairs if p.headline_changed and not any(r["kind"] in HEADLINE_KINDS for r in p.content)
    ]
    edits = sum(not p.churn for p in pairs)
    print(f"\n{len(pairs)} real pairs: {len(pairs) - edits} churn, {edits} edited")
    assert false == []
    assert missed_body == []
    assert missed_headline == []
