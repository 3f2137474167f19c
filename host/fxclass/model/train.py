"""Float models in numpy: softmax regression and a small MLP over a feature set's features."""
from __future__ import annotations

import json
import zipfile
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data.datasets import WindowSet
from ..errors import ModelFormatError
from . import features
from .fxm import check_feature_count
from .shape import Shape, Shaped


@dataclass
class FloatModel(Shaped):
    """Dense layers over standardized features: z = (f - mean) / std; ReLU between layers."""

    weights: list[np.ndarray]  # (out, in) float64
    biases: list[np.ndarray]
    feature_mean: np.ndarray
    feature_std: np.ndarray
    class_names: list[str]
    shape: Shape
    meta: dict = field(default_factory=dict)
    feature_set: int = 1
    units: list[str] | None = None
    counts_per_unit: list[float] | None = None
    feature_params: Any = None  # the feature set's fitted parameters; None for a set that has none

    def features(self, windows: np.ndarray) -> np.ndarray:
        """The feature set's integer features of windows, as the firmware computes them."""
        params = features.params_of(self.feature_set, self.feature_params, self.window_len, self.n_channels)
        return features.get(self.feature_set).transform(params, windows)

    def standardize(self, windows: np.ndarray) -> np.ndarray:
        return (self.features(windows).astype(np.float64) - self.feature_mean) / self.feature_std

    def activations(self, windows: np.ndarray) -> list[np.ndarray]:
        """Inputs of every layer followed by the logits."""
        acts = [self.standardize(windows)]
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            y = acts[-1] @ w.T + b
            acts.append(np.maximum(y, 0) if k < len(self.weights) - 1 else y)
        return acts

    def logits(self, windows: np.ndarray) -> np.ndarray:
        return self.activations(windows)[-1]

    def predict(self, windows: np.ndarray) -> np.ndarray:
        return np.argmax(self.logits(windows), axis=1)

    def save(self, path: str | Path) -> None:
        arrays = {f"w{k}": w for k, w in enumerate(self.weights)}
        arrays.update({f"b{k}": b for k, b in enumerate(self.biases)})
        if self.feature_params is not None:
            # As the model blob keeps them: the feature set's FEATURES section.
            section = features.get(self.feature_set).encode(self.feature_params)
            arrays["feature_params"] = np.frombuffer(section, dtype=np.uint8)
        np.savez(path, feature_mean=self.feature_mean, feature_std=self.feature_std,
                 class_names=np.array(self.class_names),
                 shape=np.array(astuple(self.shape)),
                 feature_set=np.array(self.feature_set),
                 meta=np.array(json.dumps(self.meta)), **arrays,
                 **({} if self.units is None else {"units": np.array(self.units),
                                                    "counts_per_unit": np.array(self.counts_per_unit, dtype=np.float64)}))

    @classmethod
    def load(cls, path: str | Path) -> "FloatModel":
        try:
            if not zipfile.is_zipfile(path):
                raise ValueError("not an .npz archive (write float models with `fxclass train`)")
            with np.load(path, allow_pickle=False) as z:
                missing = [k for k in ("shape", "feature_mean", "feature_std", "class_names", "w0", "b0")
                           if k not in z.files]
                if missing:
                    raise ValueError(f"no {', '.join(missing)} in it (write float models with `fxclass train`)")
                n = sum(1 for k in z.files if k.startswith("w"))
                fm = cls([z[f"w{k}"] for k in range(n)], [z[f"b{k}"] for k in range(n)], z["feature_mean"],
                         z["feature_std"], [str(c) for c in z["class_names"]], Shape(*(int(v) for v in z["shape"])),
                         meta=json.loads(str(z["meta"])) if "meta" in z.files else {},
                         feature_set=int(z["feature_set"]) if "feature_set" in z.files else 1,
                         units=[str(u) for u in z["units"]] if "units" in z.files else None,
                         counts_per_unit=[float(c) for c in z["counts_per_unit"]] if "units" in z.files else None)
                if "feature_params" in z.files:
                    fm.feature_params = features.get(fm.feature_set).decode(
                        z["feature_params"].astype(np.uint8).tobytes(), fm.window_len, fm.n_channels)
        except FileNotFoundError:
            raise ModelFormatError(f"cannot read float model {path}: no such file") from None
        except Exception as exc:  # numpy and zipfile raise many kinds for a damaged archive
            raise ModelFormatError(f"cannot read float model {path}: {exc or type(exc).__name__}") from None
        fm.check(path)
        return fm

    def check(self, path: str | Path = "float model") -> None:
        """Shapes that chain, finite numbers, a known feature set: what quantize and eval rely on."""
        def bad(why: str):
            raise ModelFormatError(f"{path} is not a usable float model: {why} (write float models with "
                                   "`fxclass train`)")
        if self.feature_set not in features.SETS:
            bad(f"unknown feature set {self.feature_set}")
        if self.window_len < 1 or self.n_channels < 1 or self.hop_len < 1 or self.sample_rate_hz < 1:
            bad(f"window {self.window_len} x {self.n_channels}, hop {self.hop_len}, {self.sample_rate_hz} Hz")
        fset = features.get(self.feature_set)
        if fset.section and self.feature_params is None:
            bad(f"no parameters of its feature set {fset.name}")
        try:
            n_features = fset.n_features(features.params_of(self.feature_set, self.feature_params, self.window_len,
                                                            self.n_channels))
        except ModelFormatError as exc:
            bad(str(exc))
        if not self.class_names:
            bad("no classes")
        if self.feature_mean.shape != (n_features,) or self.feature_std.shape != (n_features,):
            bad(f"feature statistics of shape {self.feature_mean.shape}, {n_features} features expected")
        width = n_features
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            if w.ndim != 2 or w.shape[1] != width or w.shape[0] < 1 or b.shape != (w.shape[0],):
                bad(f"layer {k} is {w.shape} with bias {b.shape}, taking {width} inputs")
            width = w.shape[0]
        if width != len(self.class_names):
            bad(f"{width} outputs for {len(self.class_names)} classes")
        arrays = [self.feature_mean, self.feature_std, *self.weights, *self.biases]
        if not all(np.issubdtype(a.dtype, np.number) and np.all(np.isfinite(a)) for a in arrays):
            bad("numbers that are not finite")
        if self.units is not None and (len(self.units) != self.n_channels or len(self.counts_per_unit) != self.n_channels):
            bad("an input scale that does not cover every channel")


