"""The .fxm model blob (docs/model-format.md): writer and validating reader, mirroring fx_model_parse.

The writer writes format 3 (a header with a section table). The reader reads formats 3 and 2, which
the firmware reads too, with the firmware's checks in the firmware's order: a blob the firmware
refuses is refused here with a ModelFormatError whose status is the fx_status the firmware returns.
It also reads format 1 (the first release's weight layout), which the firmware refuses, and
upgrade() rewrites such a blob as format 3."""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import ModelFormatError, ModelStatus
from . import features
from .decide import Decision
# The firmware's limits, which the reader and the writer apply; fxm.MAX_* for their users too.
from .limits import (MAX_CHANNELS, MAX_CLASSES, MAX_FEATURE_WORK_BYTES, MAX_FEATURES, MAX_LAYER_WIDTH,
                     MAX_LAYERS, MAX_MODEL_BYTES, MAX_WINDOW_LEN, MAX_WINDOW_VALUES)
from .reference import WEIGHT_MAX, block_weights, pad4, unblock_weights
from .shape import Shape, Shaped

MAGIC = b"FXMB"
FORMAT_VERSION = 3           # written; read by the firmware
FORMAT_VERSION_2 = 2         # read by the firmware and here: no section table
FORMAT_VERSION_V1 = 1        # read here and upgraded: format 2's fields, weights as int8 blocks
HEADER_BYTES = 56
HEADER_BYTES_2 = 48          # formats 1 and 2
LAYER_BYTES = 32
NAME_BYTES = 16
SCALE_BYTES = 8
SECTION_BYTES = 12
# Section tags (FX_MODEL_SECTION_* in fx_model.h).
SECTION_FEATURES = 1
SECTION_DECISION = 2         # the decision settings, thresholds and class centroids (decide.Decision)
SECTION_INPUT_COMPACT = 3
FEATURE_SET_STATS8 = 1
# Physical units of a model's input channels (fx_unit in fx_sensor_path.h).
UNITS = {"counts": 0, "g": 1, "m/s2": 2, "dps": 3, "rad/s": 4, "A": 5, "other": 6}
UNIT_NAMES = {v: k for k, v in UNITS.items()}
FLAG_RELU = 0x01
FLAG_LOGITS = 0x02


_HEADER = struct.Struct("<4sHHIIHHHHBBBBHHIIII")
_SECTIONS = struct.Struct("<IHH")  # format 3's header from byte 48
_SECTION = struct.Struct("<HHII")
_LAYER = struct.Struct("<HHB3xIIII8x")


@dataclass
class Layer:
    weights: np.ndarray  # int8 (out_len, in_len), row-major, in [-127, 127]
    bias: np.ndarray  # int32 (out_len,)
    mult: np.ndarray  # int32 (out_len,)
    shift: np.ndarray  # int32 (out_len,)
    relu: bool
    logits: bool = False

    @property
    def out_len(self) -> int:
        return int(self.weights.shape[0])

    @property
    def in_len(self) -> int:
        return int(self.weights.shape[1])


@dataclass
class Model(Shaped):
    """A quantized model. Its input quantization is the standard form (input_offset, input_mult,
    input_shift, int32 each) or, with input_mult None, the compact one (input_offset within int16,
    input_shift within [1, 31]; the INPUT_COMPACT section)."""

    shape: Shape
    class_names: list[str]
    input_offset: np.ndarray
    input_mult: np.ndarray | None
    input_shift: np.ndarray
    layers: list[Layer]
    model_id: int = 0
    feature_set: int = FEATURE_SET_STATS8
    meta: dict = field(default_factory=dict)
    # The physical scale the inputs were trained in, per channel: a unit from UNITS and model counts
    # per unit (kept to Q16.16). None: the model takes raw counts and declares no scale.
    units: list[str] | None = None
    counts_per_unit: list[float] | None = None
    # The feature set's parameters (features/); None for a set that has none beyond its number.
    feature_params: Any = None
    # The DECISION section (decide.py); None: none, each hop's winner is the decision.
    decision: Decision | None = None

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_features(self) -> int:
        return int(self.input_offset.shape[0])

    @property
    def input_compact(self) -> bool:
        return self.input_mult is None

    def macs(self) -> int:
        return sum(layer.in_len * layer.out_len for layer in self.layers)


