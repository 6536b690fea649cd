"""How a crawl's settings become the rules a fetch is decided by.

Every ``REDLINE_*`` setting is read (here, in pipeline/pipelines.py and in
spiders/) through :func:`setting`, its default written once, in settings.py.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TypeVar

from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings, Settings

from pipeline.outcome import Rules
from pipeline.recheck import RecheckPolicy

T = TypeVar("T")


def setting(
    settings: BaseSettings,
    name: str,
    read: Callable[[str], T],
    check: Callable[[T], bool] | None = None,
    wants: str = "",
) -> T:
    """``read(name)`` (``settings.getint`` and the like), or UsageError naming ``name``.

    The default is settings.py's, never repeated here. ``check`` rejects a value
    that reads but makes no sense; ``wants`` says what would.
    """
    if name not in settings:
        raise UsageError(f"{name} is not set: settings.py defines every REDLINE_* default")
    try:
        value = read(name)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{name}={settings.get(name)!r}: {wants or exc}") from exc
    if check is not None and not check(value):
        raise UsageError(f"{name}={settings.get(name)!r}: {wants}")
    return value


def rules_from(settings: BaseSettings) -> Rules:
    """The rules a fetch is decided by, from REDLINE_RECHECK, REDLINE_TIME_SCALE,
    REDLINE_MIN_TEXT_RATIO and REDLINE_STORE_RAW_HTML."""
    scale = setting(settings, "REDLINE_TIME_SCALE", settings.getfloat, lambda x: x > 0, "a factor above 0")
    recheck = setting(settings, "REDLINE_RECHECK", settings.getdict)
    try:
        policy = RecheckPolicy.from_mapping(recheck, time_scale=scale)
    except (TypeError, ValueError, KeyError) as exc:
        raise UsageError(f"REDLINE_RECHECK: {exc}") from exc
    return Rules(
        policy,
        setting(settings, "REDLINE_MIN_TEXT_RATIO", settings.getfloat, lambda r: 0 <= r <= 1, "a share from 0 to 1"),
        setting(settings, "REDLINE_STORE_RAW_HTML", settings.getbool),
        _confirm_after(settings, scale),
    )


def _confirm_after(settings: BaseSettings, scale: float) -> dt.timedelta | None:
    seconds = setting(settings, "REDLINE_CONFIRM_AFTER", settings.getfloat, lambda s: s >= 0, "seconds, 0 or more")
    return dt.timedelta(seconds=seconds / scale) if seconds else None


@functools.cache
def project_rules() -> Rules:
    """The rules settings.py gives, for code that stores pages outside a crawl (tests, benchmarks)."""
    settings = Settings()
    settings.setmodule("settings", priority="project")
    return rules_from(settings)
