"""The .fxm model blob (format 2): writer and validating reader, mirroring fx_model_parse.

Format 1 blobs (the first release's weight layout) are read too, and upgrade() rewrites them as
format 2."""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import ModelFormatError
from .reference import FEATURE_SEGMENTS, WEIGHT_MAX, block_weights, features_per_channel, pad4, unblock_weights
from .shape import Shape, Shaped

MAGIC = b"FXMB"
FORMAT_VERSION = 2
FORMAT_VERSION_V1 = 1  # read, and upgraded: the same fields, weights as int8 blocks
HEADER_BYTES = 48
LAYER_BYTES = 32
NAME_BYTES = 16
FEATURE_SET_STATS8 = 1
SCALE_BYTES = 8
# Physical units of a model's input channels (fx_unit in fx_sensor_path.h).
UNITS = {"counts": 0, "g": 1, "m/s2": 2, "dps": 3, "rad/s": 4, "A": 5, "other": 6}
UNIT_NAMES = {v: k for k, v in UNITS.items()}
FLAG_RELU = 0x01
FLAG_LOGITS = 0x02

# Limits of the firmware build (fx_core.h, fx_proto.h; tests/test_limits.py compares); the writer
# refuses what the firmware would.
MAX_WINDOW_LEN = 2048
MAX_CHANNELS = 12
MAX_WINDOW_VALUES = 2304
MAX_FEATURES = 2016
MAX_LAYER_WIDTH = 128
MAX_LAYERS = 8
MAX_CLASSES = 32
MAX_MODEL_BYTES = 4608  # the upload buffer: the stream window's memory (FX_MAX_WINDOW_VALUES x 2)

_HEADER = struct.Struct("<4sHHIIHHHHBBBBHHIIII")
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
    shape: Shape
    class_names: list[str]
    input_offset: np.ndarray
    input_mult: np.ndarray
    input_shift: np.ndarray
    layers: list[Layer]
    model_id: int = 0
    feature_set: int = FEATURE_SET_STATS8
    meta: dict = field(default_factory=dict)
    # The physical scale the inputs were trained in, per channel: a unit from UNITS and model counts
    # per unit (kept to Q16.16). None: the model takes raw counts and declares no scale.
    units: list[str] | None = None
    counts_per_unit: list[float] | None = None

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_features(self) -> int:
        return int(self.input_offset.shape[0])

    def macs(self) -> int:
        return sum(layer.in_len * layer.out_len for layer in self.layers)


def check_firmware_limits(window_len: int, n_channels: int, feature_set: int, hidden: tuple[int, ...],
                          n_classes: int, class_names: list[str] | None = None) -> None:
    """What the firmware will refuse, known before any training: raises ModelFormatError with the
    numbers and the limit, and what to change."""
    segments = FEATURE_SEGMENTS.get(feature_set, 0)
    n_features = n_channels * features_per_channel(feature_set) if segments else 0
    problems = []
    if n_channels > MAX_CHANNELS:
        problems.append(f"{n_channels} channels, the firmware takes at most {MAX_CHANNELS}")
    if window_len > MAX_WINDOW_LEN:
        problems.append(f"windows of {window_len} samples, the firmware takes at most {MAX_WINDOW_LEN}")
    if window_len * n_channels > MAX_WINDOW_VALUES:
        problems.append(f"windows of {window_len} x {n_channels} = {window_len * n_channels} values, the firmware "
                        f"holds at most {MAX_WINDOW_VALUES}")
    if segments and window_len < segments:
        problems.append(f"windows of {window_len} samples, fewer than the {segments} segments of the feature set "
                        "(use a longer --window-len or --features stats8)")
    if n_features > MAX_FEATURES:
        problems.append(f"{n_features} features ({n_channels} channels x {features_per_channel(feature_set)}), the "
                        f"firmware takes at most {MAX_FEATURES} (use --features stats8 or fewer channels)")
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


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ModelFormatError(message)


def _check_weights(weights: np.ndarray, k: int) -> None:
    _check(bool(np.all(np.abs(weights.astype(np.int32)) <= WEIGHT_MAX)),
           f"layer {k} has a weight outside [-{WEIGHT_MAX}, {WEIGHT_MAX}]")


