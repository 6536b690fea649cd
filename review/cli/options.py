"""Options several commands share, each turned into the value the command needs."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import click

from pipeline.kinds import KINDS, SEVERITIES
from review.cli.group import current
from review.filters import MAX_LIMIT, FilterError, parse_filter
from storage import review_queries
from storage.db import session_scope

Command = Callable[..., None]


def change_filter(*, limit: int = 1000, default_since: str | None = None) -> Callable[[Command], Command]:
    """--kind, --outlet, --min-severity, --since, --search → one checked ``flt: ChangeFilter`` argument.

    The same filter language as the web UI and the API (review/filters.py); a bad
    value is a usage error naming the option. ``default_since`` applies when
    --since is not given; ``limit`` caps the rows (beyond the web's MAX_LIMIT too).
    """

    def decorate(command: Command) -> Command:
        @functools.wraps(command)
        def with_filter(
            *args: Any,
            kinds: tuple[str, ...],
            outlets: tuple[str, ...],
            min_severity: str,
            since: str | None,
            q: str | None,
            **kwargs: Any,
        ) -> None:
            known = None
            if outlets:
                with session_scope(current().db) as session:
                    known = review_queries.known_outlets(session)
            try:
                flt = parse_filter(
                    kinds=kinds,
                    outlets=outlets,
                    severity=min_severity,
                    since=since or default_since,
                    q=q,
                    limit=min(limit, MAX_LIMIT),
                    known_outlets=known,
                )
            except FilterError as exc:
                raise click.BadParameter(str(exc), param_hint=f"'--{exc.field}'") from None
            command(*args, flt=dataclasses.replace(flt, limit=limit), **kwargs)

        for option in reversed(
            [
                click.option(
                    "--kind", "kinds", multiple=True, type=click.Choice(sorted(KINDS)), help="Only these kinds."
                ),
                click.option("--outlet", "outlets", multiple=True, help="Only these outlets (host names)."),
                click.option(
                    "--min-severity",
                    type=click.Choice(SEVERITIES),
                    default="low",
                    show_default=True,
                    help="Hide less severe records (info = metadata too).",
                ),
                click.option("--since", help="Only changes detected since: 24h, 7d, or an ISO date."),
                click.option("--search", "q", help="Text search in old/new text, context and URL."),
            ]
        ):
            with_filter = option(with_filter)
        return with_filter

    return decorate