@dataclass
class Head:
    """Dense layers fitted on standardized features: what training learns once the features are set."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    feature_mean: np.ndarray
    feature_std: np.ndarray

    def logits(self, feats: np.ndarray) -> np.ndarray:
        x = (feats - self.feature_mean) / self.feature_std
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = x @ w.T + b
            if k < len(self.weights) - 1:
                x = np.maximum(x, 0)
        return x


def fit_head(feats: np.ndarray, labels: np.ndarray, n_classes: int, hidden: tuple[int, ...] = (32,),
             epochs: int = 400, lr: float = 0.01, l2: float = 1e-3, seed: int = 0, progress=None) -> Head:
    """Full-batch Adam on cross-entropy over features (n, F), standardized by their own mean and
    standard deviation. hidden=() gives softmax regression."""
    rng = np.random.default_rng(seed)
    feats = np.asarray(feats, dtype=np.float64)
    mean = feats.mean(axis=0)
    std = feats.std(axis=0)
    std = np.where(std > 1e-9, std, 1.0)
    z = (feats - mean) / std
    onehot = np.eye(n_classes)[labels]
    sizes = [z.shape[1], *hidden, n_classes]
    weights = [rng.normal(0, np.sqrt(2.0 / sizes[k]), size=(sizes[k + 1], sizes[k])) for k in range(len(sizes) - 1)]
    biases = [np.zeros(sizes[k + 1]) for k in range(len(sizes) - 1)]
    params = weights + biases
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    for step in range(1, epochs + 1):
        acts = [z]
        for k, (w, b) in enumerate(zip(weights, biases)):
            y = acts[-1] @ w.T + b
            acts.append(np.maximum(y, 0) if k < len(weights) - 1 else y)
        logits = acts[-1] - acts[-1].max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - onehot) / len(z)
        grads_w, grads_b = [], []
        for k in range(len(weights) - 1, -1, -1):
            grads_w.insert(0, grad.T @ acts[k] + l2 * weights[k])
            grads_b.insert(0, grad.sum(axis=0))
            if k > 0:
                grad = (grad @ weights[k]) * (acts[k] > 0)
        for i, g in enumerate(grads_w + grads_b):
            m1[i] = 0.9 * m1[i] + 0.1 * g
            m2[i] = 0.999 * m2[i] + 0.001 * g * g
            params[i] -= lr * (m1[i] / (1 - 0.9**step)) / (np.sqrt(m2[i] / (1 - 0.999**step)) + 1e-8)
        if progress is not None:
            progress(step)
    return Head(weights, biases, mean, std)


def train(data: WindowSet, hidden: tuple[int, ...] = (32,), epochs: int = 400, lr: float = 0.01,
          l2: float = 1e-3, seed: int = 0, hop_len: int | None = None, progress=None,
          feature_set: int = 1, feature_options: dict | None = None) -> FloatModel:
    """The features of feature_set, fitted first on the training windows (with feature_options), then
    a head (fit_head) on them. hidden=() gives softmax regression."""
    fset = features.get(feature_set)
    feature_params = fset.fit(data.windows, data.labels, **(feature_options or {}))
    check_feature_count(fset.n_features(feature_params), data.windows.shape[2], feature_set)
    feats = fset.transform(feature_params, data.windows)
    head = fit_head(feats, data.labels, len(data.class_names), hidden, epochs, lr, l2, seed, progress)
    window_len, n_channels = data.windows.shape[1:]
    shape = Shape(window_len, n_channels, hop_len or max(1, window_len // 2), data.sample_rate_hz)
    return FloatModel(head.weights, head.biases, head.feature_mean, head.feature_std, list(data.class_names), shape,
                      meta={"hidden": list(hidden), "epochs": epochs, "l2": l2, "seed": seed, "features": fset.name,
                            **({"feature_options": feature_options} if feature_options else {})},
                      feature_set=feature_set, units=data.units, counts_per_unit=data.counts_per_unit,
                      feature_params=feature_params if fset.section else None)


def accuracy(pred: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(pred == labels)) if len(labels) else float("nan")


def confusion(pred: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (labels, pred), 1)
    return cm