def _validate(m: Model) -> None:
    _check(4 <= m.window_len <= MAX_WINDOW_LEN, f"window_len {m.window_len} outside [4, {MAX_WINDOW_LEN}]")
    _check(1 <= m.n_channels <= MAX_CHANNELS, f"n_channels {m.n_channels} outside [1, {MAX_CHANNELS}]")
    _check(m.window_len * m.n_channels <= MAX_WINDOW_VALUES,
           f"window of {m.window_len} x {m.n_channels} exceeds {MAX_WINDOW_VALUES} values")
    _check(1 <= m.hop_len <= m.window_len, f"hop_len {m.hop_len} outside [1, window_len]")
    _check(1 <= m.sample_rate_hz <= 65535, f"sample_rate_hz {m.sample_rate_hz} outside [1, 65535]")
    _check(m.feature_set in FEATURE_SEGMENTS, f"unknown feature set {m.feature_set}")
    _check(m.window_len >= FEATURE_SEGMENTS[m.feature_set], "window shorter than the feature set's segments")
    _check(m.n_features == m.n_channels * features_per_channel(m.feature_set), "feature count does not match channels")
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
        _check(bool(np.all(layer.mult >= 1)) and bool(np.all((layer.shift >= 1) & (layer.shift <= 62))),
               f"layer {k} has a requantization parameter out of range")
        expected = layer.out_len
    _check(bool(np.all(m.input_mult >= 1)) and bool(np.all((m.input_shift >= 1) & (m.input_shift <= 62))),
           "input quantization parameter out of range")
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


def pack(m: Model) -> bytes:
    """Serialize a model to a format-2 blob; raises ModelFormatError for what firmware would refuse."""
    _validate(m)
    body = bytearray(HEADER_BYTES)

    def put(data: bytes) -> int:
        offset = len(body)
        body.extend(data)
        body.extend(b"\0" * (-len(body) % 4))
        return offset

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
    return bytes(body) + struct.pack("<I", zlib.crc32(body))


def _array(blob: bytes, offset: int, count: int, dtype: str, end: int) -> np.ndarray:
    size = np.dtype(dtype).itemsize * count
    _check(offset % 4 == 0 and HEADER_BYTES <= offset and offset + size <= end,
           f"array at offset {offset} lies outside the blob")
    return np.frombuffer(blob, dtype=dtype, count=count, offset=offset).copy()


