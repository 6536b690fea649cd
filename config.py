"""`redline.toml`: sources, the recheck policy and daemon options, validated as a whole.

Every error names the file, the line and the field, and nothing is applied
unless the whole file is valid::

    redline.toml:14: sources[2].every: expected a duration like "10m", got 5
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pipeline.durations import parse_duration
from pipeline.overrides import overrides_problem
from spiders.safety import url_problem
from spiders.source_kinds import SOURCE_KINDS
from storage.sources import add_source, all_sources, forget_fetch_state, remove_source

# Not a parser but the outlet search (spiders/outlet.py), which chooses one of them.
AUTO = "auto"


class ConfigError(ValueError):
    """A bad configuration file; the message says file:line: field: what is wrong."""


def not_utf8(exc: UnicodeDecodeError) -> str:
    """What is wrong with a file that is not UTF-8, in a few words."""
    return f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"


@dataclass
class SourceConfig:
    url: str
    kind: str
    name: str | None = None
    every: float = 600.0
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    overrides: dict[str, Any] | None = None
    render: str | None = None  # None: plain HTTP; "browser": headless Chromium (spiders/browser.py)


@dataclass
class Config:
    path: str
    sources: list[SourceConfig] = field(default_factory=list)
    recheck: dict[str, Any] = field(default_factory=dict)
    daemon: dict[str, Any] = field(default_factory=dict)
    retention: dict[str, Any] = field(default_factory=dict)  # seconds, storage/retention.py


class _Lines:
    """Find the line of a field: tomllib keeps no positions, so scan the text."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.lines = text.splitlines()

    def _table_start(self, header: str, index: int = 0) -> int:
        pattern = re.compile(rf"^\s*\[{{1,2}}\s*{re.escape(header)}\s*\]{{1,2}}")
        hits = [i for i, line in enumerate(self.lines) if pattern.match(line)]
        return hits[index] if index < len(hits) else 0

    def line_of(self, header: str | None, key: str | None, index: int = 0) -> int:
        start = self._table_start(header, index) if header else 0
        if key:
            key_re = re.compile(rf"^\s*{re.escape(key)}\s*=")
            for i in range(start + (1 if header else 0), len(self.lines)):
                if header and i > start and self.lines[i].lstrip().startswith("["):
                    break
                if key_re.match(self.lines[i]):
                    return i + 1
        return start + 1

    def error(self, header: str | None, key: str | None, label: str, message: str, index: int = 0) -> ConfigError:
        return ConfigError(f"{self.path}:{self.line_of(header, key, index)}: {label}: {message}")


