"""Post-training quantization of a FloatModel into a .fxm Model (int8 weights per channel)."""
from __future__ import annotations

import zlib

import numpy as np

from ..data.datasets import WindowSet
from .fxm import MAX_MODEL_BYTES, Layer, Model, pack
from .reference import LOGIT_FRAC_BITS, Pipeline
from .train import FloatModel, train

INPUT_STAGES = ("standard", "compact")


def multiplier(real: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real multipliers > 0 -> (mult in [2^30, 2^31), shift in [1, 62]) with real ~ mult / 2^shift."""
    real = np.asarray(real, dtype=np.float64)
    if np.any(real <= 0) or np.any(~np.isfinite(real)):
        raise ValueError("requantization multipliers must be positive and finite")
    mant, exp = np.frexp(real)  # real = mant * 2^exp, mant in [0.5, 1)
    mult = np.round(mant * 2.0**31).astype(np.int64)
    exp = exp + (mult == 2**31)
    mult = np.where(mult == 2**31, 2**30, mult)
    shift = 31 - exp
    if np.any(shift < 1) or np.any(shift > 62):
        raise ValueError("a multiplier is outside the representable range [2^-32, 2^30)")
    return mult.astype(np.int32), shift.astype(np.int32)


def _scale(values: np.ndarray, percentile: float) -> float:
    v = np.percentile(np.abs(values), percentile) if values.size else 0.0
    return float(max(v, 1e-6)) / 127.0


def quantize(fm: FloatModel, calibration: np.ndarray, percentile: float = 100.0, model_id: int | None = None,
             input_stage: str | None = None) -> Model:
    """Calibrate activation ranges on calibration windows and build the integer model.

    The first layer sees q = (f - offset) / (std * in_scale), where the float model saw
    z = (f - mean) / std; offset is mean rounded (to int16 in the compact stage), and the first layer's
    biases take the difference, W (offset - mean) / std, so that rounding the offset costs nothing.
    input_stage "standard" requantizes each feature by its own multiplier; "compact" by a power of
    two, 2^(16 - shift) (3 bytes per feature instead of 12), the ratio of that step to the exact one
    (within [0.71, 1.41]) going into the first layer's weight columns. None takes the stage the
    float model asks for (`train --features auto` records the one that fits), else the standard."""
    if input_stage is None:
        input_stage = fm.meta.get("input_stage", "standard")
    if input_stage not in INPUT_STAGES:
        raise ValueError(f"input stage {input_stage!r}: one of {', '.join(INPUT_STAGES)}")
    acts = fm.activations(calibration)
    in_scale = _scale(acts[0], percentile)
    compact = input_stage == "compact"
    if compact:
        offset = np.clip(np.round(fm.feature_mean), -2**15, 2**15 - 1).astype(np.int32)
        in_shift = np.clip(np.round(16 + np.log2(fm.feature_std * in_scale)), 1, 31).astype(np.int32)
        in_mult = None
        ratio = fm.feature_std * in_scale * 2.0 ** (16 - in_shift)
    else:
        offset = np.round(fm.feature_mean).astype(np.int32)
        in_mult, in_shift = multiplier(1.0 / (fm.feature_std * in_scale))
        ratio = np.ones_like(fm.feature_std)
    layers = []
    s_in = in_scale
    for k, (w, b) in enumerate(zip(fm.weights, fm.biases)):
        last = k == len(fm.weights) - 1
        if k == 0:
            b = b + w @ ((offset - fm.feature_mean) / fm.feature_std)
            w = w / ratio[None, :]
        # A row of (near) zero weights would need a multiplier below 2^-32; give it a scale
        # floor tied to the layer, where its quantized weights are zero or tiny anyway.
        row_max = np.abs(w).max(axis=1)
        w_scale = np.maximum(row_max, 1e-3 * max(float(row_max.max()), 1e-9)) / 127.0
        wq = np.clip(np.round(w / w_scale[:, None]), -127, 127).astype(np.int8)
        bias = np.clip(np.round(b / (s_in * w_scale)), -(2**30), 2**30).astype(np.int32)
        if last:
            s_out = 2.0**-LOGIT_FRAC_BITS
        else:
            s_out = _scale(acts[k + 1], percentile)
        mult, shift = multiplier(s_in * w_scale / s_out)
        layers.append(Layer(wq, bias, mult, shift, relu=not last, logits=last))
        s_in = s_out
    m = Model(fm.shape, list(fm.class_names), offset, in_mult, in_shift, layers, feature_set=fm.feature_set,
              units=fm.units, counts_per_unit=fm.counts_per_unit, feature_params=fm.feature_params)
    if model_id is None:
        # A stable id derived from the content: the CRC-32 of the blob written with id 0 (its
        # last four bytes; the CRC over a blob including its own CRC is a constant).
        model_id = zlib.crc32(pack(m)[:-4])
    m.model_id = model_id
    return m


PERCENTILES = (100.0, 99.99, 99.9, 99.5, 99.0, 98.0, 95.0)


def agreement(fm: FloatModel, qm: Model, windows: np.ndarray) -> float:
    """Share of windows where the integer model (the firmware, bit for bit) predicts as the float one."""
    quant, _ = Pipeline(qm).run(windows)
    return float(np.mean(quant == fm.predict(windows)))


def quantize_best(fm: FloatModel, calibration: np.ndarray, percentiles=PERCENTILES,
                  input_stage: str | None = None) -> tuple[Model, float, float]:
    """Calibrate with each activation-range percentile and keep the one whose integer model agrees
    best with the float model on the calibration windows (heavy-tailed features clip better below
    100); ties go to the higher percentile. Returns the model, the percentile and its agreement."""
    best = None
    for pct in percentiles:
        try:
            qm = quantize(fm, calibration, pct, input_stage=input_stage)
        except ValueError:
            continue
        score = agreement(fm, qm, calibration)
        if best is None or score > best[2] + 1e-12:
            best = (qm, pct, score)
    if best is None:
        raise ValueError("no calibration percentile gives representable multipliers")
    return best


__all__ = ["INPUT_STAGES", "agreement", "multiplier", "quantize", "quantize_best"]


def widest_that_fits(data: WindowSet, widths: tuple[int, ...], feature_set: int, hop_len: int) -> tuple[int, ...]:
    """widths, halved as often as needed for the blob to fit the firmware's model buffer (the default
    hidden layer for data with many features)."""
    while widths and model_bytes(data, widths, feature_set, hop_len) > MAX_MODEL_BYTES and max(widths) > 1:
        widths = tuple(max(1, w // 2) for w in widths)
    return widths


def model_bytes(data: WindowSet, hidden: tuple[int, ...], feature_set: int, hop_len: int) -> int:
    """The size of the blob that training hidden layers on data would give, known before training:
    one epoch on a few windows, quantized and packed (the size depends on the shapes only)."""
    few = data.windows[:16], data.labels[:16]
    sample = WindowSet(few[0], few[1], data.class_names, data.sample_rate_hz, data.channel_names, data.units,
                       data.counts_per_unit)
    fm = train(sample, hidden, epochs=1, hop_len=hop_len, feature_set=feature_set)
    return len(pack(quantize(fm, sample.windows)))
