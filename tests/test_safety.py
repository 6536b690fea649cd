"""redline refuses to fetch what a hostile page or feed could point it at."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from spiders.safety import SafeTargetsMiddleware, url_problem
from tests.conftest import Redline

REFUSED = [
    ("file:///etc/passwd", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("ftp://example.org/a", "scheme"),
    ("http://127.0.0.1:8080/admin", "private or loopback"),
    ("http://[::1]/", "private or loopback"),
    ("http://10.1.2.3/", "private or loopback"),
    ("http://192.168.0.1/router", "private or loopback"),
    ("http://169.254.169.254/latest/meta-data/", "private or loopback"),  # cloud metadata
    ("http://localhost:5432/", "local host name"),
    ("http://intranet.local/", "local host name"),
    ("http://exa mple.org/", "whitespace"),
    ("http:///no-host", "no host"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_refused_without_the_allowance(url: str, reason: str) -> None:
    problem = url_problem(url, allow_private=False, resolve=False)
    assert problem is not None and reason in problem


def test_public_addresses_and_names_pass() -> None:
    assert url_problem("https://93.184.215.14/news/a", allow_private=False) is None
    assert url_problem("https://news.example.org/a?b=1", allow_private=False, resolve=False) is None


def test_allowance_opens_private_addresses_but_never_other_schemes() -> None:
    assert url_problem("http://127.0.0.1:8080/a", allow_private=True) is None
    assert url_problem("file:///etc/passwd", allow_private=True) is not None


def test_middleware_refuses_each_hop() -> None:
    middleware = SafeTargetsMiddleware(allow_private=False)
    assert middleware.process_request(Request("https://93.184.215.14/a")) is None
    with pytest.raises(IgnoreRequest, match="refused target"):
        middleware.process_request(Request("http://169.254.169.254/latest/meta-data/"))


def test_track_refuses_loopback_unless_allowed(redline: Redline, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDLINE_ALLOW_PRIVATE")
    proc = redline("track", "http://127.0.0.1:9/a", "file:///etc/passwd", check=False)
    assert proc.returncode == 1
    assert "private or loopback" in proc.stderr and "scheme" in proc.stderr
    monkeypatch.setenv("REDLINE_ALLOW_PRIVATE", "1")
    assert "tracking" in redline("track", "http://127.0.0.1:9/a").stdout
