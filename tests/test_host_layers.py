"""The host package's layers, read from its sources with ast: purposes, import order, no cycles.

Every file opens with a line on its purpose, no library module imports the CLI, each subpackage
imports only the layers below it, and no import (at module level or inside a function) closes a
cycle."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "host" / "fxclass"
# What each part of fxclass may import besides itself; the package root (its version) and
# errors.py are beneath everything. model/ and data/ need nothing that talks to a device.
ALLOWED = {
    "errors": set(),
    "data": {"errors"},
    "model": {"errors", "data"},
    "firmware": {"errors", "model"},
    "device": {"errors", "data", "model"},
    "emu": {"errors", "data", "model", "firmware", "device"},
    "farm": {"errors", "data", "model", "firmware", "device", "emu"},
    "cli": {"errors", "data", "model", "firmware", "device", "emu", "farm"},
    "__main__": {"cli"},
}


def module_name(path: Path) -> str:
    parts = ["fxclass", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The fxclass modules path imports, anywhere in it; `from .x import y` counts as importing x.y
    when that is a module, else x."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "fxclass")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "fxclass":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return found - {name}


def part(module: str) -> str:
    """The layer of a module: its subpackage, or the top-level module itself."""
    return module.split(".")[1] if module != "fxclass" else "fxclass"


SOURCES = sorted(PACKAGE.rglob("*.py"))
MODULES = {module_name(p): p for p in SOURCES}
GRAPH = {module_name(p): imports(p) for p in SOURCES}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_file_opens_with_its_purpose(path):
    tree = ast.parse(path.read_text())
    doc = ast.get_docstring(tree, clean=False)
    assert tree.body and isinstance(tree.body[0], ast.Expr) and doc, f"{path.name} has no opening docstring"
    lines = doc.splitlines()
    assert lines[0].strip(), f"{path.name}: the docstring's first line says nothing"
    assert len(lines) == 1 or not lines[1].strip(), f"{path.name}: the purpose runs past the first line"


def test_every_layer_is_known():
    assert {part(m) for m in GRAPH} - {"fxclass"} == set(ALLOWED)


def test_no_library_module_imports_the_cli():
    offenders = {m: sorted(i for i in deps if part(i) == "cli") for m, deps in GRAPH.items()
                 if part(m) not in ("cli", "__main__")}
    assert not {m: d for m, d in offenders.items() if d}


def test_each_layer_imports_only_those_below_it():
    wrong = {}
    for module, deps in GRAPH.items():
        if part(module) == "fxclass":
            continue
        allowed = ALLOWED[part(module)] | {part(module), "fxclass"}
        bad = sorted(d for d in deps if part(d) not in allowed)
        if bad:
            wrong[module] = bad
    assert not wrong


def test_the_layer_order_has_no_cycle():
    """ALLOWED itself is a partial order, so the checks above rule out cycles between layers."""
    done: set[str] = set()

    def visit(layer: str, path: tuple[str, ...]) -> None:
        assert layer not in path, f"cycle: {' -> '.join(path + (layer,))}"
        if layer not in done:
            for below in ALLOWED[layer]:
                visit(below, path + (layer,))
            done.add(layer)

    for layer in ALLOWED:
        visit(layer, ())


def test_no_import_cycle_between_modules():
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        if state.get(module) == "done":
            return
        assert state.get(module) != "open", f"import cycle: {' -> '.join(path[path.index(module):] + [module])}"
        state[module] = "open"
        for dep in sorted(GRAPH.get(module, ())):
            if dep in GRAPH:
                visit(dep, path + [module])
        state[module] = "done"

    for module in sorted(GRAPH):
        visit(module, [])
