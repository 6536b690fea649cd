"""Reading redline's ``REDLINE_*`` settings inside ``from_crawler``.

Every default is written once, in ``settings.py``; a component reads the value
with the ``Settings`` getter for its type and never repeats it. A value that
cannot be read raises :class:`scrapy.exceptions.UsageError` naming the setting,
so ``redline crawl -s REDLINE_STORE_BATCH=many`` stops with one clear line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

T = TypeVar("T")


def setting(
    settings: BaseSettings,
    name: str,
    read: Callable[[str], T],
    check: Callable[[T], bool] | None = None,
    wants: str = "",
) -> T:
    """``read(name)`` (``settings.getint`` and the like), or UsageError naming ``name``.

    ``check`` rejects a value that reads but makes no sense; ``wants`` says what would.
    """
    if settings.get(name) is None and name not in settings:
        raise UsageError(f"{name} is not set: settings.py defines every REDLINE_* default")
    try:
        value = read(name)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{name}={settings.get(name)!r}: {wants or exc}") from exc
    if check is not None and not check(value):
        raise UsageError(f"{name}={settings.get(name)!r}: {wants}")
    return value
