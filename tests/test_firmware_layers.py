"""The firmware's include graph: each layer includes only itself and the layers beneath it, no cycle."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

FIRMWARE = Path(__file__).resolve().parent.parent / "firmware"
# What each layer's files may include besides their own layer's (docs/architecture.md).
ALLOWED = {
    "core": set(),
    "proto": {"core"},
    "boards": set(),
    "hal": {"boards"},
    "sensors": {"core", "hal", "boards"},
    "app": {"core", "proto", "hal", "boards", "sensors"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources() -> dict[Path, str]:
    """Every C, header and assembly file of the firmware, by path, with its layer (top folder)."""
    return {p: p.relative_to(FIRMWARE).parts[0] for p in FIRMWARE.rglob("*")
            if p.suffix in (".c", ".h", ".S") and "build" not in p.relative_to(FIRMWARE).parts}


def edges(files: dict[Path, str]) -> dict[Path, set[Path]]:
    """File -> the firmware files it includes (system headers and files outside firmware/ left out)."""
    by_name: dict[str, list[Path]] = {}
    for path in files:
        by_name.setdefault(path.name, []).append(path)
    graph = {}
    for path in files:
        found = set()
        for name in INCLUDE.findall(path.read_text(errors="replace")):
            candidates = [c for c in by_name.get(Path(name).name, []) if c != path]
            assert len(candidates) <= 1, f"{path}: {name} is ambiguous: {candidates}"
            found.update(candidates)
        graph[path] = found
    return graph


def test_each_layer_includes_only_the_layers_beneath_it():
    files = sources()
    assert {"core", "proto", "hal", "app"} <= set(files.values())
    wrong = [f"{p.relative_to(FIRMWARE)} includes {q.relative_to(FIRMWARE)}"
             for p, targets in edges(files).items() for q in targets
             if files[q] != files[p] and files[q] not in ALLOWED.get(files[p], set())]
    assert not wrong, "includes running up or across the layers:\n" + "\n".join(wrong)


def test_no_include_cycle():
    graph = edges(sources())
    state: dict[Path, int] = {}

    def visit(node: Path, trail: list[Path]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
                pytest.fail("include cycle: " + " -> ".join(str(c.relative_to(FIRMWARE)) for c in cycle))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for start in graph:
        if start not in state:
            visit(start, [start])


def test_the_check_sees_an_upward_include(tmp_path, monkeypatch):
    """A core file including a protocol header is caught (the check is not vacuous)."""
    fake = tmp_path / "firmware"
    for layer in ("core", "proto", "hal", "app"):
        (fake / layer).mkdir(parents=True)
    (fake / "proto" / "fx_proto.h").write_text("/* x */\n")
    (fake / "core" / "fx_core.c").write_text('#include "fx_proto.h"\n')
    (fake / "hal" / "fx_hal.h").write_text("/* x */\n")
    (fake / "app" / "main.c").write_text('#include "fx_hal.h"\n')
    monkeypatch.setitem(globals(), "FIRMWARE", fake)
    with pytest.raises(AssertionError, match="core/fx_core.c includes proto/fx_proto.h"):
        test_each_layer_includes_only_the_layers_beneath_it()