def _regexes(value: Any, where: _Lines, i: int, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error("sources", key, f"sources[{i + 1}].{key}", "expected a list of regular expressions", i)
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise where.error("sources", key, f"sources[{i + 1}].{key}", f"bad pattern {pattern!r}: {exc}", i) from None
    return list(value)


SOURCE_KEYS = {"url", "kind", "name", "every", "allow", "deny", "overrides", "render"}
RENDERS = ("plain", "browser")
RECHECK_KEYS = {
    "ladder",
    "retire_after",
    "after_change",
    "quiet_stretch",
    "quiet_below",
    "jitter",
    "domain_budget",
    "failure_backoff",
    "max_backoff",
}
DAEMON_KEYS = {"metrics_port", "batch_size", "database"}
RETENTION_KEYS = {"checks"}


def load_config(path: str | Path) -> Config:
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read: {not_utf8(exc)}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's message ends "(at line 2, column 21)"; newer ones also have exc.lineno.
        found = re.search(r"line (\d+)", str(exc))
        line = getattr(exc, "lineno", None) or (found.group(1) if found else "?")
        raise ConfigError(f"{path}:{line}: not valid TOML: {exc}") from None
    where = _Lines(path, text)
    for key in data:
        if key not in ("sources", "recheck", "daemon", "retention"):
            raise where.error(key, None, key, "unknown table (expected sources, recheck, daemon, retention)")
    config = Config(path)
    sources = data.get("sources", [])
    if not isinstance(sources, list):
        raise where.error(None, "sources", "sources", "expected [[sources]] tables")
    for i, raw in enumerate(sources):
        label = f"sources[{i + 1}]"
        for key in raw:
            if key not in SOURCE_KEYS:
                raise where.error(
                    "sources", key, f"{label}.{key}", f"unknown key (expected {', '.join(sorted(SOURCE_KEYS))})", i
                )
        url = raw.get("url")
        if not isinstance(url, str):
            raise where.error("sources", "url", f"{label}.url", "required, a URL string", i)
        if problem := url_problem(url, resolve=False):
            raise where.error("sources", "url", f"{label}.url", problem, i)
        kind = raw.get("kind")
        if kind not in SOURCE_KINDS and kind != AUTO:
            kinds = ", ".join([*SOURCE_KINDS, AUTO])
            raise where.error("sources", "kind", f"{label}.kind", f"expected one of {kinds}, got {kind!r}", i)
        try:
            every = parse_duration(raw.get("every", "10m"))
        except ValueError:
            raise where.error(
                "sources", "every", f"{label}.every", f'expected a duration like "10m", got {raw.get("every")!r}', i
            ) from None
        name = raw.get("name")
        if name is not None and not isinstance(name, str):
            raise where.error("sources", "name", f"{label}.name", "expected a string", i)
        overrides = raw.get("overrides")
        if overrides is not None and (problem := overrides_problem(overrides)):
            raise where.error("sources", "overrides", f"{label}.overrides", problem, i)
        render = raw.get("render", "plain")
        if render not in RENDERS:
            raise where.error(
                "sources", "render", f"{label}.render", f"expected one of {', '.join(RENDERS)}, got {render!r}", i
            )
        config.sources.append(
            SourceConfig(
                url,
                kind,
                name,
                every,
                _regexes(raw.get("allow", []), where, i, "allow"),
                _regexes(raw.get("deny", []), where, i, "deny"),
                overrides,
                None if render == "plain" else render,
            )
        )
    urls = [s.url for s in config.sources]
    for i, url in enumerate(urls):
        if url in urls[:i]:
            raise where.error("sources", "url", f"sources[{i + 1}].url", "listed twice", i)
    config.recheck = _recheck(data.get("recheck", {}), where)
    config.daemon = _daemon(data.get("daemon", {}), where)
    config.retention = _retention(data.get("retention", {}), where)
    return config


def _retention(raw: dict[str, Any], where: _Lines) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        label = f"retention.{key}"
        if key not in RETENTION_KEYS:
            raise where.error("retention", key, label, f"unknown key (expected {', '.join(sorted(RETENTION_KEYS))})")
        try:
            out[key] = parse_duration(value)
        except ValueError:
            raise where.error("retention", key, label, f'expected a duration like "90d", got {value!r}') from None
    return out


def _recheck(raw: dict[str, Any], where: _Lines) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        label = f"recheck.{key}"
        if key not in RECHECK_KEYS:
            raise where.error("recheck", key, label, f"unknown key (expected {', '.join(sorted(RECHECK_KEYS))})")
        try:
            if key == "ladder":
                if not isinstance(value, list) or not value:
                    raise ValueError
                steps = [(parse_duration(age), parse_duration(every)) for age, every in value]
                if [a for a, _ in steps] != sorted(a for a, _ in steps):
                    raise ValueError
                out[key] = steps
            elif key in ("retire_after", "failure_backoff", "max_backoff"):
                out[key] = parse_duration(value)
            elif key == "domain_budget":
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise ValueError
                out[key] = value
            else:
                if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                    raise ValueError
                out[key] = float(value)
        except (ValueError, TypeError):
            expected = {
                "ladder": 'a list of [age, interval] pairs in increasing age, like [["3h", "15m"], ["1d", "1h"]]',
                "domain_budget": "a positive whole number",
            }.get(
                key,
                'a duration like "30d"'
                if key in ("retire_after", "failure_backoff", "max_backoff")
                else "a non-negative number",
            )
            raise where.error("recheck", key, label, f"expected {expected}, got {value!r}") from None
    return out


def _daemon(raw: dict[str, Any], where: _Lines) -> dict[str, Any]:
    for key, value in raw.items():
        label = f"daemon.{key}"
        if key not in DAEMON_KEYS:
            raise where.error("daemon", key, label, f"unknown key (expected {', '.join(sorted(DAEMON_KEYS))})")
        if key in ("metrics_port", "batch_size") and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise where.error("daemon", key, label, f"expected a whole number, got {value!r}")
        if key == "database" and not isinstance(value, str):
            raise where.error("daemon", key, label, f"expected a database URL, got {value!r}")
    return dict(raw)


def apply_config(session: Session, config: Config, path: str | Path) -> dict[str, int]:
    """Make the database's sources from this file match the file (the file is already valid)."""
    origin = str(Path(path).resolve())
    existing = {s.url: s for s in all_sources(session)}
    counts = {"added": 0, "updated": 0, "removed": 0}
    for sc in config.sources:
        source = existing.get(sc.url)
        if source is None:
            source = add_source(session, sc.url, sc.kind)
            counts["added"] += 1
        elif source.from_config == origin:
            counts["updated"] += 1
        if source.kind != sc.kind:  # what an earlier "auto" found no longer applies
            source.found_url = source.found_kind = source.found_why = None
        source.kind, source.name, source.every_seconds = sc.kind, sc.name, int(sc.every)
        if source.id is not None and (source.render != sc.render or (source.overrides or None) != sc.overrides):
            forget_fetch_state(session, source.id)  # fetch and extract its pages afresh under the new settings
        source.allow, source.deny, source.overrides = sc.allow or None, sc.deny or None, sc.overrides
        source.render = sc.render
        source.from_config = origin
    listed = {s.url for s in config.sources}
    for url, source in existing.items():
        if source.from_config == origin and url not in listed:
            remove_source(session, source)
            counts["removed"] += 1
    return counts
