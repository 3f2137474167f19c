"""The feature sets: for each, the numpy twin of its firmware kernel, bit for bit, and its parameters.

A set's module (stats.py for stats8 and stats16, spectral.py, rocket.py; one module per set) gives

    fit(windows, labels, **options) -> params        fitted on int16 training windows (n, window_len, C)
    transform(params, windows) -> features           int64 arrays (..., n_features) of int32 values, in
                                                     the order the firmware's kernel writes them
    encode(params) -> bytes                          the blob's FEATURES section (b"" for a set that
                                                     has none)
    decode(data, window_len, n_channels) -> params   that section read back and checked as the set's
                                                     firmware set-up checks it: a ModelFormatError
                                                     with the fx_status it returns for anything it
                                                     refuses
    n_features(params) -> int

and, for `fxclass train --features auto` (model/select.py), optionally

    search_options(window_len, n_channels) -> [dict]  the fit options cross-validation compares
                                                      (default: [{}], the set's defaults)
    instructions(params) -> float                    estimated Cortex-M4 instructions of the feature
                                                     stage, calibrated on `make bench` (default: none
                                                     known, and an instruction budget excludes the set)
    working_memory(params, dsp) -> int               bytes of the stage's working memory (default 0)

and SETS below maps the set's number in the blob (FX_FEATURE_SET_* in firmware/core/fx_kernels.h) to
it, with the options that the number fixes (stats8's four segments).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from ...errors import ModelFormatError, ModelStatus
from ..limits import MAX_FEATURES
from . import rocket, spectral, stats


@dataclass(frozen=True)
class FeatureSet:
    number: int         # byte 24 of a blob
    name: str           # as `fxclass train --features` takes it
    module: ModuleType
    section: bool       # its blobs carry a FEATURES section (the firmware refuses one otherwise)
    title: str          # what the model card says it computes
    capacity: int       # how much of a window's shape it sees, 1 (levels) .. 4 (waveforms): see select.choose
    options: dict = field(default_factory=dict)  # the module's options that the number fixes

    def fit(self, windows: np.ndarray, labels: np.ndarray, **options):
        return self.module.fit(windows, labels, **{**options, **self.options})

    def transform(self, params, windows: np.ndarray) -> np.ndarray:
        return self.module.transform(params, windows)

    def encode(self, params) -> bytes:
        return self.module.encode(params)

    def decode(self, data: bytes, window_len: int, n_channels: int):
        return self.module.decode(data, window_len, n_channels, **self.options)

    def n_features(self, params) -> int:
        return self.module.n_features(params)

    def search_options(self, window_len: int, n_channels: int) -> list[dict]:
        """The fit options that `--features auto` compares for this set: its module's search_options;
        for a module without, its defaults and, when its fit takes n_features, the firmware's largest
        feature count as well (more features cost instructions and bytes, which auto weighs)."""
        options = getattr(self.module, "search_options", None)
        if options:
            return options(window_len, n_channels)
        if "n_features" in inspect.signature(self.module.fit).parameters:
            return [{}, {"n_features": MAX_FEATURES}]
        return [{}]

    def instructions(self, params) -> float | None:
        """Estimated Cortex-M4 instructions of the feature stage; None when the set has no cost model."""
        cost = getattr(self.module, "instructions", None)
        return float(cost(params)) if cost else None

    def working_memory(self, params) -> int:
        """Bytes of working memory the stage asks of the firmware, the larger of its variants'."""
        memory = getattr(self.module, "working_memory", None)
        return int(memory(params, dsp=True)) if memory else 0

    @property
    def min_window_len(self) -> int:
        """The shortest window the set's kernel takes (its module's MIN_WINDOW_LEN, else 1)."""
        return getattr(self.module, "MIN_WINDOW_LEN", 1)

    def default_params(self, window_len: int, n_channels: int):
        """The parameters of a set without a FEATURES section, which its number and the window fix."""
        return self.decode(b"", window_len, n_channels)


SETS: dict[int, FeatureSet] = {s.number: s for s in (
    FeatureSet(1, "stats8", stats, False, "stats8 (4 segment sums, min, max, total variation, absolute deviation "
               "per channel)", 1, {"n_segments": 4}),
    FeatureSet(2, "stats16", stats, False, "stats16 (12 segment sums, min, max, total variation, absolute "
               "deviation per channel)", 2, {"n_segments": 12}),
    FeatureSet(3, "spectral", spectral, True, "spectral (Q8 log2 power of log-spaced bands of a fixed-point Welch "
               "spectrum, mean and rms per channel)", 3),
    FeatureSet(4, "rocket", rocket, True, "rocket (MiniRocket in integers: counts of positive outputs of 84 fixed "
               "length-9 kernels at several dilations and channel combinations)", 4),
)}
BY_NAME: dict[str, FeatureSet] = {s.name: s for s in SETS.values()}


def get(number: int) -> FeatureSet:
    """The set of a blob's byte 24; a ModelFormatError (FX_ERR_SHAPE, as the firmware) when unknown."""
    if number not in SETS:
        raise ModelFormatError(f"unknown feature set {number} (this fxclass knows "
                               f"{', '.join(f'{s.number} {s.name}' for s in SETS.values())})", ModelStatus.SHAPE)
    return SETS[number]


def params_of(number: int, params, window_len: int, n_channels: int):
    """params, or where they are None the default parameters of set number (a set without a section)."""
    return get(number).default_params(window_len, n_channels) if params is None else params


__all__ = ["BY_NAME", "FeatureSet", "SETS", "get", "params_of"]
