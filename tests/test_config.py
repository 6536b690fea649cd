"""redline.toml: every error names file, line and field, and nothing is half-applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, apply_config, load_config
from storage.db import open_database, session_scope
from storage.models import Source
from tests.conftest import Redline

GOOD = """\
[daemon]
metrics_port = 9400
batch_size = 200

[[sources]]
name = "courier"
url = "https://courier.example/rss.xml"
kind = "feed"
every = "5m"
deny = ["/live/"]

[[sources]]
url = "https://courier.example/"
kind = "front"
allow = ["/world/", "/local/"]
overrides = { body = "article .story-body", remove = [".promo"] }

[recheck]
ladder = [["3h", "10m"], ["1d", "1h"], ["30d", "1d"]]
jitter = 0.05
domain_budget = 30
"""

BAD = [  # (replace this, with that) -> expected "file:line: field: message" fragments
    ('every = "5m"', 'every = "soon"', 9, "sources[1].every: expected a duration like \"10m\", got 'soon'"),
    ('every = "5m"', "every = 5\ncolour = 'red'", 10, "sources[1].colour: unknown key"),
    ('kind = "front"', 'kind = "magazine"', 14, "sources[2].kind: expected one of feed, sitemap, front"),
    ('url = "https://courier.example/"', 'url = "ftp://courier.example/"', 13, "sources[2].url: scheme"),
    ('allow = ["/world/", "/local/"]', 'allow = ["(unclosed"]', 15, "sources[2].allow: bad pattern"),
    ("jitter = 0.05", 'jitter = "lots"', 20, "recheck.jitter: expected a non-negative number"),
    ('["1d", "1h"], ["30d", "1d"]', '["30d", "1d"], ["1d", "1h"]', 19, "recheck.ladder: expected a list"),
    ("batch_size = 200", "batch_size = -1", 3, "daemon.batch_size: expected a whole number"),
    ("[recheck]", "[recheks]", 18, "recheks: unknown table"),
    ("metrics_port = 9400", "metrics_port = 9400 9401", 2, "not valid TOML"),
]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "redline.toml"
    path.write_text(text)
    return path


def test_a_good_file(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, GOOD))
    assert [(s.name, s.kind, s.every) for s in config.sources] == [("courier", "feed", 300.0), (None, "front", 600.0)]
    assert config.sources[1].overrides == {"body": "article .story-body", "remove": [".promo"]}
    assert config.recheck["ladder"][0] == (10800.0, 600.0) and config.recheck["domain_budget"] == 30
    assert config.daemon == {"metrics_port": 9400, "batch_size": 200}


@pytest.mark.parametrize(("old", "new", "line", "message"), BAD)
def test_errors_name_file_line_and_field(tmp_path: Path, old: str, new: str, line: int, message: str) -> None:
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    text = str(error.value)
    assert text.startswith(f"{path}:{line}: "), text
    assert message in text, text


def test_apply_syncs_the_files_sources_and_only_those(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'c.db'}")
    path = _write(tmp_path, GOOD)
    with session_scope(db) as session:
        session.add(Source(url="https://other.example/rss", kind="feed", every_seconds=60))  # added by hand
        assert apply_config(session, load_config(path), path) == {"added": 2, "updated": 0, "removed": 0}
    path.write_text(GOOD.split("[[sources]]\nurl =")[0])  # the front page source removed from the file
    with session_scope(db) as session:
        assert apply_config(session, load_config(path), path) == {"added": 0, "updated": 1, "removed": 1}
        assert sorted(s.url for s in session.query(Source)) == [
            "https://courier.example/rss.xml",
            "https://other.example/rss",
        ]


def test_a_bad_file_applies_nothing(tmp_path: Path, redline: Redline) -> None:
    open_database(redline.db_url)  # an empty database: `sources list` reads, it does not create one
    path = _write(tmp_path, GOOD.replace('kind = "front"', 'kind = "magazine"'))
    proc = redline("sources", "list", "--config", str(path), check=False)
    assert proc.returncode == 1 and f"{path}:14: sources[2].kind" in proc.stderr
    assert redline.json("sources", "list") == []
    path.write_text(GOOD)
    assert len(redline.json("sources", "list", "--config", str(path))) == 2


def test_daemon_database_of_the_config_is_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`[daemon] database` is used when neither --db nor REDLINE_DB says otherwise."""
    from click.testing import CliRunner

    from review.cli import cli

    monkeypatch.delenv("REDLINE_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "configured.db"
    conf = tmp_path / "redline.toml"
    conf.write_text(f'[daemon]\ndatabase = "sqlite:///{db}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(conf), "track", "https://news.example/a"])
    assert result.exit_code == 0, result.output
    assert db.exists() and not (tmp_path / "redline.db").exists()
    listed = CliRunner().invoke(cli, ["--config", str(conf), "changes", "--url", "https://news.example/a"])
    assert listed.exit_code == 0, listed.output
    # --db still wins over the file.
    other = tmp_path / "other.db"
    result = CliRunner().invoke(
        cli, ["--db", f"sqlite:///{other}", "--config", str(conf), "track", "https://x.example/b"]
    )
    assert result.exit_code == 0 and other.exists()
