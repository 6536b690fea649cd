"""Where alerts go: a registry of notifiers keyed by kind.

A target URL picks its notifier by scheme: ``http(s)://…`` is a plain webhook
(a JSON POST); anything else is an apprise URL (``mailto://``, ``slack://``,
``matrix://``, ``ntfy://``, ``json://`` …). A new notifier is one function
decorated with :func:`notifier` (the schemes it takes, and optionally a check of
a target) plus its row in docs/review.md. A notifier raises
:class:`DeliveryError` with the reason when a message did not get through.
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


def target_problem(target: str) -> str | None:
    """Why a target cannot be used, or None."""
    return NOTIFIERS[kind_of(target)].check(target)


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
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
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
    NOTIFIERS[kind_of(target)].send(target, message)
