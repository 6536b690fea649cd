"""REDLINE_* settings as Scrapy does them: each default once, in settings.py;
components read them in from_crawler; a bad value is a UsageError naming it."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.exceptions import UsageError
from scrapy.settings import Settings

import settings as project_settings
from pipeline.pipelines import ExtractPipeline, StorePipeline
from spiders.discovered import DiscoveryPipeline
from spiders.safety import SafeTargetsMiddleware

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS: dict[str, Any] = {
    "store": StorePipeline,
    "extract": ExtractPipeline,
    "discovery": DiscoveryPipeline,
    "safety": SafeTargetsMiddleware,
}


class _Stats:
    def inc_value(self, key: str) -> None:
        pass


def _build(component: str, tmp_path: Path, **overrides: object) -> Any:
    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.set("REDLINE_DB", f"sqlite:///{tmp_path / 'settings.db'}", priority="project")
    settings.update(overrides, priority="cmdline")
    crawler = SimpleNamespace(settings=settings, stats=_Stats(), spider=None)
    return COMPONENTS[component].from_crawler(crawler)


BAD = [
    ("store", "REDLINE_STORE_BATCH", "many"),
    ("store", "REDLINE_STORE_BATCH", 0),
    ("store", "REDLINE_STORE_BATCH_WAIT", "soon"),
    ("store", "REDLINE_STORE_BATCH_WAIT", -1),
    ("store", "REDLINE_MIN_TEXT_RATIO", "half"),
    ("store", "REDLINE_MIN_TEXT_RATIO", 2),
    ("store", "REDLINE_STORE_RAW_HTML", "perhaps"),
    ("store", "REDLINE_TIME_SCALE", 0),
    ("store", "REDLINE_RECHECK", "every hour"),
    ("store", "REDLINE_RECHECK", {"jitter": "lots"}),
    ("extract", "REDLINE_EXTRACT_PROCESSES", "two"),
    ("extract", "REDLINE_EXTRACT_POOL_AFTER", "soon"),
    ("extract", "REDLINE_GATE", "perhaps"),
    ("extract", "REDLINE_EXTRACT_KEEP_WORKERS", "perhaps"),
    ("extract", "REDLINE_SITE_OVERRIDES", "{not json"),
    ("discovery", "REDLINE_TIME_SCALE", "fast"),
    ("safety", "REDLINE_ALLOW_PRIVATE", "perhaps"),
]


@pytest.mark.parametrize(("component", "name", "value"), BAD)
def test_a_bad_value_is_a_usage_error_naming_the_setting(
    component: str, name: str, value: object, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match=name):
        _build(component, tmp_path, **{name: value})
    assert not (tmp_path / "settings.db").exists(), "settings are read before the database is opened"


def test_the_defaults_come_from_settings_py(tmp_path: Path) -> None:
    store = _build("store", tmp_path)
    assert (store.batch_size, store.batch_wait) == (project_settings.REDLINE_STORE_BATCH, 0.15)
    assert (store.rules.min_ratio, store.rules.keep_raw) == (0.2, True)
    extract = _build("extract", tmp_path)
    assert (extract.processes, extract.keys, extract.after, extract.keep) == (None, True, 0.5, False)
    assert _build("discovery", tmp_path).time_scale == 1.0


def test_a_value_given_is_the_value_used(tmp_path: Path) -> None:
    store = _build(
        "store",
        tmp_path,
        REDLINE_STORE_BATCH="8",
        REDLINE_STORE_BATCH_WAIT="0.5",
        REDLINE_MIN_TEXT_RATIO="0.3",
        REDLINE_STORE_RAW_HTML="False",
        REDLINE_TIME_SCALE="60",
        REDLINE_RECHECK={"jitter": 0},
    )
    assert (store.batch_size, store.batch_wait, store.rules.min_ratio, store.rules.keep_raw) == (8, 0.5, 0.3, False)
    assert (store.rules.policy.time_scale, store.rules.policy.jitter) == (60.0, 0.0)
    assert _build("extract", tmp_path, REDLINE_EXTRACT_POOL_AFTER="1.5", REDLINE_GATE="0").after == 1.5
    assert _build("extract", tmp_path, REDLINE_EXTRACT_KEEP_WORKERS="1").keep is True


def test_a_setting_missing_from_settings_py_says_so() -> None:
    crawler = SimpleNamespace(settings=Settings({"REDLINE_DB": "sqlite://"}), stats=_Stats(), spider=None)
    with pytest.raises(UsageError, match=r"REDLINE_[A-Z_]+ is not set: settings\.py defines every REDLINE_"):
        StorePipeline.from_crawler(crawler)  # type: ignore[arg-type]


def _sources() -> str:
    files = [
        *ROOT.glob("pipeline/*.py"),
        *ROOT.glob("spiders/*.py"),
        ROOT / "scheduler.py",
        *ROOT.glob("review/**/*.py"),
    ]
    return "\n".join(p.read_text() for p in files)


def test_every_setting_read_has_its_default_in_settings_py_and_only_there() -> None:
    code = _sources()
    read = set(re.findall(r'setting\(\s*\w+,\s*"(REDLINE_\w+)"', code))
    assert {"REDLINE_STORE_BATCH", "REDLINE_STORE_BATCH_WAIT", "REDLINE_TIME_SCALE"} <= read
    assert not [n for n in read if not hasattr(project_settings, n)]
    # A getter with a fallback would be a second default.
    assert re.findall(r'(?<!environ)\.get\w*\(\s*"REDLINE_\w+"\s*,', code) == []


def test_the_cli_names_a_bad_setting_in_one_line(tmp_path: Path) -> None:
    from tests.conftest import Redline

    redline = Redline(f"sqlite:///{tmp_path / 'cli.db'}", tmp_path)
    redline("track", "http://127.0.0.1:9/news/2026/11/25/truce-talks-stall")
    for command in ("crawl", "discover"):
        if command == "discover":
            redline("sources", "add", "http://127.0.0.1:9/feed.xml", "--kind", "feed")
        proc = redline(command, "-s", "REDLINE_STORE_BATCH=many", check=False)
        assert proc.returncode == 1, proc.stderr
        assert "REDLINE_STORE_BATCH='many': a number of pages, 1 or more" in proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
