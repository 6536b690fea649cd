"""Alerts against a local webhook receiver: one message per change, digests, retries, apprise."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from review.alerts import MAX_ATTEMPTS, RuleError, load_rules, parse_rules, run_alerts
from storage.db import session_scope
from storage.models import AlertDelivery
from tests.conftest import Redline
from tests.localsite import LoopbackServer
from tests.reviewdata import TRUCE_URL, fill


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records what it is sent; it can fail the first N requests."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.requests = 0
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests += 1
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                receiver.messages.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = LoopbackServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _rules(target: str, **rule: Any) -> list[Any]:
    return parse_rules({"rule": [{"name": "tolls", "targets": [target], **rule}]})


def _deliveries(db_url: str) -> list[tuple[int, str, int, str | None]]:
    with session_scope(db_url) as session:
        rows = session.scalars(select(AlertDelivery).order_by(AlertDelivery.change_id))
        return [(d.change_id, d.status, d.attempts, d.last_error) for d in rows]


def test_one_message_per_change_and_never_twice(db_url: str, receiver: Receiver) -> None:
    room = fill(db_url)
    rules = _rules(receiver.url, kinds=["number"], keywords=["killed"])
    first = run_alerts(room.db_url, rules)
    assert (first.matched, first.sent, first.messages, first.failed) == (2, 2, 2, 0)
    assert sorted(m["changes"][0]["new"] for m in receiver.messages) == ["20,057", "20,100"]
    assert all(len(m["changes"]) == 1 and m["mode"] == "immediate" for m in receiver.messages)
    assert "more than 20,000 → 20,057" in next(m["text"] for m in receiver.messages if "20,057" in m["text"])

    again = run_alerts(room.db_url, rules)
    assert (again.matched, again.sent) == (0, 0)
    assert len(receiver.messages) == 2
    # A second rule pointing at the same target does not announce the same change again.
    both = parse_rules(
        {
            "rule": [
                {"name": "tolls", "targets": [receiver.url], "kinds": ["number"]},
                {"name": "everything high", "targets": [receiver.url], "min_severity": "high"},
            ]
        }
    )
    run_alerts(room.db_url, both)
    announced = [m["changes"][0]["id"] for m in receiver.messages]
    assert len(announced) == len(set(announced))


def test_keywords_severity_and_outlets_select_changes(tmp_path: Path, receiver: Receiver) -> None:
    room = fill(f"sqlite:///{tmp_path / 'a.db'}")
    run_alerts(room.db_url, _rules(receiver.url, keywords=["Death Toll"], min_severity="high"))
    got = {(m["changes"][0]["article_url"], m["changes"][0]["kind"]) for m in receiver.messages}
    assert got == {(TRUCE_URL, "headline")}  # the only change that says "death toll"
    receiver.messages.clear()
    other = parse_rules(
        {
            "rule": [
                {
                    "name": "killed",
                    "targets": [receiver.url + "2"],
                    "keywords": ["killed"],
                    "outlets": ["harbour.example"],
                }
            ]
        }
    )
    run_alerts(room.db_url, other)
    got = {(m["changes"][0]["article_url"], m["changes"][0]["kind"]) for m in receiver.messages}
    assert got == {(TRUCE_URL, "number")}  # bay.example reports a toll too, but is not this rule's outlet


def test_digest_groups_changes_in_one_message(tmp_path: Path, receiver: Receiver) -> None:
    room = fill(f"sqlite:///{tmp_path / 'd.db'}")
    rules = _rules(receiver.url, min_severity="high", mode="digest", digest_every="1h")
    summary = run_alerts(room.db_url, rules)
    assert (summary.messages, summary.sent) == (1, summary.matched)
    [digest] = receiver.messages
    assert digest["mode"] == "digest" and len(digest["changes"]) == summary.matched >= 3
    assert {c["kind"] for c in digest["changes"]} >= {"number", "headline"}
    assert digest["title"].startswith("redline digest (tolls)")
    sent = _deliveries(room.db_url)
    assert {s for _, s, _, _ in sent} == {"sent"}


def test_failed_send_is_recorded_and_retried(tmp_path: Path, receiver: Receiver) -> None:
    room = fill(f"sqlite:///{tmp_path / 'r.db'}")
    rules = _rules(receiver.url, kinds=["number"])
    receiver.fail_next = 1
    first = run_alerts(room.db_url, rules)
    assert (first.failed, first.sent) == (1, 1)
    rows = _deliveries(room.db_url)
    failed = [r for r in rows if r[1] == "failed"]
    assert len(failed) == 1 and failed[0][2] == 1 and "HTTP 503" in (failed[0][3] or "")

    second = run_alerts(room.db_url, rules)
    assert (second.failed, second.sent, second.matched) == (0, 1, 0)
    assert [(s, a) for _, s, a, _ in _deliveries(room.db_url)] in (
        [("sent", 2), ("sent", 1)],
        [("sent", 1), ("sent", 2)],
    )
    assert len(receiver.messages) == 2
    assert len({m["changes"][0]["id"] for m in receiver.messages}) == 2


def test_unreachable_target_gives_up_after_max_attempts(tmp_path: Path, receiver: Receiver) -> None:
    room = fill(f"sqlite:///{tmp_path / 'g.db'}")
    dead = "http://127.0.0.1:9/hook"  # nothing listens on the discard port
    rules = parse_rules(
        {
            "rule": [
                {"name": "dead", "targets": [dead], "kinds": ["number"]},
                {"name": "alive", "targets": [receiver.url], "kinds": ["number"]},
            ]
        }
    )
    for _ in range(MAX_ATTEMPTS + 1):
        run_alerts(room.db_url, rules)
    with session_scope(room.db_url) as session:
        rows = session.scalars(select(AlertDelivery)).all()
        dead_rows = [(d.status, d.attempts) for d in rows if d.target == dead]
        assert dead_rows == [("gave_up", MAX_ATTEMPTS)] * 2
        assert all("unreachable" in (d.last_error or "") for d in rows if d.target == dead)
    assert len(receiver.messages) == 2  # the dead target never held up the other rule


def test_apprise_target_through_local_json_endpoint(tmp_path: Path, receiver: Receiver) -> None:
    room = fill(f"sqlite:///{tmp_path / 'ap.db'}")
    target = receiver.url.replace("http://", "json://")
    summary = run_alerts(room.db_url, _rules(target, kinds=["number"]))
    assert (summary.sent, summary.failed) == (2, 0)
    assert len(receiver.messages) == 2
    assert all("people killed" in m["message"] for m in receiver.messages)  # apprise's JSON shape


def test_rules_file_errors_are_clear(tmp_path: Path) -> None:
    cases = {
        "[[rule]]\nname='x'\ntargets=['http://127.0.0.1/h']\nkinds=['nubmer']\n": "unknown kind 'nubmer'",
        "[[rule]]\nname='x'\ntargets=['http://127.0.0.1/h']\nmode='weekly'\n": "unknown mode 'weekly'",
        "[[rule]]\nname='x'\n": "no targets",
        "[[rule]]\nname='x'\ntargets=['nonsense://q']\n": "apprise does not know",
        "[[rule]]\nname='x'\ntargets=['http://127.0.0.1/h']\ncolour='red'\n": "unknown key(s) colour",
        "rule = [": "not valid TOML",
    }
    for text, message in cases.items():
        path = tmp_path / "alerts.toml"
        path.write_text(text)
        with pytest.raises(RuleError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_rules(path)


def test_alerts_cli(tmp_path: Path, receiver: Receiver) -> None:
    room = fill(f"sqlite:///{tmp_path / 'cli.db'}")
    redline = Redline(room.db_url, tmp_path)
    (tmp_path / "alerts.toml").write_text(
        f"[[rule]]\nname = 'tolls'\nkinds = ['number']\ntargets = ['{receiver.url}']\n"
    )
    assert "tolls: immediate, kinds number" in redline("alerts", "check").stdout
    assert "2 change(s) sent in 2 message(s)" in redline("alerts", "run").stdout
    listed = json.loads(redline("alerts", "list", "--format", "json").stdout)
    assert [d["status"] for d in listed] == ["sent", "sent"]
    receiver.close()  # now the target is down: the run says so and exits 2
    (tmp_path / "alerts.toml").write_text(f"[[rule]]\nname = 'all'\ntargets = ['{receiver.url}']\n")
    failed = redline("alerts", "run", check=False)
    assert failed.returncode == 2 and "failed (retried next run)" in failed.stdout


def test_alerts_run_keeps_going_with_every(tmp_path: Path, receiver: Receiver) -> None:
    room = fill(f"sqlite:///{tmp_path / 'every.db'}")
    redline = Redline(room.db_url, tmp_path)
    (tmp_path / "alerts.toml").write_text(
        f"[[rule]]\nname = 'tolls'\nkinds = ['number']\ntargets = ['{receiver.url}']\n"
    )
    receiver.fail_next = 2  # both changes fail in round one, go out in round two
    out = redline("alerts", "run", "--every", "0.1", "--rounds", "2").stdout.splitlines()
    assert out[0].endswith("2 failed (retried next run); 0 waiting for a digest")
    assert "2 change(s) sent in 2 message(s)" in out[1]
    assert len(receiver.messages) == 2


PRIVATE_TARGETS = [
    "http://127.0.0.1:8080/hook",
    "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "https://[::1]/hook",
    "http://localhost/hook",
    "json://127.0.0.1:8080/hook",
    "jsons://169.254.169.254/",
    "ntfy://10.0.0.5/alerts",
]


@pytest.mark.parametrize("target", PRIVATE_TARGETS)
def test_private_alert_targets_refused_without_the_allowance(target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The crawl's private-address rule (spiders/safety.py) holds for alert targets too."""
    monkeypatch.delenv("REDLINE_ALLOW_PRIVATE")
    with pytest.raises(RuleError, match=r"private or loopback|local host name"):
        _rules(target)
    monkeypatch.setenv("REDLINE_ALLOW_PRIVATE", "1")
    assert _rules(target)  # the explicit allowance, as for crawls


