"""Bit-exact numpy reference of the firmware's fixed-point pipeline (firmware/core).

Every function here mirrors one C kernel; the feature sets' kernels are mirrored in features/. The
tests run both on the same inputs and require identical outputs. All arithmetic is integer (int64
intermediates); nothing here uses float.
"""
from __future__ import annotations

import math

import numpy as np

from . import decide, features

LOGIT_FRAC_BITS = 16
LOG2E_Q31 = 3098164009
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def exp2_table() -> np.ndarray:
    """round(2^24 * 2^(-i/128)) for i = 0..128, the table in fx_softmax.c."""
    return np.array([round(2**24 * 2 ** (-i / 128)) for i in range(129)], dtype=np.int64)


_EXP2 = exp2_table()


def pad4(n: int) -> int:
    return (n + 3) & ~3


def requantize(value, mult, shift) -> np.ndarray:
    """(value * mult + 2^(shift-1)) >> shift in int64, as fx_requantize."""
    value = np.asarray(value, dtype=np.int64)
    mult = np.asarray(mult, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    return (value * mult + (np.int64(1) << (shift - 1))) >> shift


def wrap_int32(x) -> np.ndarray:
    return ((np.asarray(x, dtype=np.int64) + 2**31) % 2**32 - 2**31).astype(np.int64)


def quantize_input(features, offset, mult, shift) -> np.ndarray:
    """The input quantization's standard form: sat_s8(requantize(sat_s32(f - offset), mult, shift))."""
    centred = np.clip(np.asarray(features, dtype=np.int64) - offset, INT32_MIN, INT32_MAX)
    return np.clip(requantize(centred, mult, shift), -128, 127).astype(np.int8)


def quantize_input_compact(features, offset, shift) -> np.ndarray:
    """Its compact form: sat_s8(((f - offset) * 65536 + 2^(shift-1)) >> shift), offset int16, shift
    in [1, 31]; below 2^48 in magnitude before the shift."""
    shift = np.asarray(shift, dtype=np.int64)
    scaled = (np.asarray(features, dtype=np.int64) - np.asarray(offset, dtype=np.int64)) * 65536
    return np.clip((scaled + (np.int64(1) << (shift - 1))) >> shift, -128, 127).astype(np.int8)


# The order of a block's four inputs within a row pair: the words (x0, x2) and (x1, x3), as the
# Cortex-M4 kernel pairs its inputs.
_BLOCK_INPUT_ORDER = [0, 2, 1, 3]
WEIGHT_MAX = 127  # format 2 stores weights in [-127, 127]


def block_weights(w: np.ndarray) -> np.ndarray:
    """Row-major int8 weights (out, in) -> the blocked layout of fx_dense (format 2), as int16.

    Blocks of four rows by four inputs; in a block, rows 2p and 2p + 1 (a row pair) share one int16
    per input, 256 * w(2p + 1, i) + w(2p, i), in the input order 0, 2, 1, 3. The low byte is the
    even row's weight; the odd row's is (value - low byte) / 256."""
    out_len, in_len = w.shape
    padded = np.zeros((pad4(out_len), pad4(in_len)), dtype=np.int16)
    padded[:out_len, :in_len] = w
    pairs = padded[1::2] * np.int16(256) + padded[0::2]  # (out / 2, in)
    blocks = pairs.reshape(pad4(out_len) // 4, 2, pad4(in_len) // 4, 4)[..., _BLOCK_INPUT_ORDER]
    return np.ascontiguousarray(blocks.transpose(0, 2, 1, 3)).reshape(-1)


def unblock_weights(blocked: np.ndarray, out_len: int, in_len: int) -> np.ndarray:
    """The inverse of block_weights, as int16 (the odd rows' decoded weights can reach 128 in a
    blob that block_weights did not write; the reader checks the range)."""
    op, ip = pad4(out_len), pad4(in_len)
    blocks = np.asarray(blocked, dtype=np.int16).reshape(op // 4, ip // 4, 2, 4).transpose(0, 2, 1, 3)
    pairs = np.empty_like(blocks)
    pairs[..., _BLOCK_INPUT_ORDER] = blocks
    pairs = pairs.reshape(op // 2, ip).astype(np.int32)
    even = ((pairs & 0xFF) ^ 0x80) - 0x80
    w = np.empty((op, ip), dtype=np.int16)
    w[0::2] = even
    w[1::2] = (pairs - even) >> 8
    return w[:out_len, :in_len]


def dense_acc(w, bias, x) -> np.ndarray:
    """int32 accumulators (wrapping like the C code) for inputs x shaped (..., in_len)."""
    acc = np.asarray(x, dtype=np.int64) @ np.asarray(w, dtype=np.int64).T
    return wrap_int32(acc + np.asarray(bias, dtype=np.int64))


def dense_s8(w, bias, mult, shift, x, relu: bool) -> np.ndarray:
    y = requantize(dense_acc(w, bias, x), mult, shift)
    return np.clip(y, 0 if relu else -128, 127).astype(np.int8)


def dense_logits(w, bias, mult, shift, x) -> np.ndarray:
    y = requantize(dense_acc(w, bias, x), mult, shift)
    return np.clip(y, -(2**30), 2**30).astype(np.int32)


def softmax_q15(logits) -> tuple[np.ndarray, np.ndarray]:
    """Q16.16 logits shaped (..., n) -> (int16 Q15 probabilities, argmax), as fx_softmax_q15."""
    x = np.asarray(logits, dtype=np.int64)
    best = np.argmax(x, axis=-1)
    top = np.take_along_axis(x, best[..., None], axis=-1)
    distance = (top - x) & 0xFFFFFFFF
    # (distance * LOG2E_Q31) >> 32 without overflowing int64: split distance into 16-bit halves.
    u = ((distance >> 16) * LOG2E_Q31 + (((distance & 0xFFFF) * LOG2E_Q31) >> 16)) >> 16
    small = u < (25 << 15)
    u = np.where(small, u, 0)
    k = u >> 15
    idx = (u >> 8) & 127
    r = u & 255
    a = _EXP2[idx]
    step = a - _EXP2[idx + 1]
    e = np.where(small, (a - ((step * r + 128) >> 8)) >> k, 0)
    total = e.sum(axis=-1, keepdims=True)
    den = (total + 128) >> 8
    p = ((e << 7) + (den >> 1)) // den
    return np.minimum(p, 32767).astype(np.int16), best


class Pipeline:
    """The reference pipeline for one parsed model (see fxm.Model)."""

    def __init__(self, model):
        self.model = model
        self.feature_set = features.get(model.feature_set)
        self.feature_params = features.params_of(model.feature_set, model.feature_params, model.window_len,
                                                 model.n_channels)

    def features(self, windows: np.ndarray) -> np.ndarray:
        """The feature stage's int32 features of int16 windows (..., window_len, n_channels)."""
        return self.feature_set.transform(self.feature_params, windows)

    def first_inputs(self, windows: np.ndarray) -> np.ndarray:
        """The int8 inputs of the first dense layer: the space where a window is near a class or not."""
        m = self.model
        feats = self.features(windows)
        if m.input_compact:
            return quantize_input_compact(feats, m.input_offset, m.input_shift)
        return quantize_input(feats, m.input_offset, m.input_mult, m.input_shift)

    def logits(self, windows: np.ndarray) -> np.ndarray:
        return self.logits_of_inputs(self.first_inputs(windows))

    def logits_of_inputs(self, x: np.ndarray) -> np.ndarray:
        m = self.model
        for layer in m.layers[:-1]:
            x = dense_s8(layer.weights, layer.bias, layer.mult, layer.shift, x, layer.relu)
        last = m.layers[-1]
        return dense_logits(last.weights, last.bias, last.mult, last.shift, x)

    def run(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """int16 windows (..., window_len, n_channels) -> (class index, Q15 probabilities)."""
        prob, best = softmax_q15(self.logits(windows))
        return best, prob

    def stream(self, samples: np.ndarray, settings: "decide.DecideSettings | None" = None,
               gaps=()) -> dict[str, np.ndarray]:
        """fx_pipeline_push over a recording (n, n_channels) int16, fx_pipeline_gap before the sample
        indices in gaps, with the model's decision settings (or those settings replace): per hop its
        hop index, samples seen, class, probabilities, outside, decision, changed and smoothed
        probability."""
        m = self.model
        gaps = set(int(g) for g in gaps)
        fill, restart, ends, restarts = 0, False, [], set()
        for t in range(len(samples)):
            if t in gaps:
                fill, restart = 0, True
            if fill == m.window_len:
                fill = m.window_len - m.hop_len
            fill += 1
            if fill == m.window_len:
                if restart:
                    restarts.add(len(ends))
                    restart = False
                ends.append(t)
        samples = np.asarray(samples)
        windows = np.stack([samples[e - m.window_len + 1:e + 1] for e in ends]) if ends else \
            np.zeros((0, m.window_len, m.n_channels), dtype=np.int16)
        best, prob, out = self.run_open(windows)
        decision = (m.decision or decide.Decision()).apply(settings)
        decided, changed, smoothed = decide.decide(prob, decide.votes_of(best, out), decision, restarts)
        return {"hop_index": np.arange(len(ends)), "samples": np.array(ends, dtype=np.int64) + 1, "class": best,
                "prob": prob, "outside": out, "decided": decided, "changed": changed, "smoothed": smoothed}

    def run_open(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As run, and whether each window lies outside every class's radius (fx_result.outside)."""
        x = self.first_inputs(windows)
        prob, best = softmax_q15(self.logits_of_inputs(x))
        return best, prob, decide.outside(x, self.model.decision)


# ---- the board's sensor: from its counts at its rate to the model's counts at the model's rate ----

def scale_factor(nano_units_per_count: int, counts_per_unit_q16: int) -> tuple[int, int] | None:
    """fx_scale_factor: (mult, shift) with mult / 2^shift = nano x cpu / (10^9 x 2^16), mult rounded
    in [2^29, 2^30] once the quotient has 30 bits (or shift 62); None where the C refuses."""
    if nano_units_per_count <= 0 or counts_per_unit_q16 <= 0:
        return None
    num, den = nano_units_per_count * counts_per_unit_q16, 10**9 << 16
    quotient, rem = divmod(num, den)
    shift = 0
    while quotient < 2**29 and shift < 62:
        rem <<= 1
        quotient = (quotient << 1) | (rem >= den)
        rem = rem - den if rem >= den else rem
        shift += 1
    if 2 * rem >= den:
        quotient += 1
    if shift < 1 or quotient == 0 or quotient >= 2**31:
        return None
    return quotient, shift


def sensor_path(samples: np.ndarray, mult, shift, in_rate_millihertz: int,
                out_rate_millihertz: int) -> np.ndarray:
    """fx_sensor_path: convert each channel, y = sat16((x * mult + 2^(shift-1)) >> shift), then resample
    by linear interpolation, output k at input position k p / q (p / q = in_rate / out_rate in lowest
    terms), y_k = floor((x_n (q - r) + x_(n+1) r + floor(q / 2)) / q). samples (n, channels) int16."""
    x = np.asarray(samples, dtype=np.int64)
    mult = np.asarray(mult, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    conv = np.clip((x * mult + (np.int64(1) << (shift - 1))) >> shift, -32768, 32767)
    g = math.gcd(in_rate_millihertz, out_rate_millihertz)
    p, q = in_rate_millihertz // g, out_rate_millihertz // g
    if len(conv) < 2:
        return np.zeros((0, x.shape[1]), dtype=np.int16)
    # Output k is produced once input n + 1 has arrived, for every k with k p < (n_inputs - 1) q.
    n_out = ((len(conv) - 1) * q + p - 1) // p
    k = np.arange(n_out, dtype=np.int64)
    n, r = np.divmod(k * p, q)
    a, b = conv[n], conv[np.minimum(n + 1, len(conv) - 1)]
    y = np.floor_divide(a * (q - r)[:, None] + b * r[:, None] + q // 2, q)
    return y.astype(np.int16)


class SensorPathStream:
    """fx_sensor_path one sample at a time, as the firmware runs it (sensor_path is the same on a
    whole recording): for turning RECORD's samples into the model's as they arrive."""

    def __init__(self, mult, shift, in_rate_millihertz: int, out_rate_millihertz: int):
        self.mult = np.asarray(mult, dtype=np.int64)
        self.shift = np.asarray(shift, dtype=np.int64)
        g = math.gcd(in_rate_millihertz, out_rate_millihertz)
        self.p, self.q = in_rate_millihertz // g, out_rate_millihertz // g
        self.restart()

    def restart(self) -> None:
        self.prev: np.ndarray | None = None
        self.acc = 0

    def push(self, samples: np.ndarray) -> np.ndarray:
        out = []
        for x in np.asarray(samples, dtype=np.int64):
            x = np.clip((x * self.mult + (np.int64(1) << (self.shift - 1))) >> self.shift, -32768, 32767)
            if self.prev is None:
                self.prev, self.acc = x, 0
                continue
            while self.acc < self.q:
                out.append(np.floor_divide(self.prev * (self.q - self.acc) + x * self.acc + self.q // 2, self.q))
                self.acc += self.p
            self.acc -= self.q
            self.prev = x
        return np.array(out, dtype=np.int16).reshape(len(out), len(self.mult))
