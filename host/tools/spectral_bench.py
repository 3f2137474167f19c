"""Builds the spectral bench models from fixed seeds and writes firmware/app/bench_spectral.h, the models
that firmware/app/bench_main.c measures for `make bench` (feature_sets.spectral in bench/results.json).

python host/tools/spectral_bench.py [--check]

Two models, each a spectral stage (fit on its training windows) and a linear head (least squares on
the standardized features, quantized by fxclass's quantizer):
- 100x6: BasicMotions' train split (100 x 6 at 10 Hz), FFT of 32 points every 32 samples (four
  segments), 8 log-spaced bands: 60 features, 4 classes;
- 1460x1: seeded tones in noise (1,460 x 1, four frequency bands to tell apart), FFT of 256 points,
  Welch's hop of 128 (eleven segments), 16 bands: 18 features, 4 classes.
--check compares the header with what would be written.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fxclass.data import datasets
from fxclass.model import reference as ref
import generated
from fxclass.model.features import spectral
from fxclass.model.quantize import quantize
from fxclass.model.shape import Shape
from fxclass.model.train import FloatModel

VERSION = 1  # the header's format: bench_main.c checks FX_BENCH_SPECTRAL_FORMAT against its own
REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "firmware" / "app" / "bench_spectral.h"
RIDGE = 1e-2  # of the head's least squares, on standardized features
# The features are standardized with a floor on their spread: 256 counts, one octave of a band's Q8
# log2. A near-constant feature (the mean of a gyroscope channel) would otherwise take an input
# multiplier above 1/4, a shift below 33, which sends the whole input stage to its portable C.
STD_FLOOR = 256.0


@dataclass
class SpectralFloatModel(FloatModel):
    """A float head over spectral features: what the quantizer reads (standardize) for a set that
    fxclass's trainer does not know yet."""

    spectral_params: spectral.SpectralParams | None = None

    def standardize(self, windows: np.ndarray) -> np.ndarray:
        feats = spectral.transform(self.spectral_params, windows).astype(np.float64)
        return (feats - self.feature_mean) / self.feature_std


def tones(n_per_class: int, seed: int, window_len: int = 1460) -> datasets.WindowSet:
    """Sines of four frequency bands (cycles per sample), random amplitude and phase, in noise."""
    rng = np.random.default_rng(seed)
    bands = [(0.005, 0.02), (0.04, 0.08), (0.12, 0.2), (0.3, 0.45)]
    t = np.arange(window_len)
    windows, labels = [], []
    for label, (lo, hi) in enumerate(bands):
        for _ in range(n_per_class):
            x = rng.uniform(1000, 8000) * np.sin(2 * np.pi * rng.uniform(lo, hi) * t + rng.uniform(0, 2 * np.pi))
            windows.append(datasets.to_counts(x + rng.normal(0, 600, window_len), 1.0)[:, None])
            labels.append(label)
    order = rng.permutation(len(windows))
    names = ["slow", "low", "mid", "high"]
    return datasets.WindowSet(np.stack(windows)[order], np.array(labels)[order], names, 1000, ["x"])