def check_firmware_limits(window_len: int, n_channels: int, feature_set: int, hidden: tuple[int, ...],
                          n_classes: int, class_names: list[str] | None = None) -> None:
    """What the firmware will refuse, known before any training: raises ModelFormatError with the
    numbers and the limit, and what to change. A set with a FEATURES section has its feature count
    checked once fitted (check_feature_count)."""
    problems = []
    if n_channels > MAX_CHANNELS:
        problems.append(f"{n_channels} channels, the firmware takes at most {MAX_CHANNELS}")
    if window_len > MAX_WINDOW_LEN:
        problems.append(f"windows of {window_len} samples, the firmware takes at most {MAX_WINDOW_LEN}")
    if window_len * n_channels > MAX_WINDOW_VALUES:
        problems.append(f"windows of {window_len} x {n_channels} = {window_len * n_channels} values, the firmware "
                        f"holds at most {MAX_WINDOW_VALUES}")
    fset = features.SETS.get(feature_set)
    if fset is not None and fset.section and window_len < fset.min_window_len:
        problems.append(f"{fset.name} features need windows of at least {fset.min_window_len} samples, not "
                        f"{window_len} (use a longer --window-len)")
    elif fset is not None and not fset.section:
        try:
            n_features = fset.n_features(fset.default_params(window_len, n_channels))
        except ModelFormatError as exc:
            problems.append(str(exc))
        else:
            problems += _feature_count_problems(n_features, n_channels, fset.name)
    for width in hidden:
        if not 1 <= width <= MAX_LAYER_WIDTH:
            problems.append(f"a hidden layer of {width}, the firmware takes 1 to {MAX_LAYER_WIDTH}")
    if len(hidden) + 1 > MAX_LAYERS:
        problems.append(f"{len(hidden) + 1} layers, the firmware runs at most {MAX_LAYERS}")
    if n_classes > MAX_CLASSES:
        problems.append(f"{n_classes} classes, the firmware takes at most {MAX_CLASSES}")
    for name in class_names or []:
        if len(name.encode()) >= NAME_BYTES:
            problems.append(f"class name {name!r} has {len(name.encode())} bytes, at most {NAME_BYTES - 1} fit")
    if problems:
        raise ModelFormatError("the firmware could not run this model: " + "; ".join(problems))


def _feature_count_problems(n_features: int, n_channels: int, name: str) -> list[str]:
    if n_features <= MAX_FEATURES:
        return []
    return [f"{n_features} features ({n_channels} channels of {name}), the firmware takes at most {MAX_FEATURES}"]


def check_feature_count(n_features: int, n_channels: int, feature_set: int) -> None:
    """A fitted feature set's count against the firmware's limit."""
    problems = _feature_count_problems(n_features, n_channels, features.get(feature_set).name)
    if problems:
        raise ModelFormatError("the firmware could not run this model: " + "; ".join(problems))


def _check(cond: bool, message: str, status: ModelStatus | None = None) -> None:
    if not cond:
        raise ModelFormatError(message, status)


def _check_weights(weights: np.ndarray, k: int) -> None:
    _check(bool(np.all(np.abs(weights.astype(np.int32)) <= WEIGHT_MAX)),
           f"layer {k} has a weight outside [-{WEIGHT_MAX}, {WEIGHT_MAX}]", ModelStatus.PARAM)


def _requant_ok(mult: np.ndarray, shift: np.ndarray) -> bool:
    return bool(np.all(mult >= 1)) and bool(np.all((shift >= 1) & (shift <= 62)))


