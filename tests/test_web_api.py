"""The JSON API, the feed and the exports of `redline serve`, on a database the pipeline filled."""

from __future__ import annotations

import csv
import io
import json
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Redline
from tests.reviewdata import BAY_URL, HOSTILE_URL, TRUCE_URL, TRUCE_V2_TITLE, Newsroom, fill

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from review.web import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def room(db_url: str) -> Newsroom:
    return fill(db_url)


@pytest.fixture
def client(room: Newsroom) -> Iterator[TestClient]:
    with TestClient(create_app(room.db_url)) as c:
        yield c


@pytest.fixture
def sqlite_client(tmp_path: Path) -> Iterator[tuple[TestClient, Newsroom]]:
    room = fill(f"sqlite:///{tmp_path / 'web.db'}")
    with TestClient(create_app(room.db_url)) as c:
        yield c, room


def test_changes_endpoint_filters(client: TestClient, room: Newsroom) -> None:
    everything = client.get("/api/changes").json()
    assert everything["count"] == len(everything["changes"]) > 0
    numbers_page = client.get("/api/changes", params={"kind": ["number", "headline"]}).json()
    assert numbers_page["filters"]["kind"] == ["number", "headline"]
    numbers = client.get("/api/changes", params={"kind": "number"}).json()["changes"]
    assert {(c["article_url"], c["old"], c["new"]) for c in numbers} == {
        (TRUCE_URL, "more than 20,000", "20,057"),
        (BAY_URL, "more than 19,800", "20,100"),
    }
    bay = client.get("/api/changes", params={"outlet": "bay.example"}).json()["changes"]
    assert bay and {c["outlet"] for c in bay} == {"bay.example"}
    found = client.get("/api/changes", params={"q": "20,057"}).json()["changes"]
    assert [c["new"] for c in found] == ["20,057"]
    high = client.get("/api/changes", params={"severity": "high"}).json()["changes"]
    assert high and all(c["severity"] == "high" for c in high)
    assert {c["kind"] for c in high} < {c["kind"] for c in everything["changes"]}
    assert client.get("/api/changes", params={"since": "30m"}).json()["changes"] == []
    assert client.get("/api/changes", params={"since": "2h"}).json()["count"] == everything["count"]
    stealth = client.get("/api/changes", params={"stealth": "true"}).json()["changes"]
    assert all(c["stealth"] for c in stealth)
    page = client.get("/api/changes", params={"limit": 2, "offset": 1}).json()["changes"]
    assert [c["id"] for c in page] == [c["id"] for c in everything["changes"][1:3]]

    one = everything["changes"][0]
    assert client.get(f"/api/changes/{one['id']}").json() == one
    assert client.get("/api/changes/99999").status_code == 404


@pytest.mark.parametrize(
    ("params", "field", "allowed_sample"),
    [
        ({"kind": "nubmer"}, "kind", "number"),
        ({"severity": "huge"}, "severity", "high"),
        ({"outlet": "nowhere.example"}, "outlet", "harbour.example"),
        ({"since": "last tuesday"}, "since", None),
        ({"stealth": "maybe"}, "stealth", "true"),
        ({"limit": "0"}, "limit", None),
    ],
)
def test_unknown_filter_values_are_400_with_allowed_values(
    sqlite_client: tuple[TestClient, Newsroom], params: dict[str, str], field: str, allowed_sample: str | None
) -> None:
    client, _ = sqlite_client
    for path in ("/api/changes", "/feed.atom", "/export/changes.csv"):
        response = client.get(path, params=params)
        assert response.status_code == 400, (path, response.text)
        body = response.json()
        assert body["field"] == field and body["allowed"]
        if allowed_sample:
            assert allowed_sample in body["allowed"]
    html = client.get("/", params=params)
    assert html.status_code == 400 and "Allowed values" in html.text


def test_article_endpoints(client: TestClient, room: Newsroom) -> None:
    aid = room.ids["truce"]
    listed = client.get("/api/articles").json()["articles"]
    assert {a["url"] for a in listed} == {TRUCE_URL, BAY_URL, HOSTILE_URL}
    history = client.get(f"/api/articles/{aid}").json()
    assert [v["version"] for v in history["versions"]] == [1, 2]
    assert history["versions"][1]["title"] == TRUCE_V2_TITLE
    assert client.get(f"/api/articles/{aid}/versions/2").json()["title"] == TRUCE_V2_TITLE
    assert client.get(f"/api/articles/{aid}/versions/3").status_code == 404
    assert client.get("/api/articles/999").status_code == 404

    diff = client.get(f"/api/articles/{aid}/diff", params={"from": 1, "to": 2}).json()
    assert {"op": "insert", "text": "20,057"} in diff["segments"]
    assert any(s["op"] == "delete" and "20,000" in s["text"] for s in diff["segments"])
    backwards = client.get(f"/api/articles/{aid}/diff", params={"from": 2, "to": 1}).json()
    assert {"op": "delete", "text": "20,057"} in backwards["segments"]

    checks = client.get(f"/api/articles/{aid}/checks").json()
    assert [c["outcome"] for c in checks["checks"]] == ["new_version", "new_version"]

    figures = client.get(f"/api/articles/{aid}/figures").json()["figures"]
    killed = next(f for f in figures if f["context"] == "people killed")
    assert killed["changed"] and [p["value"] for p in killed["points"]] == [20000.0, 20057.0]