def head(train: datasets.WindowSet, params: spectral.SpectralParams) -> SpectralFloatModel:
    """Softmax-regression weights by ridge least squares on one-hot targets: deterministic, no epochs."""
    feats = spectral.transform(params, train.windows).astype(np.float64)
    mean = feats.mean(axis=0)
    std = np.maximum(feats.std(axis=0), STD_FLOOR)
    z = np.hstack([(feats - mean) / std, np.ones((len(feats), 1))])
    onehot = np.eye(len(train.class_names))[train.labels]
    w = np.linalg.solve(z.T @ z + RIDGE * len(z) * np.eye(z.shape[1]), z.T @ onehot).T
    L, C = train.windows.shape[1:]
    return SpectralFloatModel([w[:, :-1]], [w[:, -1]], mean, std, list(train.class_names),
                              Shape(L, C, L // 2, train.sample_rate_hz), spectral_params=params)


def accuracy(qm, params: spectral.SpectralParams, test: datasets.WindowSet) -> float:
    """The integer pipeline (the reference's stages on the twin's features) on the test windows."""
    x = ref.quantize_input(spectral.transform(params, test.windows), qm.input_offset, qm.input_mult, qm.input_shift)
    for layer in qm.layers[:-1]:
        x = ref.dense_s8(layer.weights, layer.bias, layer.mult, layer.shift, x, layer.relu)
    last = qm.layers[-1]
    _, best = ref.softmax_q15(ref.dense_logits(last.weights, last.bias, last.mult, last.shift, x))
    return float(np.mean(best == test.labels))


def models():
    """(name, training data, params, quantized model, test accuracy) of each bench model."""
    bm_train, bm_test = datasets.basicmotions("train"), datasets.basicmotions("test")
    tone_train, tone_test = tones(20, seed=1460), tones(20, seed=1461)
    out = []
    for name, what, train, test, options in (
            ("100x6", "BasicMotions, train split", bm_train, bm_test,
             {"fft_len": 32, "hop_len": 32, "n_bands": 8}),
            ("1460x1", "tones in noise, seed 1460", tone_train, tone_test,
             {"fft_len": 256, "n_bands": 16})):
        params = spectral.fit(train.windows, train.labels, **options)
        fm = head(train, params)
        qm = quantize(fm, train.windows, model_id=0)
        assert qm.input_shift.min() >= 33, f"{name}: an input shift below 33"
        out.append((name, what, params, qm, accuracy(qm, params, test)))
    return out


def words(data: bytes) -> list[int]:
    return list(np.frombuffer(data, dtype="<u4"))


def array(ctype: str, name: str, values, per_row: int = 12) -> str:
    values = [int(v) for v in values]
    rows = "\n".join("    " + " ".join(f"{v}," for v in values[i:i + per_row]) for i in range(0, len(values), per_row))
    return f"static const {ctype} {name}[{len(values)}] = {{\n{rows}\n}};\n"


def render() -> str:
    parts = [f"/* bench_spectral.h: generated by host/tools/spectral_bench.py version {VERSION} from fixed seeds; "
             "do not edit. */\n", f"#define FX_BENCH_SPECTRAL_FORMAT {VERSION}\n"]
    table = []
    for name, what, params, qm, acc in models():
        prefix = f"spectral_{name}"
        parts.append(f"\n/* {prefix}: {what}; N {params.fft_len}, hop {params.hop_len}, {params.n_bands} bands; a "
                     f"linear head, quantized accuracy {100 * acc:.1f} % on its test windows. */\n")
        section = spectral.encode(params)
        parts.append(array("uint32_t", f"{prefix}_section", words(section), 8))
        parts.append(array("int32_t", f"{prefix}_input",
                           np.concatenate([qm.input_offset, qm.input_mult, qm.input_shift]), 8))
        layers = []
        for k, layer in enumerate(qm.layers):
            parts.append(array("int16_t", f"{prefix}_weights{k}", ref.block_weights(layer.weights)))
            parts.append(array("int32_t", f"{prefix}_layer{k}", np.concatenate([layer.bias, layer.mult, layer.shift]), 8))
            flags = (1 if layer.relu else 0) | (2 if layer.logits else 0)
            layers.append(f"{{{prefix}_weights{k}, {prefix}_layer{k}, {layer.in_len}, {layer.out_len}, {flags}}}")
        table.append(f"    {{\"{name}\", {params.window_len}, {params.n_channels}, {qm.n_classes}, {prefix}_section, "
                     f"{len(section)}, {prefix}_input, {len(qm.layers)}, {{{', '.join(layers)}}}}},")
    parts.append("\nstatic const bench_spectral_model bench_spectral_models[] = {\n" + "\n".join(table) + "\n};\n")
    return "".join(parts)


def main(argv=None) -> int:
    return generated.main(__doc__, OUTPUT, render, argv)


if __name__ == "__main__":
    raise SystemExit(main())
