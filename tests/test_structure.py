"""The shape of the code (docs/architecture.md): floors, one direction of imports, one writer of SQL.

Read from the source with ``ast``, not by importing it: lazy imports inside
functions count too, since they are how a circle hides.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The floors, lowest first: a module may import its own floor and the ones below, never one above.
FLOORS = {"storage": 0, "pipeline": 1, "spiders": 2, "scheduler": 2, "config": 2, "settings": 2, "review": 3}
# Everything above storage/: it may not write SQL, and, like storage/, not import upwards.
ABOVE_STORAGE = ("pipeline", "spiders", "review", "scheduler.py", "config.py")
SQL_FUNCTIONS = {"insert", "update", "delete"}  # sqlalchemy's statement constructors
SESSION_WRITES = {"add", "add_all", "delete", "merge"}


def _modules() -> dict[str, Path]:
    """Every project module by dotted name (migrations are Alembic's, run by storage/db.py)."""
    found = {}
    for top in FLOORS:
        single = ROOT / f"{top}.py"
        paths = [single] if single.exists() else sorted((ROOT / top).rglob("*.py"))
        for path in paths:
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The project modules ``path`` imports, anywhere in the file."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from storage import queries`` imports the module storage.queries.
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    return out


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _floor(module: str) -> int:
    return FLOORS[module.partition(".")[0]]


def _cycle_from(start: str) -> list[str] | None:
    """A path start → … → start, if the imports make one."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for dep in sorted(GRAPH[node]):
            if dep == start:
                return [*path, start]
            if dep not in seen:
                seen.add(dep)
                stack.append((dep, [*path, dep]))
    return None


def test_the_graph_is_read() -> None:
    assert "storage.queries" in GRAPH["storage.schedule"] or "storage.schedule" in GRAPH["storage.queries"]
    assert "review.cli.group" in GRAPH["review.cli.articles"]
    assert len(MODULES) > 60


def test_no_import_circle() -> None:
    circles = {" → ".join(c) for m in sorted(GRAPH) if (c := _cycle_from(m))}
    assert not circles, "import circles:\n" + "\n".join(sorted(circles))


def _checked(module: str) -> bool:
    return module.partition(".")[0] in ABOVE_STORAGE or f"{module}.py" in ABOVE_STORAGE


def test_no_import_from_a_lower_floor_to_a_higher_one() -> None:
    upward = [
        f"{m} (floor {_floor(m)}) imports {dep} (floor {_floor(dep)})"
        for m in sorted(GRAPH)
        if _checked(m) or m.startswith("storage")
        for dep in sorted(GRAPH[m])
        if _floor(dep) > _floor(m)
    ]
    assert not upward, "\n".join(upward)


def _sql_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func, what = node.func, None
        if isinstance(func, ast.Name) and func.id in SQL_FUNCTIONS:
            what = f"{func.id}("
        elif isinstance(func, ast.Attribute):
            receiver = ast.unparse(func.value)
            if func.attr in SQL_FUNCTIONS and receiver in ("sa", "sqlalchemy"):
                what = f"{receiver}.{func.attr}("
            elif func.attr == "execute":
                what = f"{receiver}.execute("
            elif func.attr in SESSION_WRITES and "session" in receiver.lower():
                what = f"{receiver}.{func.attr}("
        if what:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {what}")
    return found


def test_only_storage_writes_sql() -> None:
    calls = [call for m, path in sorted(MODULES.items()) if _checked(m) for call in _sql_calls(path)]
    assert not calls, "SQL outside storage/ (make it a function of storage/ that takes the session):\n" + "\n".join(
        calls
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("session.execute(select(A))", ["x.py:1: session.execute("]),
        ("update(A).values(b=1)", ["x.py:1: update("]),
        ("self.session.add(row)", ["x.py:1: self.session.add("]),
        ("conn.execute(sa.insert(t))", ["x.py:1: conn.execute(", "x.py:1: sa.insert("]),
        ("counts.update(other); items.insert(0, x); seen.add(y)", []),
    ],
)
def test_the_sql_check_tells_statements_from_dict_and_list_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, expected: list[str]
) -> None:
    (tmp_path / "x.py").write_text(source + "\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert sorted(_sql_calls(tmp_path / "x.py")) == sorted(expected)
