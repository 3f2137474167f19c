"""The firmware's limits and format constants that the host copies are those its C headers define.

The copies are in limits.py, fxm.py, protocol.py and reference.py; every #define of firmware/'s headers is read
and evaluated here, as the exp table test (test_core_reference.py) reads fx_softmax.c."""
from __future__ import annotations

import ast
import operator
import re
from pathlib import Path

import pytest

from fxclass.device import protocol as p
from fxclass.errors import ModelStatus
from fxclass.model import decide, features, fxm, limits, reference as ref

FIRMWARE = Path(__file__).resolve().parents[1] / "firmware"
HEADERS = sorted(h for h in FIRMWARE.rglob("*.h") if "build" not in h.relative_to(FIRMWARE).parts)
# C's integer arithmetic on the non-negative constants these headers use.
OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.floordiv,
             ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.BitOr: operator.or_,
             ast.BitAnd: operator.and_}


def defines() -> dict[str, set[str]]:
    """The values of every object-like #define NAME VALUE of the headers, comments removed, by name."""
    found: dict[str, set[str]] = {}
    for header in HEADERS:
        text = re.sub(r"/\*.*?\*/", " ", header.read_text(), flags=re.S)
        for name, value in re.findall(r"^\s*#\s*define\s+(FX_\w+)[ \t]+([^\n]+)$", text, re.M):
            found.setdefault(name, set()).add(re.sub(r"//.*", "", value).strip())
    return found


DEFINES = defines()


def value(name: str) -> int:
    """The integer a #define stands for, its names and unsigned suffixes resolved."""
    def evaluate(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            return value(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            return OPERATORS[type(node.op)](evaluate(node.left), evaluate(node.right))
        raise AssertionError(f"{name}: {text!r} is not an integer expression this test reads")

    assert name in DEFINES, f"{name} is not #defined in a header of {FIRMWARE}"
    assert len(DEFINES[name]) == 1, f"{name} has several definitions: {sorted(DEFINES[name])}"
    [text] = DEFINES[name]
    source = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", text)
    return evaluate(ast.parse(source, mode="eval").body)


COPIES = [
    ("FX_MAX_WINDOW_LEN", limits.MAX_WINDOW_LEN),
    ("FX_MAX_CHANNELS", limits.MAX_CHANNELS),
    ("FX_MAX_WINDOW_VALUES", limits.MAX_WINDOW_VALUES),
    ("FX_MAX_FEATURES", limits.MAX_FEATURES),
    ("FX_MAX_LAYER_WIDTH", limits.MAX_LAYER_WIDTH),
    ("FX_MAX_LAYERS", limits.MAX_LAYERS),
    ("FX_MAX_CLASSES", limits.MAX_CLASSES),
    ("FX_CLASS_NAME_LEN", fxm.NAME_BYTES),
    ("FX_MAX_MODEL_BYTES", limits.MAX_MODEL_BYTES),
    ("FX_FEATURE_WORK_BYTES", limits.MAX_FEATURE_WORK_BYTES),
    ("FX_MODEL_MAGIC", int.from_bytes(fxm.MAGIC, "little")),
    ("FX_MODEL_FORMAT_VERSION", fxm.FORMAT_VERSION),
    ("FX_MODEL_FORMAT_VERSION_2", fxm.FORMAT_VERSION_2),
    ("FX_MODEL_HEADER_BYTES", fxm.HEADER_BYTES),
    ("FX_MODEL_HEADER_BYTES_2", fxm.HEADER_BYTES_2),
    ("FX_MODEL_LAYER_BYTES", fxm.LAYER_BYTES),
    ("FX_MODEL_SCALE_BYTES", fxm.SCALE_BYTES),
    ("FX_MODEL_SECTION_BYTES", fxm.SECTION_BYTES),
    ("FX_MODEL_SECTION_FEATURES", fxm.SECTION_FEATURES),
    ("FX_MODEL_SECTION_DECISION", fxm.SECTION_DECISION),
    ("FX_MODEL_SECTION_INPUT_COMPACT", fxm.SECTION_INPUT_COMPACT),
    ("FX_MODEL_DECISION_HEAD_BYTES", decide.HEAD.size),
    ("FX_MAX_DECISION_HOPS", decide.MAX_DECISION_HOPS),
    ("FX_DECISION_UNKNOWN", decide.UNKNOWN),
    ("FX_DECISION_NONE", decide.NONE),
    ("FX_RESULT_OUTSIDE", p.RESULT_OUTSIDE),
    ("FX_RESULT_CHANGED", p.RESULT_CHANGED),
    ("FX_DENSE_RELU", fxm.FLAG_RELU),
    ("FX_DENSE_LOGITS", fxm.FLAG_LOGITS),
    ("FX_FEATURE_SET_STATS8", features.BY_NAME["stats8"].number),
    ("FX_FEATURE_SET_STATS16", features.BY_NAME["stats16"].number),
    ("FX_LOGIT_FRAC_BITS", ref.LOGIT_FRAC_BITS),
    ("FX_PROTO_VERSION", p.PROTOCOL_VERSION),
    ("FX_PROTO_MAX_PAYLOAD", p.MAX_PAYLOAD),
    ("FX_FRAME_HEADER_BYTES", p.HEADER.size),
    ("FX_FRAME_OVERHEAD_BYTES", p.OVERHEAD),
    ("FX_MODE_LIVE", p.MODE_LIVE),
    ("FX_MODE_RECORD", p.MODE_RECORD),
    ("FX_CYCLES_DWT", {v: k for k, v in p.CYCLE_SOURCES.items()}["dwt"]),
    ("FX_CYCLES_SYSTICK", {v: k for k, v in p.CYCLE_SOURCES.items()}["systick"]),
]


@pytest.mark.parametrize("name, host", COPIES, ids=[name for name, _ in COPIES])
def test_the_host_copy_is_the_firmwares(name, host):
    assert value(name) == host, f"the C headers say {name} = {value(name)}, the host copies {host}"


def test_every_feature_set_the_firmware_runs_is_known_to_the_host_by_the_same_number():
    """fx_features.c's table of sets against the host's registry, and each set's number against its
    FX_FEATURE_SET_* (also those of sets still to come: the host must not give their numbers away)."""
    table = (FIRMWARE / "core" / "fx_features.c").read_text()
    rows = re.findall(r"\{FX_FEATURE_SET_(\w+), (\d), (\w+)\}", table)
    assert rows and {value(f"FX_FEATURE_SET_{name}") for name, _, _ in rows} == set(features.SETS)
    for name, needs_section, _ in rows:
        fset = features.get(value(f"FX_FEATURE_SET_{name}"))
        assert fset.name == name.lower() and fset.section == (needs_section == "1")
    named = {n.removeprefix("FX_FEATURE_SET_").lower(): value(n) for n in DEFINES if n.startswith("FX_FEATURE_SET_")}
    for fset in features.SETS.values():
        assert named[fset.name] == fset.number


def test_the_model_status_codes_are_the_firmwares():
    text = (FIRMWARE / "core" / "fx_core.h").read_text()
    codes = {name: int(v) for name, v in re.findall(r"FX_ERR_(\w+) = (\d+)", text)}
    assert {s.name: s.value for s in ModelStatus} == {name: codes[name] for name in ModelStatus.__members__}