def unpack(blob: bytes) -> Model:
    """Parse and validate a blob with the same rules as fx_model_parse."""
    _check(len(blob) >= HEADER_BYTES + 4, f"blob of {len(blob)} bytes is too short")
    (magic, version, header_bytes, total, model_id, window_len, n_channels, hop_len, rate, feature_set,
     n_layers, n_classes, _, n_features, _, iq, layers_off, names_off, scale_off) = _HEADER.unpack_from(blob)
    _check(magic == MAGIC, "not an fxclass model (bad magic)")
    _check(version in (FORMAT_VERSION, FORMAT_VERSION_V1) and header_bytes == HEADER_BYTES,
           f"model format version {version} is not supported (this fxclass reads {FORMAT_VERSION_V1} and "
           f"{FORMAT_VERSION})")
    _check(total == len(blob), f"header says {total} bytes, blob has {len(blob)}")
    end = total - 4
    _check(zlib.crc32(blob[:end]) == struct.unpack_from("<I", blob, end)[0], "CRC-32 mismatch: the blob is corrupt")
    _check(1 <= n_layers <= MAX_LAYERS and 1 <= n_features <= MAX_FEATURES, "layer or feature count out of range")
    q = _array(blob, iq, 3 * n_features, "<i4", end)
    layers = []
    for k in range(n_layers):
        _check(layers_off + (k + 1) * LAYER_BYTES <= end, "layer table lies outside the blob")
        in_len, out_len, flags, w, b, mu, s = _LAYER.unpack_from(blob, layers_off + k * LAYER_BYTES)
        _check(1 <= in_len <= MAX_FEATURES and 1 <= out_len <= MAX_LAYER_WIDTH, f"layer {k} size out of range")
        if version == FORMAT_VERSION_V1:
            weights = _unblock_v1(_array(blob, w, pad4(in_len) * pad4(out_len), "i1", end), out_len, in_len)
        else:
            weights = unblock_weights(_array(blob, w, pad4(in_len) * pad4(out_len) // 2, "<i2", end), out_len, in_len)
        _check_weights(weights, k)  # before they become int8
        layers.append(Layer(weights.astype(np.int8), _array(blob, b, out_len, "<i4", end),
                            _array(blob, mu, out_len, "<i4", end), _array(blob, s, out_len, "<i4", end),
                            relu=bool(flags & FLAG_RELU), logits=bool(flags & FLAG_LOGITS)))
    _check(1 <= n_classes <= MAX_CLASSES, "class count out of range")
    raw = _array(blob, names_off, n_classes * NAME_BYTES, "u1", end).tobytes()
    chunks = [raw[i * NAME_BYTES:(i + 1) * NAME_BYTES] for i in range(n_classes)]
    _check(all(c[-1] == 0 for c in chunks), "class name not NUL-terminated")
    names = [c.split(b"\0", 1)[0].decode(errors="replace") for c in chunks]
    units = counts_per_unit = None
    if scale_off:
        raw_scale = _array(blob, scale_off, n_channels * SCALE_BYTES, "u1", end).tobytes()
        records = [struct.unpack_from("<B3sI", raw_scale, c * SCALE_BYTES) for c in range(n_channels)]
        # As fx_model_parse: a known unit and a scale, or "counts" and none.
        _check(all(code in UNIT_NAMES and pad == b"\0\0\0" and (code != 0) == (cpu != 0) for code, pad, cpu in records),
               "input scale record out of range")
        units = [UNIT_NAMES[code] for code, _, _ in records]
        counts_per_unit = [cpu / 65536 for _, _, cpu in records]
    m = Model(Shape(window_len, n_channels, hop_len, rate), names, q[:n_features], q[n_features:2 * n_features],
              q[2 * n_features:], layers, model_id=model_id, feature_set=feature_set, units=units,
              counts_per_unit=counts_per_unit)
    _validate(m)
    return m


def _unblock_v1(blocked: np.ndarray, out_len: int, in_len: int) -> np.ndarray:
    """Format 1's weights: int8 blocks of four rows by four inputs, each row's four in a row."""
    op, ip = pad4(out_len), pad4(in_len)
    return blocked.reshape(op // 4, ip // 4, 4, 4).transpose(0, 2, 1, 3).reshape(op, ip)[:out_len, :in_len]


def version_of(blob: bytes) -> int:
    return struct.unpack_from("<H", blob, 4)[0] if len(blob) >= 6 else 0


def upgrade(blob: bytes) -> bytes:
    """blob as the firmware reads it: a valid format-1 blob rewritten as format 2 (the same model
    and model id), anything else unchanged."""
    if version_of(blob) != FORMAT_VERSION_V1:
        return blob
    return pack(unpack(blob))


def read(path: str | Path) -> tuple[Model, bytes]:
    """A model file: the model, and its blob as the firmware reads it (format 2); errors name the file."""
    try:
        blob = Path(path).read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"cannot read model {path}: {exc.strerror}") from exc
    try:
        return unpack(blob), upgrade(blob)
    except ModelFormatError as exc:
        raise ModelFormatError(f"{path}: {exc}") from None


def load(path: str | Path) -> Model:
    return read(path)[0]


def c_array(blob: bytes, name: str = "fx_default_model") -> str:
    """C source holding blob as an aligned const array, for firmware that embeds a model."""
    rows = [", ".join(f"0x{b:02x}" for b in blob[i:i + 12]) for i in range(0, len(blob), 12)]
    body = ",\n    ".join(rows)
    return (f"/* Generated by fxclass {__version__} (model format {FORMAT_VERSION}); do not edit. */\n"
            "#include <stdint.h>\n\n"
            f"const uint32_t {name}_len = {len(blob)}u;\n"
            f"const uint8_t {name}[{len(blob)}] __attribute__((aligned(4))) = {{\n    {body}\n}};\n")