def _validate(m: Model) -> None:
    """What the writer refuses: what fx_model_parse would refuse in the blob it writes."""
    _check(4 <= m.window_len <= MAX_WINDOW_LEN, f"window_len {m.window_len} outside [4, {MAX_WINDOW_LEN}]")
    _check(1 <= m.n_channels <= MAX_CHANNELS, f"n_channels {m.n_channels} outside [1, {MAX_CHANNELS}]")
    _check(m.window_len * m.n_channels <= MAX_WINDOW_VALUES,
           f"window of {m.window_len} x {m.n_channels} exceeds {MAX_WINDOW_VALUES} values")
    _check(1 <= m.hop_len <= m.window_len, f"hop_len {m.hop_len} outside [1, window_len]")
    _check(1 <= m.sample_rate_hz <= 65535, f"sample_rate_hz {m.sample_rate_hz} outside [1, 65535]")
    fset = features.get(m.feature_set)
    params = features.params_of(m.feature_set, m.feature_params, m.window_len, m.n_channels)
    # The section as the firmware will read it back.
    fset.decode(fset.encode(params), m.window_len, m.n_channels)
    _check(1 <= m.n_features <= MAX_FEATURES, f"{m.n_features} features outside [1, {MAX_FEATURES}]")
    _check(m.n_features == fset.n_features(params), "feature count does not match the feature set")
    _check(1 <= m.n_classes <= MAX_CLASSES, f"{m.n_classes} classes outside [1, {MAX_CLASSES}]")
    _check(1 <= len(m.layers) <= MAX_LAYERS, f"{len(m.layers)} layers outside [1, {MAX_LAYERS}]")
    expected = m.n_features
    for k, layer in enumerate(m.layers):
        last = k == len(m.layers) - 1
        _check(layer.in_len == expected, f"layer {k} takes {layer.in_len} inputs, previous gives {expected}")
        _check(1 <= layer.out_len <= MAX_LAYER_WIDTH, f"layer {k} width {layer.out_len} too large")
        _check(layer.logits == last, f"layer {k}: only the last layer produces logits")
        if last:
            _check(layer.out_len == m.n_classes and not layer.relu, "last layer must give one logit per class")
        _check_weights(layer.weights, k)
        for name, arr in (("mult", layer.mult), ("shift", layer.shift)):
            _check(arr.shape == (layer.out_len,), f"layer {k} {name} has the wrong length")
        _check(_requant_ok(layer.mult, layer.shift), f"layer {k} has a requantization parameter out of range")
        expected = layer.out_len
    if m.input_compact:
        _check(bool(np.all((m.input_offset >= -2**15) & (m.input_offset < 2**15))) and
               bool(np.all((m.input_shift >= 1) & (m.input_shift <= 31))),
               "compact input quantization: an offset outside int16 or a shift outside [1, 31]")
    else:
        _check(_requant_ok(m.input_mult, m.input_shift), "input quantization parameter out of range")
    for name in m.class_names:
        _check(len(name.encode()) < NAME_BYTES, f"class name {name!r} longer than {NAME_BYTES - 1} bytes")
    if m.units is not None or m.counts_per_unit is not None:
        _check(m.units is not None and m.counts_per_unit is not None and len(m.units) == m.n_channels
               and len(m.counts_per_unit) == m.n_channels, "the input scale needs a unit and counts per unit "
               "for every channel")
        for unit, cpu in zip(m.units, m.counts_per_unit):
            _check(unit in UNITS, f"unknown input unit {unit!r}: use one of {', '.join(UNITS)}")
            if unit == "counts":
                _check(cpu == 0, "a channel in counts has no counts per unit (give 0)")
            else:
                _check(0 < round(cpu * 65536) < 2**32, f"counts per unit {cpu} outside (0, 65536)")
    if m.decision is not None:
        d = m.decision
        _check(d.thresholds is None or (len(d.thresholds) == m.n_classes and
                                        bool(np.all((np.asarray(d.thresholds) >= 0) & (np.asarray(d.thresholds) <= 32767)))),
               "decision thresholds: one per class, within [0, 32767]")
        _check((d.radius2 is None) == (d.centroids is None) and (d.centroids is None or (
            np.shape(d.centroids) == (m.n_classes, m.n_features) and len(d.radius2) == m.n_classes)),
            "decision radii and centroids: one radius and one centroid of the first layer's inputs per class")
        # The section as the firmware will read it back.
        Decision.decode(d.encode(m.n_classes, m.n_features), m.n_classes, m.n_features)


