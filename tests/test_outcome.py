"""The decision of one fetch (pipeline/outcome.py): pure, one row per kind of fetch.

Both doors of storage/record.py write what this decides, so these cases are
what a fetch does to the database; tests/test_record.py checks the writing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from pipeline.classify import Background
from pipeline.extract import extract
from pipeline.items import FetchedPage
from pipeline.outcome import Latest, Rules, content_hash, decide, needs_latest, snapshot_of
from pipeline.quiet import is_quiet
from pipeline.recheck import RecheckPolicy
from storage.batch import fits_batch
from storage.models import ArticleStatus, CheckOutcome
from storage.record import ArticleState, Decision, RawFetch
from tests.articles import TRUCE_V1, article_page

T0 = dt.datetime(2026, 11, 25, 9, 0)
NOW = T0 + dt.timedelta(minutes=20)
URL = "http://news.test/world/truce-talks"
RULES = Rules(RecheckPolicy(jitter=0.0), min_ratio=0.2, keep_raw=True)
V1 = extract(article_page(TRUCE_V1.title, TRUCE_V1.paragraphs))
V2_HTML = article_page(TRUCE_V1.title, [p.replace("more than 20,000", "20,057") for p in TRUCE_V1.paragraphs])
V2 = extract(V2_HTML)
LATEST = Latest(1, content_hash(V1), snapshot_of(V1))
LONG = replace(LATEST, snapshot=replace(LATEST.snapshot, text=V1.text * 2))  # 250 characters are under 20 % of it
STATE = ArticleState(
    id=7,
    status=ArticleStatus.ACTIVE,
    version_count=1,
    first_seen_at=T0,
    last_checked_at=T0,
    next_check_at=T0 + dt.timedelta(minutes=15),
    etag='"v1"',
    body_hash="a" * 40,
    region_key="k1 /html/body/article",
    final_url=URL,
)
# When a fresh article with no recent change is due next under RULES: 15 minutes on.
NEXT = NOW + dt.timedelta(minutes=15)


def page(**fields: Any) -> FetchedPage:
    return FetchedPage(STATE.id, URL, **{"final_url": URL, "fetched_at": NOW, "duration_ms": 5.0, **fields})


@dataclass
class Case:
    page: FetchedPage
    outcome: CheckOutcome
    update: dict[str, Any]  # exactly the article columns set
    kinds: tuple[str, ...] = ()
    error: str | None = None
    version_seq: int | None = 1
    state: ArticleState = field(default_factory=lambda: STATE)
    latest: Latest | None = LATEST
    extra: dict[str, Any] = field(default_factory=dict)  # more checks on the decision


CASES = {
    "304": Case(page(http_status=304), CheckOutcome.NOT_MODIFIED, {"last_checked_at": NOW, "next_check_at": NEXT}),
    "same bytes, new validator": Case(
        page(http_status=200, etag='"v1b"', body_hash="a" * 40, previous_body_hash="a" * 40),
        CheckOutcome.UNCHANGED,
        {"last_checked_at": NOW, "next_check_at": NEXT, "etag": '"v1b"'},
    ),
    "same region, new furniture": Case(
        page(
            http_status=200,
            body_hash="b" * 40,
            previous_body_hash="a" * 40,
            same_region=True,
            region_key=STATE.region_key,
        ),
        CheckOutcome.UNCHANGED,
        {"last_checked_at": NOW, "next_check_at": NEXT, "body_hash": "b" * 40},
    ),
    "same text, region learned anew": Case(
        page(http_status=200, body_hash="b" * 40, extracted=V1, region_key="k2 /html/body/main"),
        CheckOutcome.UNCHANGED,
        {"last_checked_at": NOW, "next_check_at": NEXT, "body_hash": "b" * 40, "region_key": "k2 /html/body/main"},
    ),
    "network error": Case(
        page(error="timeout"),
        CheckOutcome.ERROR,
        {
            "last_checked_at": NOW,
            "consecutive_failures": 1,
            "last_error": "timeout",
            "next_check_at": NOW + dt.timedelta(minutes=5),
        },
        error="timeout",
    ),
    "429 with Retry-After": Case(
        page(http_status=429, retry_after=3600.0),
        CheckOutcome.ERROR,
        {
            "last_checked_at": NOW,
            "consecutive_failures": 1,
            "last_error": "HTTP 429",
            "next_check_at": NOW + dt.timedelta(hours=1),
        },
        error="HTTP 429",
    ),
    "gone": Case(
        page(http_status=404),
        CheckOutcome.GONE,
        # Looked at again an hour after it went (the gone ladder: 1 h, 6 h, 1 d, 3 d).
        {
            "last_checked_at": NOW,
            "status": ArticleStatus.GONE,
            "last_changed_at": NOW,
            "gone_at": NOW,
            "next_check_at": NOW + dt.timedelta(hours=1),
        },
        kinds=("unpublished",),
        error="HTTP 404",
        extra={"unpublished": (1, None, TRUCE_V1.title, "HTTP 404", "high")},
    ),
    "still gone an hour on": Case(
        page(http_status=404),
        CheckOutcome.GONE,
        {"last_checked_at": NOW, "next_check_at": NOW - dt.timedelta(hours=1) + dt.timedelta(hours=6)},
        error="HTTP 404",
        state=replace(STATE, status=ArticleStatus.GONE, gone_at=NOW - dt.timedelta(hours=1)),
    ),
    "gone for three days": Case(
        page(http_status=410),
        CheckOutcome.GONE,
        {"last_checked_at": NOW, "next_check_at": None},
        error="HTTP 410",
        state=replace(STATE, status=ArticleStatus.GONE, gone_at=NOW - dt.timedelta(days=3)),
    ),
    "a gone article's recheck fails": Case(
        page(error="connection refused"),
        CheckOutcome.ERROR,
        {
            "last_checked_at": NOW,
            "consecutive_failures": 1,
            "last_error": "connection refused",
            "next_check_at": NOW - dt.timedelta(hours=6) + dt.timedelta(days=1),
        },
        error="connection refused",
        state=replace(STATE, status=ArticleStatus.GONE, gone_at=NOW - dt.timedelta(hours=6)),
    ),
    "republished with an edit": Case(
        page(http_status=200, body_hash="b" * 40, html=V2_HTML, extracted=V2, region_key="k1 /html/body/article"),
        CheckOutcome.NEW_VERSION,
        {
            "last_checked_at": NOW,
            "body_hash": "b" * 40,
            "last_changed_at": NOW,
            "next_check_at": NOW + dt.timedelta(minutes=7.5),
            "version_count": 2,
            "status": ArticleStatus.ACTIVE,
            "gone_at": None,
        },
        kinds=("republished", "number"),
        version_seq=2,
        state=replace(STATE, status=ArticleStatus.GONE, gone_at=NOW - dt.timedelta(days=1)),
        extra={"republished": (1, 2, TRUCE_V1.title, TRUCE_V1.title, "high")},
    ),
    "empty extraction": Case(
        page(http_status=200, body_hash="b" * 40, extracted=replace(V1, text="Subscribe to read")),
        CheckOutcome.EMPTY_EXTRACTION,
        {"last_checked_at": NOW, "next_check_at": NEXT, "last_error": "extracted 17 characters"},
        error="extracted 17 characters",
    ),
    "tiny extraction": Case(
        page(http_status=200, body_hash="b" * 40, extracted=replace(V1, text=V1.text[:250])),
        CheckOutcome.EMPTY_EXTRACTION,
        {
            "last_checked_at": NOW,
            "next_check_at": NEXT,
            "last_error": f"extracted 250 characters, under 20% of the last version's {len(LONG.snapshot.text)}",
        },
        error=f"extracted 250 characters, under 20% of the last version's {len(LONG.snapshot.text)}",
        latest=LONG,
    ),
    "new version": Case(
        page(http_status=200, body_hash="b" * 40, html=V2_HTML, extracted=V2, region_key="k1 /html/body/article"),
        CheckOutcome.NEW_VERSION,
        # Changed just now: checked again after half the interval.
        {
            "last_checked_at": NOW,
            "body_hash": "b" * 40,
            "last_changed_at": NOW,
            "next_check_at": NOW + dt.timedelta(minutes=7.5),
            "version_count": 2,
        },
        kinds=("number",),
        version_seq=2,
    ),
    "first version": Case(
        page(http_status=200, body_hash="b" * 40, extracted=V1, region_key="k1 /html/body/article"),
        CheckOutcome.NEW_VERSION,
        {"last_checked_at": NOW, "body_hash": "b" * 40, "next_check_at": NEXT, "version_count": 1},
        version_seq=1,
        state=replace(STATE, version_count=0, last_checked_at=None, body_hash=None),
        latest=None,
    ),
    "superseded": Case(
        page(http_status=304, fetched_at=T0 - dt.timedelta(minutes=1)),
        CheckOutcome.SUPERSEDED,
        {},
        error="fetched before the check stored at 2026-11-25 09:00:00",
        version_seq=None,
    ),
    "redirect": Case(
        page(http_status=200, final_url=URL + "-moved", body_hash="a" * 40, previous_body_hash="a" * 40),
        CheckOutcome.UNCHANGED,
        {"last_checked_at": NOW, "next_check_at": NEXT, "final_url": URL + "-moved"},
        kinds=("redirected",),
        extra={"redirected": (1, 1, URL, URL + "-moved", "medium")},
    ),
    "back from the dead": Case(
        page(http_status=200, body_hash="a" * 40, previous_body_hash="a" * 40),
        CheckOutcome.UNCHANGED,
        # Back unchanged: a republished record to the same version; checked again sooner.
        {
            "last_checked_at": NOW,
            "next_check_at": NOW + dt.timedelta(minutes=7.5),
            "status": ArticleStatus.ACTIVE,
            "last_changed_at": NOW,
        },
        kinds=("republished",),
        state=replace(STATE, status=ArticleStatus.GONE),
    ),
}


def _decide(case: Case) -> Decision:
    latest = case.latest if needs_latest(case.page, case.state) else None
    return decide(case.page, case.state, latest, RULES, now=NOW, background=lambda: Background())


@pytest.mark.parametrize("name", CASES)
def test_a_fetch_decides_its_check_article_version_and_changes(name: str) -> None:
    case = CASES[name]
    decision = _decide(case)
    assert decision.outcome == case.outcome
    assert decision.update == case.update
    assert decision.change_kinds == case.kinds
    assert decision.check is not None
    check_at = NOW if case.outcome != CheckOutcome.SUPERSEDED else case.page.fetched_at
    assert (decision.check.checked_at, decision.check.outcome, decision.check.error) == (
        check_at,
        case.outcome,
        case.error,
    )
    assert decision.check.http_status == case.page.http_status and decision.check.duration_ms == 5.0
    assert decision.version_seq == case.version_seq
    assert (decision.version is not None) == (case.outcome == CheckOutcome.NEW_VERSION)
    for kind, (from_v, to_v, old, new, severity) in case.extra.items():
        (change,) = [c for c in decision.changes if c.kind == kind]
        assert (change.from_version, change.to_version, change.old, change.new, change.severity) == (
            from_v,
            to_v,
            old,
            new,
            severity,
        )
        assert change.detected_at == NOW


def test_a_new_version_carries_its_content_and_is_classified_against_the_latest() -> None:
    case = CASES["new version"]
    calls: list[int] = []

    def background() -> Background:
        calls.append(1)
        return Background()

    decision = decide(case.page, STATE, LATEST, RULES, now=NOW, background=background)
    version = decision.version
    assert version is not None and calls == [1]
    assert (version.seq, version.text, version.title, version.content_hash) == (2, V2.text, V2.title, content_hash(V2))
    assert version.raw == RawFetch(None, V2_HTML, NOW) and version.fetched_at == NOW
    (number,) = decision.changes
    assert (number.from_version, number.to_version, number.old_value, number.new_value) == (1, 2, 20000.0, 20057.0)
    assert decide(case.page, STATE, LATEST, replace(RULES, keep_raw=False), now=NOW).version.raw is None  # type: ignore[union-attr]


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n].outcome != CheckOutcome.NEW_VERSION])
def test_only_a_new_version_reads_the_site_background(name: str) -> None:
    def background() -> Background:
        raise AssertionError("background read for a page that adds no version")

    case = CASES[name]
    decide(case.page, case.state, case.latest, RULES, now=NOW, background=background)


def test_an_ab_test_folds_the_earlier_swings() -> None:
    b_title = "Truce talks collapse as reported Gaza death toll reaches 20,000"
    b = replace(V1, title=b_title, headlines={"h1": b_title})
    a = replace(V1, headlines={"h1": TRUCE_V1.title})
    latest = Latest(3, content_hash(a), snapshot_of(a))
    history = Background(headline_history=(V1.title, b_title))  # A → B → A, and now B again
    decision = decide(
        page(http_status=200, body_hash="c" * 40, extracted=b),
        replace(STATE, version_count=3),
        latest,
        RULES,
        now=NOW,
        background=lambda: history,
    )
    (flipflop,) = [c for c in decision.changes if c.kind == "headline_flipflop"]
    assert flipflop.folds is not None and flipflop.folds.kind == "metadata"
    assert {flipflop.folds.old, flipflop.folds.new} == {V1.title, b_title}
    assert "at version 4" in flipflop.folds.reason


def test_retiring_at_the_end_of_the_ladder() -> None:
    old = replace(STATE, first_seen_at=NOW - dt.timedelta(days=31))
    decision = decide(page(http_status=304), old, None, RULES, now=NOW)
    assert decision.update == {"last_checked_at": NOW, "next_check_at": None, "status": ArticleStatus.RETIRED}


def test_quiet_pages_decide_what_the_batch_can_write() -> None:
    for name in ("304", "same bytes, new validator", "same region, new furniture", "empty extraction"):
        case = CASES[name]
        assert is_quiet(case.page) and fits_batch(_decide(case)), name


def test_an_empty_extraction_reads_no_version_and_decides_as_if_it_had() -> None:
    case = CASES["empty extraction"]
    assert not needs_latest(case.page, case.state)
    read = decide(case.page, case.state, case.latest, RULES, now=NOW, background=lambda: Background())
    assert _decide(case) == read
    gone = replace(case.state, status=ArticleStatus.GONE)
    assert needs_latest(case.page, gone)  # its return names the last version's title
    for name in ("redirect", "new version", "first version", "gone", "superseded"):
        assert not fits_batch(_decide(CASES[name])), name


def test_not_quiet() -> None:
    base = FetchedPage(1, "http://news.test/1", http_status=200, body_hash="b" * 40, previous_body_hash="a" * 40)
    assert not is_quiet(base)  # new bytes: extraction decides
    assert not is_quiet(replace(base, previous_body_hash="b" * 40, final_url="http://news.test/moved"))
    assert not is_quiet(FetchedPage(1, "http://news.test/1", http_status=503, retry_after=30))
    assert not is_quiet(FetchedPage(1, "http://news.test/1", error="timeout"))
