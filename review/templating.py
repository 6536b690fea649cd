"""The Jinja2 environment shared by the web UI, the HTML report and the diff card.

Autoescaping is on for every template, and every piece of article text goes
through the ``t`` filter first, which makes bidi and zero-width characters
visible (see review/inert.py).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape

from review.inert import inert
from review.render import iso
from storage.sites import outlet_of


def _when(value: dt.datetime | str | None) -> str:
    """A time as people read it, to the minute: ``2026-11-25 05:12 UTC`` (rows carry ISO strings)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _query(params: list[tuple[str, str]], **extra: Any) -> str:
    pairs = [(k, v) for k, v in params if k not in extra] + [(k, str(v)) for k, v in extra.items() if v is not None]
    return urlencode(pairs)


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("review", "templates"),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["t"] = inert
    env.filters["iso"] = iso
    env.filters["when"] = _when
    env.filters["outlet"] = outlet_of
    env.globals["query"] = _query
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