def compact_section(offset: np.ndarray, shift: np.ndarray) -> bytes:
    """The INPUT_COMPACT section: int16 offset[n], uint8 shift[n], zero padding to 4 bytes."""
    data = np.asarray(offset).astype("<i2").tobytes() + np.asarray(shift).astype("u1").tobytes()
    return data + b"\0" * (-len(data) % 4)


def pack(m: Model) -> bytes:
    """Serialize a model to a format-3 blob; raises ModelFormatError for what firmware would refuse."""
    _validate(m)
    body = bytearray(HEADER_BYTES)

    def put(data: bytes) -> int:
        offset = len(body)
        body.extend(data)
        body.extend(b"\0" * (-len(body) % 4))
        return offset

    params = features.params_of(m.feature_set, m.feature_params, m.window_len, m.n_channels)
    sections = []
    section_data = features.get(m.feature_set).encode(params)
    if section_data:
        sections.append((SECTION_FEATURES, section_data))
    if m.input_compact:
        sections.append((SECTION_INPUT_COMPACT, compact_section(m.input_offset, m.input_shift)))
    if m.decision is not None:
        sections.append((SECTION_DECISION, m.decision.encode(m.n_classes, m.n_features)))
    table = put(bytes(SECTION_BYTES * len(sections))) if sections else 0
    for k, (tag, data) in enumerate(sections):
        _SECTION.pack_into(body, table + k * SECTION_BYTES, tag, 0, put(data), len(data))
    iq = 0
    if not m.input_compact:
        iq = put(np.concatenate([m.input_offset, m.input_mult, m.input_shift]).astype("<i4").tobytes())
    layers_off = put(bytes(LAYER_BYTES * len(m.layers)))
    for k, layer in enumerate(m.layers):
        w = put(block_weights(layer.weights).astype("<i2").tobytes())
        b = put(layer.bias.astype("<i4").tobytes())
        mu = put(layer.mult.astype("<i4").tobytes())
        s = put(layer.shift.astype("<i4").tobytes())
        flags = (FLAG_RELU if layer.relu else 0) | (FLAG_LOGITS if layer.logits else 0)
        _LAYER.pack_into(body, layers_off + k * LAYER_BYTES, layer.in_len, layer.out_len, flags, w, b, mu, s)
    names = put(b"".join(n.encode().ljust(NAME_BYTES, b"\0") for n in m.class_names))
    scale = 0
    if m.units is not None:
        scale = put(b"".join(struct.pack("<B3xI", UNITS[u], round(cpu * 65536))
                             for u, cpu in zip(m.units, m.counts_per_unit)))
    total = len(body) + 4
    _HEADER.pack_into(body, 0, MAGIC, FORMAT_VERSION, HEADER_BYTES, total, m.model_id, m.window_len,
                      m.n_channels, m.hop_len, m.sample_rate_hz, m.feature_set, len(m.layers),
                      m.n_classes, 0, m.n_features, 0, iq, layers_off, names, scale)
    _SECTIONS.pack_into(body, HEADER_BYTES_2, table, len(sections), 0)
    return bytes(body) + struct.pack("<I", zlib.crc32(body))


class _Reader:
    """A blob's payload, read as fx_model_parse reads it: every array 4-aligned, after the header and
    before the CRC, or FX_ERR_LAYOUT."""

    def __init__(self, blob: bytes, header_bytes: int):
        self.blob, self.header_bytes, self.end = blob, header_bytes, len(blob) - 4

    def span_ok(self, offset: int, size: int) -> bool:
        return offset % 4 == 0 and self.header_bytes <= offset <= self.end and size <= self.end - offset

    def array(self, offset: int, count: int, dtype: str, what: str) -> np.ndarray:
        size = np.dtype(dtype).itemsize * count
        _check(self.span_ok(offset, size), f"{what} at offset {offset} lies outside the blob or is misaligned",
               ModelStatus.LAYOUT)
        return np.frombuffer(self.blob, dtype=dtype, count=count, offset=offset).copy()


