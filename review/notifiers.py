"""Where alerts go: a registry of notifiers keyed by kind.

A target URL picks its notifier by scheme: ``http(s)://…`` is a plain webhook
(a JSON POST); anything else is an apprise URL (``mailto://``, ``slack://``,
``matrix://``, ``ntfy://``, ``json://`` …). A new notifier is one function
decorated with :func:`notifier` (the schemes it takes, and optionally a check of
a target) plus its row in docs/review.md. A notifier raises
:class:`DeliveryError` with the reason when a message did not get through.

Alert targets obey the same rule as crawl targets (spiders/safety.py): no
loopback, private or link-local address (a webhook to 127.0.0.1 or to a
cloud metadata address such as 169.254.169.254) unless
``REDLINE_ALLOW_PRIVATE=1``. Rules are checked when loaded (without DNS),
and every send again (with DNS, and every redirect hop of a webhook).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from spiders.safety import url_problem

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 10.0


class DeliveryError(Exception):
    """A message did not get through; the text says why."""


@dataclass(frozen=True)
class Message:
    rule: str
    mode: str  # immediate | digest
    title: str
    text: str  # plain text, already made inert
    changes: list[dict[str, Any]]
    html: str = ""  # the same as HTML: each change's word diff, every piece of article text escaped


Send = Callable[[str, Message], None]


@dataclass(frozen=True)
class Notifier:
    kind: str
    send: Send
    schemes: tuple[str, ...]  # the target URL schemes it takes; () takes what no other notifier does
    check: Callable[[str], str | None]  # why a target cannot be used, or None
    help: str


NOTIFIERS: dict[str, Notifier] = {}


def notifier(
    kind: str, *, schemes: tuple[str, ...] = (), check: Callable[[str], str | None] | None = None
) -> Callable[[Send], Send]:
    """Register ``fn`` to send messages to targets of these URL schemes; its docstring is its help."""

    def register(fn: Send) -> Send:
        help_ = (fn.__doc__ or kind).strip().splitlines()[0]
        NOTIFIERS[kind] = Notifier(kind, fn, schemes, check or (lambda target: None), help_)
        return fn

    return register


def kind_of(target: str) -> str:
    """The notifier a target URL picks: the one that names its scheme, else the catch-all one."""
    scheme = urlsplit(target).scheme
    named = [n.kind for n in NOTIFIERS.values() if scheme in n.schemes]
    return (named or [n.kind for n in NOTIFIERS.values() if not n.schemes])[0]


def target_problem(target: str, *, resolve: bool = False) -> str | None:
    """Why a target cannot be used (its notifier's check, then the private-address rule), or None."""
    return NOTIFIERS[kind_of(target)].check(target) or address_problem(target, resolve=resolve)


def target_host(target: str) -> str | None:
    """The host a target's messages go to, when the target names one (None for a cloud
    service such as ``slack://`` whose URL holds tokens, not a host)."""
    if urlsplit(target).scheme in ("http", "https"):
        return urlsplit(target).hostname
    import apprise

    plugin = apprise.Apprise.instantiate(target)
    # Apprise gives a plain-text `protocol` only to services one runs oneself
    # (json://, xml://, ntfy://host, mailto://…): their host is a real address.
    if not plugin or not getattr(plugin, "protocol", None):
        return None
    return getattr(plugin, "host", None) or None


def address_problem(target: str, *, resolve: bool = True) -> str | None:
    """Why messages must not go to ``target``'s host (spiders/safety.py's rule), or None."""
    host = target_host(target)
    if not host:
        return None
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return url_problem(f"http://{host}/", resolve=resolve)


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a webhook's redirect only to a target the safety rule allows."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if problem := url_problem(newurl):
            raise DeliveryError(f"refused redirect to {redact(newurl)}: {problem}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_SafeRedirects)


def _webhook_problem(target: str) -> str | None:
    return None if urlsplit(target).netloc else "a webhook URL needs a host"


def _apprise_problem(target: str) -> str | None:
    import apprise

    return None if apprise.Apprise().add(target) else "apprise does not know this kind of URL"


def redact(target: str) -> str:
    """A target as logs and tables show it: without user name or password."""
    parts = urlsplit(target)
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else target


@notifier("webhook", schemes=("http", "https"), check=_webhook_problem)
def send_webhook(target: str, message: Message) -> None:
    """POST the message as JSON: rule, mode, title, text, html and the changes in the API's shape."""
    body = json.dumps(
        {
            "rule": message.rule,
            "mode": message.mode,
            "title": message.title,
            "text": message.text,
            "html": message.html,
            "changes": message.changes,
        },
        ensure_ascii=False,
    ).encode("utf-8")
    request = urllib.request.Request(
        target, data=body, method="POST", headers={"Content-Type": "application/json", "User-Agent": "redline-alerts"}
    )
    try:
        with _opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} from {redact(target)}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"{redact(target)} unreachable: {reason}") from None


@notifier("apprise", check=_apprise_problem)
def send_apprise(target: str, message: Message) -> None:
    """Send title and text through apprise (e-mail, Slack, Matrix, ntfy…); as HTML where the service takes it.

    Apprise turns the HTML into text for services that only take text.
    """
    import apprise

    sender = apprise.Apprise()
    if not sender.add(target):
        raise DeliveryError(f"apprise does not know {redact(target)}")
    with apprise.LogCapture(level=logging.WARNING) as log:
        if message.html:
            ok = sender.notify(title=message.title, body=message.html, body_format=apprise.NotifyFormat.HTML)
        else:
            ok = sender.notify(title=message.title, body=message.text, body_format=apprise.NotifyFormat.TEXT)
        reason = " ".join(str(log.getvalue()).split())[-300:]
    if not ok:
        raise DeliveryError(f"apprise could not deliver to {redact(target)}: {reason or 'no reason given'}")


def deliver(target: str, message: Message) -> None:
    """Send ``message`` to ``target``, unless the safety rule refuses its address (checked at every send:
    a host name may resolve elsewhere than when the rules were loaded)."""
    if problem := target_problem(target, resolve=True):
        raise DeliveryError(f"refused {redact(target)}: {problem}")
    NOTIFIERS[kind_of(target)].send(target, message)