def test_figures_across_articles_and_reference_endpoints(client: TestClient, room: Newsroom) -> None:
    series = client.get("/api/figures", params={"q": "killed"}).json()["series"]
    by_article = {s["points"][0]["article_id"]: [p["value"] for p in s["points"]] for s in series}
    assert by_article == {room.ids["truce"]: [20000.0, 20057.0], room.ids["bay"]: [19800.0, 20100.0]}
    missing = client.get("/api/figures")  # q is required
    assert missing.status_code == 400 and missing.json()["problems"] == ["q: Field required"]
    assert client.get("/api/changes", params={"limit": "lots"}).status_code == 400
    kinds = client.get("/api/kinds").json()
    assert "number" in kinds["kinds"] and kinds["severities"] == ["info", "low", "medium", "high"]
    assert client.get("/api/outlets").json() == {"outlets": ["bay.example", "harbour.example"]}


def test_openapi_document_validates(sqlite_client: tuple[TestClient, Newsroom]) -> None:
    from openapi_spec_validator import validate

    client, _ = sqlite_client
    spec = client.get("/openapi.json").json()
    validate(spec)
    paths = set(spec["paths"])
    assert {
        "/api/changes",
        "/api/changes/{change_id}",
        "/api/articles",
        "/api/articles/{article_id}",
        "/api/articles/{article_id}/versions/{seq}",
        "/api/articles/{article_id}/diff",
        "/api/articles/{article_id}/checks",
        "/api/articles/{article_id}/figures",
        "/api/figures",
        "/api/kinds",
        "/api/outlets",
        "/feed.atom",
        "/export/{name}",
    } <= paths
    assert not any(p.startswith("/articles") for p in paths), "HTML pages stay out of the API document"


def test_atom_feed_is_valid_xml_with_inert_text(sqlite_client: tuple[TestClient, Newsroom]) -> None:
    client, _ = sqlite_client
    response = client.get("/feed.atom", params={"kind": ["number", "headline"]})
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    entries = root.findall(f"{ATOM}entry")
    kinds = {e.find(f"{ATOM}category").get("term") for e in entries}  # type: ignore[union-attr]
    assert kinds == {"number", "headline"}
    titles = [e.findtext(f"{ATOM}title") or "" for e in entries]
    assert any("20,057" in t for t in titles)
    hostile = next(t for t in titles if "__pwned" in t)
    assert "<script>" in hostile  # as characters in a text element, not markup
    assert "⟨U+202E⟩" in hostile and "\u202e" not in hostile
    assert b"<script>" not in response.content
    for entry in entries:
        assert entry.find(f"{ATOM}summary").get("type") == "text"  # type: ignore[union-attr]


def test_exports(sqlite_client: tuple[TestClient, Newsroom]) -> None:
    client, room = sqlite_client
    rows = list(csv.DictReader(io.StringIO(client.get("/export/changes.csv").text)))
    assert {r["kind"] for r in rows} >= {"number", "headline"}
    number = next(r for r in rows if r["new"] == "20,057")
    assert number["old_value"] == "20000.0" and json.loads(number["details"])["delta"] == 57.0

    lines = client.get("/export/changes.jsonl", params={"kind": "number"}).text.splitlines()
    assert sorted(json.loads(line)["new"] for line in lines) == ["20,057", "20,100"]

    pairs = [
        json.loads(line)
        for line in client.get(
            "/export/newsedits.jsonl", params={"outlet": "harbour.example", "kind": "number"}
        ).text.splitlines()
    ]
    assert {p["article_id"] for p in pairs} == {room.ids["truce"]}
    edited = [p for p in pairs if p["label"] == "edited"]
    assert len(edited) == 1
    assert "more than 20,000" in edited[0]["sentence_x"] and "20,057" in edited[0]["sentence_y"]
    assert sum(p["label"] == "unchanged" for p in pairs) >= 5
    assert client.get("/export/changes.xlsx").status_code == 400


def test_csv_cells_cannot_become_formulas(tmp_path: Path) -> None:
    from review.export import _cell

    assert _cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("20,057") == "20,057"
    assert _cell(None) == ""


def test_token_required_when_configured(tmp_path: Path) -> None:
    room = fill(f"sqlite:///{tmp_path / 'tok.db'}")
    with TestClient(create_app(room.db_url, token="s3cret")) as client:
        assert client.get("/api/changes").status_code == 401
        assert client.get("/").status_code == 401
        assert client.get("/api/changes", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/changes", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert client.get("/", params={"token": "s3cret"}).status_code == 200
        assert client.get("/articles").status_code == 200  # the cookie set by ?token= carries on


def test_serve_refuses_public_bind_without_token(redline: Redline) -> None:
    proc = redline("serve", "--host", "0.0.0.0", "--port", "1", check=False)
    assert proc.returncode == 1
    assert "give --token" in proc.stderr and "Traceback" not in proc.stderr
