"""Table-driven classification cases: tests/cases/*.yaml.

Each case gives two versions of an article and the records classification
must produce. A version is either text (one paragraph per line) or a mapping
with ``text``, ``title``, ``headlines``, ``modified_at``, ``published_at`` and
``byline``. ``new`` may instead be derived from ``old`` with ``edits``
(``replace: [a, b]``, ``append: text``, ``insert: [index, text]``,
``delete: substring``, ``move: [from, to]`` on paragraphs). ``base: name``
starts ``old`` from a text in tests/cases/_bases.yaml.

Each expected record names its ``kind`` and any fields to check (``old``,
``new``, ``old_value``, ``new_value``, ``context``, ``details`` keys,
``severity``). The records of every content kind, and of any kind a case
lists, must match one to one: nothing missing, nothing extra. ``stealth``
checks the change set's flag; ``history`` lists earlier headlines;
``siblings`` lists other articles of the site, to learn boilerplate from.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.classify import Background, ChangeRecord, Snapshot, classify
from pipeline.kinds import CONTENT_KINDS, KINDS
from pipeline.noise import learn_boilerplate

CASES = Path(__file__).parent / "cases"
BASES: dict[str, str] = yaml.safe_load((CASES / "_bases.yaml").read_text())


def load_cases() -> Iterator[Any]:
    for path in sorted(CASES.glob("[!_]*.yaml")):
        for case in yaml.safe_load(path.read_text()):
            yield pytest.param(case, id=f"{path.stem}::{case['name']}")


def _version(spec: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    fields = dict(base or {})
    if isinstance(spec, str):
        fields["text"] = spec
    elif spec:
        fields.update(spec)
    return fields


def _edited(text: str, edits: list[dict[str, Any]]) -> str:
    paragraphs = [p for p in text.strip().split("\n") if p.strip()]
    for edit in edits:
        ((op, arg),) = edit.items()
        if op == "replace":
            joined = "\n".join(paragraphs)
            assert arg[0] in joined, f"case edit: {arg[0]!r} is not in the text"
            paragraphs = joined.replace(arg[0], arg[1]).split("\n")
        elif op == "append":
            paragraphs.append(arg)
        elif op == "insert":
            paragraphs.insert(arg[0], arg[1])
        elif op == "delete":
            hits = [p for p in paragraphs if arg in p]
            assert len(hits) == 1, f"case edit: {arg!r} is in {len(hits)} paragraphs"
            paragraphs.remove(hits[0])
        elif op == "move":
            paragraphs.insert(arg[1], paragraphs.pop(arg[0]))
        else:
            raise AssertionError(f"unknown case edit {op!r}")
    return "\n".join(p for p in paragraphs if p.strip())


def snapshots(case: dict[str, Any]) -> tuple[Snapshot, Snapshot]:
    old = _version(case.get("old"), {"text": BASES[case["base"]]} if "base" in case else None)
    new = _version(case.get("new"), {k: v for k, v in old.items() if k != "text"})
    new.setdefault("text", _edited(old["text"], case.get("edits", [])))
    return _snapshot(old), _snapshot(new)


def _snapshot(fields: dict[str, Any]) -> Snapshot:
    headlines = dict(fields.get("headlines") or {})
    title = fields.get("title") or headlines.get("h1")
    return Snapshot(
        title=title,
        byline=fields.get("byline"),
        text=fields["text"].strip(),
        published_at=fields.get("published_at"),
        modified_at=fields.get("modified_at"),
        headlines=headlines,
    )


def _matches(expected: dict[str, Any], record: ChangeRecord) -> bool:
    for key, want in expected.items():
        if key == "details":
            if any(record.details.get(k) != v for k, v in want.items()):
                return False
        elif key == "severity":
            if record.severity != want:
                return False
        elif getattr(record, key) != want:
            return False
    return True


@pytest.mark.parametrize("case", list(load_cases()))
def test_case(case: dict[str, Any]) -> None:
    old, new = snapshots(case)
    background = Background(
        headline_history=tuple(case.get("history", ())),
        boilerplate=learn_boilerplate(case.get("siblings", [])),
    )
    records = classify(old, new, background)
    expected: list[dict[str, Any]] = case.get("expect") or []
    assert all(e["kind"] in KINDS for e in expected), "a case names an unknown kind"
    watched = CONTENT_KINDS | {e["kind"] for e in expected}
    left = [r for r in records if r.kind in watched]
    missing = []
    for want in expected:
        hit = next((r for r in left if _matches(want, r)), None)
        if hit is None:
            missing.append(want)
        else:
            left.remove(hit)
    shown = [(r.kind, r.old, r.new, r.old_value, r.new_value, r.context, r.details) for r in records]
    assert missing == [] and left == [], f"missing {missing}\nextra {left}\nall records {shown}"
    if "stealth" in case:
        flags = {r.stealth for r in records if r.kind in CONTENT_KINDS}
        assert flags == {case["stealth"]}
