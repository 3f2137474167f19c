"""Drive tests/native/fx_runner (the C core on the host) with binary case files."""
from __future__ import annotations

import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from fxclass.model.reference import block_weights, pad4


# fx_variant (firmware/core/fx_kernels.h) by value: the variant of a stage that the runner reports.
VARIANTS = ("portable", "dsp", "dsp_layer", "dsp_pairs")


def has_dsp(runner: Path) -> bool:
    """Whether a runner has the Cortex-M4 DSP variants: fx_runner_m4.elf does; the host builds and
    fx_runner_m4_portable.elf (-DFX_PORTABLE) have the portable C alone."""
    return runner.name == "fx_runner_m4.elf"


def run(runner: Path, kernel: str, data: bytes) -> bytes:
    """The C core on the case file: a host build, or (an .elf) the Cortex-M4 build in QEMU, whose
    files and command line go through semihosting. Every output starts with whether the build has
    the DSP variants, which must be what the runner's name says; the rest is returned."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        src.write_bytes(data)
        if runner.suffix == ".elf":
            cmd = ["qemu-system-arm", "-M", "netduinoplus2", "-display", "none", "-monitor", "none", "-serial", "null",
                   "-semihosting-config", "enable=on,target=native", "-kernel", str(runner),
                   "-append", f"{kernel} {src} {dst}"]
        else:
            cmd = [str(runner), kernel, str(src), str(dst)]
        subprocess.run(cmd, check=True, timeout=600)
        out = dst.read_bytes()
    (dsp,) = struct.unpack_from("<I", out)
    assert dsp == has_dsp(runner), f"{runner.name} is built {'with' if dsp else 'without'} the DSP variants"
    return out[4:]


def softmax(runner: Path, cases: list[np.ndarray]) -> list[tuple[int, int, np.ndarray]]:
    data = bytearray(struct.pack("<I", len(cases)))
    for logits in cases:
        data += struct.pack("<I", len(logits)) + np.asarray(logits, dtype="<i4").tobytes()
    out = run(runner, "softmax", bytes(data))
    results, offset = [], 0
    for logits in cases:
        status, best = struct.unpack_from("<II", out, offset)
        offset += 8
        prob = np.frombuffer(out, dtype="<i2", count=len(logits), offset=offset)
        offset += 2 * len(logits)
        results.append((status, best, prob))
    return results


def dense(runner: Path, layers, first: bool = False):
    """fx_dense_run on layers (w, bias, mult, shift, flags, inputs), one run of the C core for them all:
    per layer (the variant it ran, statuses, outputs[, the int8 outputs' padding]). Each layer is planned
    as a layer after another, or with first as a model's first, whose inputs on a Cortex-M4 come as the
    input quantization's pairs where the whole-layer variant takes it."""
    data = bytearray(struct.pack("<I", len(layers)))
    for w, bias, mult, shift, flags, inputs in layers:
        out_len, in_len = w.shape
        data += struct.pack("<IIII", in_len, out_len, flags, first)
        data += block_weights(w).astype("<i2").tobytes()
        for arr in (bias, mult, shift):
            data += np.asarray(arr, dtype="<i4").tobytes()
        padded = np.zeros((len(inputs), pad4(in_len)), dtype=np.int8)
        padded[:, :in_len] = inputs
        data += struct.pack("<I", len(inputs)) + padded.tobytes()
    out = run(runner, "dense", bytes(data))
    results, offset = [], 0
    for w, bias, mult, shift, flags, inputs in layers:
        out_len = w.shape[0]
        variant = VARIANTS[struct.unpack_from("<I", out, offset)[0]]
        logits = bool(flags & 2)
        per = 4 + (4 * out_len if logits else pad4(out_len))
        raw = np.frombuffer(out, dtype=np.uint8, count=per * len(inputs), offset=offset + 4).reshape(len(inputs), per)
        offset += 4 + per * len(inputs)
        status = raw[:, :4].copy().view("<u4")[:, 0]
        if logits:
            results.append((variant, status, raw[:, 4:].copy().view("<i4")))
        else:
            results.append((variant, status, raw[:, 4:4 + out_len].copy().view(np.int8), raw[:, 4 + out_len:]))
    return results


def features(runner: Path, shapes):
    """fx_features_run of the stats kernel on (windows shaped (n, length, channels), segments), one run of
    the C core for them all: per shape (the variant it ran, statuses, features)."""
    data = bytearray(struct.pack("<I", len(shapes)))
    for windows, segments in shapes:
        n, length, ch = windows.shape
        data += struct.pack("<IIII", length, ch, segments, n) + windows.astype("<i2").tobytes()
    out = run(runner, "features", bytes(data))
    results, offset = [], 0
    for windows, segments in shapes:
        n, length, ch = windows.shape
        init, variant = struct.unpack_from("<II", out, offset)
        assert init == 0, f"fx_features_stats_init refused {length} x {ch}, {segments} segments: {init}"
        size = n * (1 + (segments + 4) * ch)
        f = np.frombuffer(out, dtype="<i4", count=size, offset=offset + 8).reshape(n, 1 + (segments + 4) * ch)
        offset += 8 + 4 * size
        results.append((VARIANTS[variant], f[:, 0], f[:, 1:]))
    return results


def spectral(runner: Path, stages):
    """fx_features_spectral_init and fx_features_run on (section bytes or None, windows shaped (n, length,
    channels)) stages, one run of the C core for them all: per stage (set-up status, the variant it
    ran, buffer_size, statuses, features)."""
    return section_stages(runner, "spectral", stages)


def rocket(runner: Path, stages):
    """As spectral, with fx_features_rocket_init."""
    return section_stages(runner, "rocket", stages)


def section_stages(runner: Path, kernel: str, stages):
    """The runner's kernel (spectral or rocket) on stages: see spectral."""
    data = bytearray(struct.pack("<I", len(stages)))
    for section, windows in stages:
        n, length, ch = windows.shape
        section = section or b""
        data += struct.pack("<III", length, ch, len(section)) + section + b"\0" * (-len(section) % 4)
        data += struct.pack("<I", n) + windows.astype("<i2").tobytes()
    out = run(runner, kernel, bytes(data))
    results, offset = [], 0
    for _, windows in stages:
        init, variant, n_features, buffer_size = struct.unpack_from("<IIII", out, offset)
        n = len(windows)
        f = np.frombuffer(out, dtype="<i4", count=n * (1 + n_features), offset=offset + 16).reshape(n, 1 + n_features)
        offset += 16 + 4 * f.size
        results.append((init, VARIANTS[variant], buffer_size, f[:, 0], f[:, 1:]))
    return results


def requant(runner: Path, values, mults, shifts) -> np.ndarray:
    cases = np.stack([values, mults, shifts], axis=1).astype("<i4")
    out = run(runner, "requant", struct.pack("<I", len(cases)) + cases.tobytes())
    return np.frombuffer(out, dtype="<i8")


def quantize(runner: Path, cases: list[tuple[np.ndarray, ...]]):
    """fx_quantize_input on (features, offset, mult, shift) cases of the standard form, or (features,
    offset, None, shift) of the compact one, each planned before a logits layer and before a layer that
    can read the Cortex-M4 pairs: per case two (variant, status, int8 outputs padded to 4)."""
    data = bytearray(struct.pack("<I", len(cases)))
    for features, offset, mult, shift in cases:
        arrays = (features, offset, shift) if mult is None else (features, offset, mult, shift)
        data += struct.pack("<II", len(features), mult is None)
        data += b"".join(np.asarray(a, dtype="<i4").tobytes() for a in arrays)
    out = run(runner, "quantize", bytes(data))
    results, offset = [], 0
    for arrays in cases:
        n = pad4(len(arrays[0]))
        pair = []
        for _ in range(2):
            variant, status = struct.unpack_from("<II", out, offset)
            pair.append((VARIANTS[variant], status, np.frombuffer(out, dtype=np.int8, count=n, offset=offset + 8)))
            offset += 8 + n
        results.append(tuple(pair))
    return results


def model(runner: Path, blob: bytes, windows: np.ndarray, n_classes: int):
    """fx_model_parse and fx_model_run: (parse status, the plan, classes, probabilities); the plan
    names the variant of each stage: {"features": ..., "input": ..., "dense": [...]}."""
    data = struct.pack("<I", len(blob)) + blob + b"\0" * (-len(blob) % 4)
    data += struct.pack("<I", len(windows)) + np.asarray(windows, dtype="<i2").tobytes()
    out = run(runner, "model", data)
    parse_status = struct.unpack_from("<I", out)[0]
    if parse_status != 0:
        return parse_status, None, None, None
    features_variant, input_variant, n_layers = struct.unpack_from("<III", out, 4)
    dense = struct.unpack_from(f"<{n_layers}I", out, 16)
    plan = {"features": VARIANTS[features_variant], "input": VARIANTS[input_variant],
            "dense": [VARIANTS[v] for v in dense]}
    rec = np.frombuffer(out, dtype=np.uint8, offset=16 + 4 * n_layers).reshape(len(windows), 8 + 2 * n_classes)
    status = rec[:, :4].copy().view("<u4")[:, 0]
    cls = rec[:, 4:8].copy().view("<u4")[:, 0]
    assert np.all(status == 0)
    return parse_status, plan, cls, rec[:, 8:].copy().view("<i2")


def frames(runner: Path, cases: list[tuple[int, int, bytes]]) -> list[tuple[bytes, bytes]]:
    """Encode frames with the C writer; returns (wire bytes, body decoded back by the C decoder)."""
    data = bytearray(struct.pack("<I", len(cases)))
    for msg_type, seq, payload in cases:
        data += struct.pack("<III", msg_type, seq, len(payload)) + payload
    out, offset, results = run(runner, "frames", bytes(data)), 0, []
    for _ in cases:
        (n,) = struct.unpack_from("<I", out, offset)
        wire = out[offset + 4:offset + 4 + n]
        offset += 4 + n
        (m,) = struct.unpack_from("<I", out, offset)
        results.append((wire, out[offset + 4:offset + 4 + m]))
        offset += 4 + m
    return results


def parse(runner: Path, blobs: list[bytes]) -> list[int]:
    """fx_model_parse's status for each blob, in one run of the C core."""
    data = bytearray(struct.pack("<I", len(blobs)))
    for blob in blobs:
        data += struct.pack("<I", len(blob)) + blob + b"\0" * (-len(blob) % 4)
    return list(struct.unpack(f"<{len(blobs)}I", run(runner, "parse", bytes(data))))


def sensor(runner: Path, cases) -> list[tuple[int, np.ndarray]]:
    """cases: (samples (n, ch) int16, mult[ch], shift[ch], in_rate_millihertz, out_rate_millihertz)."""
    data = bytearray(struct.pack("<I", len(cases)))
    for samples, mult, shift, in_rate, out_rate in cases:
        ch = samples.shape[1]
        data += struct.pack("<III", ch, in_rate, out_rate)
        data += np.asarray(mult, dtype="<i4").tobytes() + np.asarray(shift, dtype="<u4").tobytes()
        data += struct.pack("<I", len(samples)) + samples.astype("<i2").tobytes()
    out = run(runner, "sensor", bytes(data))
    results, offset = [], 0
    for samples, *_ in cases:
        status, n_out = struct.unpack_from("<II", out, offset)
        offset += 8
        y = np.frombuffer(out, dtype="<i2", count=n_out * samples.shape[1], offset=offset)
        offset += 2 * n_out * samples.shape[1]
        results.append((status, y.reshape(n_out, samples.shape[1])))
    return results


def scale(runner: Path, pairs: np.ndarray) -> np.ndarray:
    """pairs (n, 2) of (nano_units_per_count, counts_per_unit_q16) -> (n, 3) status, mult, shift."""
    data = struct.pack("<I", len(pairs)) + np.asarray(pairs, dtype="<u4").tobytes()
    return np.frombuffer(run(runner, "scale", data), dtype="<i4").reshape(len(pairs), 3)


def decide(runner: Path, cases) -> list[tuple[int, np.ndarray]]:
    """fx_decide_init and fx_decide_push on cases (n_classes, hops, votes, dwell, thresholds or None, probs
    (T, n), votes (T,), restarts (T,) bool): per case (init status, (T, 4) status, decided, changed, prob)."""
    data = bytearray(struct.pack("<I", len(cases)))
    for n, hops, votes, dwell, thresholds, probs, hop_votes, restarts in cases:
        data += struct.pack("<IIIII", n, hops, votes, dwell, thresholds is not None)
        if thresholds is not None:
            data += np.asarray(thresholds, dtype="<i2").tobytes()
        data += struct.pack("<I", len(probs))
        for p, v, r in zip(probs, hop_votes, restarts):
            data += struct.pack("<II", int(r), int(v)) + np.asarray(p, dtype="<i2").tobytes()
    out = run(runner, "decide", bytes(data))
    results, offset = [], 0
    for case in cases:
        (init,) = struct.unpack_from("<I", out, offset)
        t = len(case[5])
        rows = np.frombuffer(out, dtype="<i4", count=4 * t, offset=offset + 4).reshape(t, 4)
        offset += 4 + 16 * t
        results.append((init, rows))
    return results


def pipeline(runner: Path, blob: bytes, samples: np.ndarray, settings=(0, 0, 0), gaps=()):
    """fx_pipeline_push over a recording (n, channels) int16 through a model, with the decision settings
    (hops, votes, dwell) and fx_pipeline_gap before the sample indices in gaps: (parse status, the input
    stage's variant, per hop (T, 7) hop_index, samples, class, outside, decided, changed, smoothed prob,
    and (T, n_classes) probabilities)."""
    samples = np.asarray(samples, dtype="<i2")
    data = struct.pack("<I", len(blob)) + blob + b"\0" * (-len(blob) % 4)
    data += struct.pack("<IIIII", *settings, len(samples), samples.shape[1]) + samples.tobytes()
    data += struct.pack("<I", len(gaps)) + np.asarray(gaps, dtype="<u4").tobytes()
    out = run(runner, "pipeline", data)
    status = struct.unpack_from("<I", out)[0]
    if status != 0:
        return status, None, None, None
    variant = VARIANTS[struct.unpack_from("<I", out, 4)[0]]
    (n_classes,) = struct.unpack_from("<I", out, 8)
    offset, rows, probs = 12, [], []
    while struct.unpack_from("<I", out, offset)[0] != 0xFFFFFFFF:
        rows.append(struct.unpack_from("<7i", out, offset))
        probs.append(np.frombuffer(out, dtype="<i2", count=n_classes, offset=offset + 28))
        offset += 28 + 2 * n_classes
    return status, variant, np.array(rows, dtype=np.int64).reshape(-1, 7), np.array(probs).reshape(len(rows), n_classes)
