"""Feature sets stats8 and stats16: the numpy twin of fx_features_stats.c, and their (fixed) parameters."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ModelFormatError, ModelStatus


@dataclass(frozen=True)
class StatsParams:
    n_segments: int
    window_len: int
    n_channels: int


def fit(windows: np.ndarray, labels: np.ndarray, n_segments: int) -> StatsParams:
    """Nothing is learnt: the segment count is the set's."""
    return decode(b"", windows.shape[1], windows.shape[2], n_segments)


def transform(params: StatsParams, windows: np.ndarray) -> np.ndarray:
    return features_stats(windows, params.n_segments)


def encode(params: StatsParams) -> bytes:
    return b""


def decode(data: bytes, window_len: int, n_channels: int, n_segments: int) -> StatsParams:
    """As fx_features_stats8_init and fx_features_stats16_init: no FEATURES section, and at least a
    sample per segment."""
    if data:
        raise ModelFormatError(f"a FEATURES section of {len(data)} bytes for a statistics feature set, which takes "
                               "none", ModelStatus.PARAM)
    if window_len < n_segments:
        raise ModelFormatError(f"windows of {window_len} samples, fewer than the {n_segments} segments of the feature "
                               f"set (use a longer --window-len{' or --features stats8' if n_segments > 4 else ''})",
                               ModelStatus.SHAPE)
    return StatsParams(n_segments, window_len, n_channels)


def n_features(params: StatsParams) -> int:
    return params.n_channels * (params.n_segments + 4)


def features_stats(window: np.ndarray, n_segments: int = 4) -> np.ndarray:
    """fx_features_stats for windows shaped (..., window_len, C) -> (..., C * (n_segments + 4)): per
    channel the sums of n_segments equal segments, then min, max, sum |x[t] - x[t-1]| and
    sum |x[t] - floor(sum / window_len)|."""
    x = np.asarray(window, dtype=np.int64)
    n = x.shape[-2]
    bounds = [k * n // n_segments for k in range(n_segments + 1)]
    segments = [x[..., bounds[k]:bounds[k + 1], :].sum(axis=-2) for k in range(n_segments)]
    total = x.sum(axis=-2)
    mean = np.floor_divide(total, n)
    feats = segments + [
        x.min(axis=-2),
        x.max(axis=-2),
        np.abs(np.diff(x, axis=-2)).sum(axis=-2),
        np.abs(x - mean[..., None, :]).sum(axis=-2),
    ]
    # (..., F, C) -> (..., C, F) -> (..., C*F): channel-major as in C.
    stacked = np.stack(feats, axis=-1)
    return stacked.reshape(*stacked.shape[:-2], -1)


# ---- what `fxclass train --features auto` asks of a set (features/__init__.py) --------------------

def search_options(window_len: int, n_channels: int) -> list[dict]:
    """Nothing to search: the set's number fixes its only option."""
    return [{}]


def instructions(params: StatsParams) -> float:
    """Cortex-M4 instructions of the feature stage, fitted to `make bench`'s figures (bench/results.json,
    feature_instructions_per_value_by_shape, within 5 %): the assembly takes channels two at a time,
    about 15.3 per sample of a pair, 5.0 per segment sum and 172 per pair; one channel alone takes a
    path of its own, 10.0 per sample."""
    L, C, S = params.window_len, params.n_channels, params.n_segments
    if C == 1:
        return 10.0 * L
    pairs = (C + 1) // 2
    return 15.3 * L * pairs + 5.0 * C * S + 172.0 * pairs


def working_memory(params: StatsParams, dsp: bool = True) -> int:
    """The statistics need no working memory: every sum is a register."""
    return 0
