"""The house's rules: the wings' layering (import-linter) and no import circles.

The contracts live in pyproject.toml ([tool.importlinter]); docs/architecture.md
explains them. Every import counts, including those inside functions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_wings_keep_their_layering_contracts():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if result.returncode == 2 or "Contracts:" not in result.stdout:
        pytest.fail(f"lint-imports did not run:\n{result.stdout}\n{result.stderr}")
    assert result.returncode == 0, result.stdout
    assert "BROKEN" not in result.stdout and " 0 broken" in result.stdout


def import_circles(package: str) -> list[list[str]]:
    """Every group of modules that import each other, directly or through others."""
    graph = grimp.build_graph(package)
    modules = sorted(graph.modules)
    imports = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    # Tarjan's strongly connected components, iteratively (no recursion limit to hit).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(imports[node]):
                work.append((node, i + 1))
                child = imports[node][i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    circles.append(sorted(group))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return circles


def test_import_circles_are_found_where_they_exist(tmp_path, monkeypatch):
    package = tmp_path / "circular"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circular import b\n")
    (package / "b.py").write_text("def later():\n    from circular import c\n")
    (package / "c.py").write_text("import circular.a\n")
    (package / "d.py").write_text("import circular.a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_circles("circular") == [["circular.a", "circular.b", "circular.c"]]


@pytest.mark.parametrize("package", ["pi_pause", "benchmarks"])
def test_there_are_no_import_circles(package, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    assert import_circles(package) == []