def test_cloud_alert_targets_are_not_mistaken_for_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDLINE_ALLOW_PRIVATE")
    assert _rules("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ")
    assert _rules("https://hooks.example/redline")


def test_send_refused_when_allowance_is_gone(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked again at every send: loaded with the allowance, sent without it, nothing goes out."""
    room = fill(f"sqlite:///{tmp_path / 'gone.db'}")
    rules = _rules(receiver.url, kinds=["number"])
    monkeypatch.delenv("REDLINE_ALLOW_PRIVATE")
    summary = run_alerts(room.db_url, rules)
    assert (summary.sent, summary.failed, receiver.requests) == (0, 2, 0)
    assert all("private or loopback" in (error or "") for *_, error in _deliveries(room.db_url))


def test_webhook_redirect_to_private_address_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A webhook that redirects to the metadata address is not followed there."""
    from review import notifiers
    from spiders import safety

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = LoopbackServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Only the test's own 127.0.0.1 receiver is allowed; every other private address is not.
    monkeypatch.setattr(
        notifiers,
        "url_problem",
        lambda url, **kw: None if "127.0.0.1" in url else safety.url_problem(url, allow_private=False),
    )
    message = notifiers.Message("r", "immediate", "t", "x", [])
    try:
        with pytest.raises(notifiers.DeliveryError, match=r"refused redirect to http://169\.254\.169\.254"):
            notifiers.deliver(f"http://127.0.0.1:{server.server_address[1]}/hook", message)
    finally:
        server.shutdown()
        server.server_close()


def test_messages_carry_the_word_diff_as_html(tmp_path: Path, receiver: Receiver) -> None:
    room = fill(f"sqlite:///{tmp_path / 'html.db'}")
    run_alerts(room.db_url, _rules(receiver.url, kinds=["number"], outlets=["harbour.example"]))
    (message,) = receiver.messages
    assert "<del>more than 20,000</del><ins>20,057</ins> people have been killed" in message["html"]
    assert ">Truce talks falter as Gaza death toll passes 20,000</a>" in message["html"]  # the headline, linked
    assert "more than 20,000 → 20,057" in message["text"]  # the plain text stays