def _sections(r: _Reader) -> dict[int, bytes]:
    """Format 3's section table, checked as parse_sections checks it: {tag: data}."""
    table, n, reserved = _SECTIONS.unpack_from(r.blob, HEADER_BYTES_2)
    _check(reserved == 0, "the header's reserved bytes 54-55 are not zero", ModelStatus.PARAM)
    if table == 0:
        _check(n == 0, f"{n} sections announced without a section table", ModelStatus.LAYOUT)
        return {}
    _check(r.span_ok(table, n * SECTION_BYTES), f"the section table at offset {table} lies outside the blob or is "
           "misaligned", ModelStatus.LAYOUT)
    found: dict[int, bytes] = {}
    for k in range(n):
        tag, reserved, offset, size = _SECTION.unpack_from(r.blob, table + k * SECTION_BYTES)
        _check(reserved == 0, f"section {k} has a reserved field that is not zero", ModelStatus.PARAM)
        _check(tag in (SECTION_FEATURES, SECTION_INPUT_COMPACT, SECTION_DECISION),
               f"section {k} has tag {tag}, which this firmware does not take", ModelStatus.PARAM)
        _check(tag not in found, f"section tag {tag} appears twice", ModelStatus.PARAM)
        _check(size > 0 and r.span_ok(offset, size), f"section {k} (tag {tag}, {size} bytes at offset {offset}) "
               "is empty, lies outside the blob or is misaligned", ModelStatus.LAYOUT)
        found[tag] = r.blob[offset:offset + size]
    return found


def unpack(blob: bytes) -> Model:
    """Parse and validate a blob with the rules of fx_model_parse, in its order (and format 1)."""
    _check(len(blob) >= HEADER_BYTES_2 + 4, f"blob of {len(blob)} bytes is too short", ModelStatus.SIZE)
    (magic, version, header_bytes, total, model_id, window_len, n_channels, hop_len, rate, feature_set,
     n_layers, n_classes, _, n_features, _, iq, layers_off, names_off, scale_off) = _HEADER.unpack_from(blob)
    _check(magic == MAGIC, "not an fxclass model (bad magic)", ModelStatus.MAGIC)
    _check((version, header_bytes) in ((FORMAT_VERSION, HEADER_BYTES), (FORMAT_VERSION_2, HEADER_BYTES_2),
                                       (FORMAT_VERSION_V1, HEADER_BYTES_2)),
           f"model format version {version} is not supported (this fxclass reads formats {FORMAT_VERSION_V1} to "
           f"{FORMAT_VERSION})", ModelStatus.VERSION)
    _check(len(blob) >= header_bytes + 4 and total == len(blob), f"header says {total} bytes, blob has {len(blob)}",
           ModelStatus.SIZE)
    end = total - 4
    _check(zlib.crc32(blob[:end]) == struct.unpack_from("<I", blob, end)[0], "CRC-32 mismatch: the blob is corrupt",
           ModelStatus.CRC)
    _check(4 <= window_len <= MAX_WINDOW_LEN and 1 <= n_channels <= MAX_CHANNELS
           and window_len * n_channels <= MAX_WINDOW_VALUES and 1 <= n_layers <= MAX_LAYERS
           and 1 <= n_classes <= MAX_CLASSES and 1 <= n_features <= MAX_FEATURES,
           f"window {window_len} x {n_channels}, {n_layers} layers, {n_classes} classes or {n_features} features "
           f"exceed the firmware's limits ({MAX_WINDOW_LEN} samples, {MAX_CHANNELS} channels, {MAX_WINDOW_VALUES} "
           f"values, {MAX_LAYERS} layers, {MAX_CLASSES} classes, {MAX_FEATURES} features)", ModelStatus.LIMIT)
    _check(1 <= hop_len <= window_len and rate >= 1, f"hop_len {hop_len} outside [1, window_len] or a sample rate "
           "of 0", ModelStatus.SHAPE)
    r = _Reader(blob, header_bytes)
    found = _sections(r) if version == FORMAT_VERSION else {}
    fset = features.get(feature_set)
    _check(not fset.section or SECTION_FEATURES in found, f"feature set {fset.name} needs a FEATURES section",
           ModelStatus.LAYOUT)
    _check(fset.section or SECTION_FEATURES not in found, f"feature set {fset.name} takes no FEATURES section",
           ModelStatus.PARAM)
    params = fset.decode(found.get(SECTION_FEATURES, b""), window_len, n_channels)
    _check(n_features == fset.n_features(params), f"{n_features} features, the feature set makes "
           f"{fset.n_features(params)}", ModelStatus.SHAPE)
    if SECTION_INPUT_COMPACT in found:
        data = found[SECTION_INPUT_COMPACT]
        _check(iq == 0 and len(data) == pad4(3 * n_features), "the compact input quantization needs the header's "
               f"input offset 0 and a section of {pad4(3 * n_features)} bytes", ModelStatus.LAYOUT)
        offset = np.frombuffer(data, dtype="<i2", count=n_features).astype(np.int32)
        shift = np.frombuffer(data, dtype="u1", count=n_features, offset=2 * n_features).astype(np.int32)
        _check(bool(np.all((shift >= 1) & (shift <= 31))) and not any(data[3 * n_features:]),
               "compact input quantization: a shift outside [1, 31] or padding that is not zero", ModelStatus.PARAM)
        mult = None
    else:
        q = r.array(iq, 3 * n_features, "<i4", "the input quantization")
        offset, mult, shift = q[:n_features], q[n_features:2 * n_features], q[2 * n_features:]
        _check(_requant_ok(mult, shift), "input quantization parameter out of range", ModelStatus.PARAM)
    _check(r.span_ok(layers_off, n_layers * LAYER_BYTES), "the layer table lies outside the blob",
           ModelStatus.LAYOUT)
    layers = []
    expected = n_features
    for k in range(n_layers):
        rec = layers_off + k * LAYER_BYTES
        in_len, out_len, flags, w, b, mu, s = _LAYER.unpack_from(blob, rec)
        _check(1 <= in_len <= MAX_FEATURES and 1 <= out_len <= MAX_LAYER_WIDTH, f"layer {k} size out of range",
               ModelStatus.LIMIT)
        _check(flags & ~(FLAG_RELU | FLAG_LOGITS) == 0 and not any(blob[rec + 5:rec + 8]),
               f"layer {k} has unknown flags or reserved bytes that are not zero", ModelStatus.PARAM)
        if version == FORMAT_VERSION_V1:
            raw_w = r.array(w, pad4(in_len) * pad4(out_len), "i1", f"layer {k}'s weights")
        else:
            raw_w = r.array(w, pad4(in_len) * pad4(out_len) // 2, "<i2", f"layer {k}'s weights")
        bias, mult_k, shift_k = (r.array(o, out_len, "<i4", f"layer {k}'s {what}")
                                 for o, what in ((b, "biases"), (mu, "multipliers"), (s, "shifts")))
        _check(_requant_ok(mult_k, shift_k), f"layer {k} has a requantization parameter out of range",
               ModelStatus.PARAM)
        weights = _unblock_v1(raw_w, out_len, in_len) if version == FORMAT_VERSION_V1 else \
            unblock_weights(raw_w, out_len, in_len)
        _check_weights(weights if version == FORMAT_VERSION_V1 else _all_pair_weights(raw_w), k)
        last = k == n_layers - 1
        _check(in_len == expected and bool(flags & FLAG_LOGITS) == last
               and (not last or (out_len == n_classes and not flags & FLAG_RELU)),
               f"layer {k} ({in_len} -> {out_len}) does not chain, or only the last layer gives the logits",
               ModelStatus.SHAPE)
        layers.append(Layer(weights.astype(np.int8), bias, mult_k, shift_k, relu=bool(flags & FLAG_RELU),
                            logits=bool(flags & FLAG_LOGITS)))
        expected = out_len
    raw = r.array(names_off, n_classes * NAME_BYTES, "u1", "the class names").tobytes()
    chunks = [raw[i * NAME_BYTES:(i + 1) * NAME_BYTES] for i in range(n_classes)]
    _check(all(c[-1] == 0 for c in chunks), "class name not NUL-terminated", ModelStatus.LAYOUT)
    names = [c.split(b"\0", 1)[0].decode(errors="replace") for c in chunks]
    units = counts_per_unit = None
    if scale_off:
        raw_scale = r.array(scale_off, n_channels * SCALE_BYTES, "u1", "the input scale").tobytes()
        records = [struct.unpack_from("<B3sI", raw_scale, c * SCALE_BYTES) for c in range(n_channels)]
        # As fx_model_parse: a known unit and a scale, or "counts" and none.
        _check(all(code in UNIT_NAMES and pad == b"\0\0\0" and (code != 0) == (cpu != 0) for code, pad, cpu in records),
               "input scale record out of range", ModelStatus.PARAM)
        units = [UNIT_NAMES[code] for code, _, _ in records]
        counts_per_unit = [cpu / 65536 for _, _, cpu in records]
    decision = None
    if SECTION_DECISION in found:
        decision = Decision.decode(found[SECTION_DECISION], n_classes, n_features)
    return Model(Shape(window_len, n_channels, hop_len, rate), names, offset, mult, shift, layers, model_id=model_id,
                 feature_set=feature_set, units=units, counts_per_unit=counts_per_unit,
                 feature_params=params if fset.section else None, decision=decision)


def _all_pair_weights(pairs: np.ndarray) -> np.ndarray:
    """Every weight the row pairs decode to, padding included, as fx_model_parse checks them."""
    pairs = pairs.astype(np.int32)
    even = ((pairs & 0xFF) ^ 0x80) - 0x80
    return np.concatenate([even, (pairs - even) >> 8])


def _unblock_v1(blocked: np.ndarray, out_len: int, in_len: int) -> np.ndarray:
    """Format 1's weights: int8 blocks of four rows by four inputs, each row's four in a row."""
    op, ip = pad4(out_len), pad4(in_len)
    return blocked.reshape(op // 4, ip // 4, 4, 4).transpose(0, 2, 1, 3).reshape(op, ip)[:out_len, :in_len]


def version_of(blob: bytes) -> int:
    return struct.unpack_from("<H", blob, 4)[0] if len(blob) >= 6 else 0


def upgrade(blob: bytes) -> bytes:
    """blob as the firmware reads it: a valid format-1 blob rewritten as format 3 (the same model
    and model id), anything else (formats 2 and 3, which the firmware reads) unchanged."""
    if version_of(blob) != FORMAT_VERSION_V1:
        return blob
    return pack(unpack(blob))


def read(path: str | Path) -> tuple[Model, bytes]:
    """A model file: the model, and its blob as the firmware reads it (format 2 or 3); errors name the
    file."""
    try:
        blob = Path(path).read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"cannot read model {path}: {exc.strerror}") from exc
    try:
        return unpack(blob), upgrade(blob)
    except ModelFormatError as exc:
        raise ModelFormatError(f"{path}: {exc}", exc.status) from None


def load(path: str | Path) -> Model:
    return read(path)[0]


def c_array(blob: bytes, name: str = "fx_default_model") -> str:
    """C source holding blob as an aligned const array, for firmware that embeds a model."""
    rows = [", ".join(f"0x{b:02x}" for b in blob[i:i + 12]) for i in range(0, len(blob), 12)]
    body = ",\n    ".join(rows)
    return (f"/* Generated by fxclass {__version__} (model format {version_of(blob)}); do not edit. */\n"
            "#include <stdint.h>\n\n"
            f"const uint32_t {name}_len = {len(blob)}u;\n"
            f"const uint8_t {name}[{len(blob)}] __attribute__((aligned(4))) = {{\n    {body}\n}};\n")
