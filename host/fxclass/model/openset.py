"""Open-set recognition: the DECISION section's thresholds and radii calibrated, "unknown" measured.

Calibration uses the training windows; the measure is what "unknown" costs on windows of known
classes and catches among windows of classes the model never saw."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .decide import UNKNOWN, Decision, distance2, votes_of
from .fxm import Model
from .reference import Pipeline

RADIUS_MAX = 2**32 - 1  # a class without calibration windows: no window is outside it


def calibrate(model: Model, windows: np.ndarray, labels: np.ndarray, percentile: float = 99.0, hops: int = 1,
              votes: int = 1, dwell: int = 1) -> Decision:
    """Thresholds and radii at percentile P of the training windows (labels: class indices of model):
    a class's centroid is the rounded mean of its windows' first-layer inputs (int8), its radius the
    P-th percentile of their squared distances to it (rounded up), and its threshold the (100 - P)-th
    percentile of the probability the model gives it on its windows that it classifies right, halved
    (rounded down): a model is surer of the windows it was fitted on than of new ones of the same
    class (on BasicMotions the lowest of them scores 0.998), and a threshold at that level would
    reject most new windows; halved, it rejects the windows on which the model hesitates between
    classes."""
    pipe = Pipeline(model)
    x = pipe.first_inputs(windows).astype(np.int64)
    best, prob = pipe.run(windows)
    n, d = model.n_classes, x.shape[1]
    centroids = np.zeros((n, d), dtype=np.int8)
    radius2 = np.full(n, RADIUS_MAX, dtype=np.uint32)
    thresholds = np.zeros(n, dtype=np.int16)
    labels = np.asarray(labels)
    for c in range(n):
        mine = labels == c
        if not mine.any():
            continue
        centroids[c] = np.clip(np.round(x[mine].mean(axis=0)), -128, 127).astype(np.int8)
        dist = distance2(x[mine], centroids[c:c + 1])[:, 0]
        radius2[c] = min(int(np.ceil(np.percentile(dist, percentile))), RADIUS_MAX)
        right = mine & (best == c)
        if right.any():
            thresholds[c] = int(np.floor(np.percentile(prob[right, c].astype(np.int64), 100.0 - percentile) / 2))
    return Decision(hops, votes, dwell, thresholds, radius2, centroids)


def window_decisions(model: Model, windows: np.ndarray) -> np.ndarray:
    """Each window on its own (K = M = dwell = 1, the model's thresholds and radii): its class, or
    UNKNOWN when it lies outside every class's radius or its probability is below its class's
    threshold, as the firmware decides a single hop."""
    best, prob, out = Pipeline(model).run_open(windows)
    thresholds = (model.decision or Decision()).threshold_q15(model.n_classes).astype(np.int64)
    below = prob[np.arange(len(best)), best].astype(np.int64) < thresholds[best]
    return np.where(below, UNKNOWN, votes_of(best, out))


@dataclass
class OpenSet:
    """Open-set figures: known windows right without and with "unknown", and how many of them it
    rejects; windows of unseen classes that come out unknown."""

    known: int
    known_right_closed: int   # classified right with no "unknown"
    known_right_open: int     # classified right, not rejected
    known_rejected: int       # called unknown
    unseen: int
    unseen_unknown: int

    @property
    def closed_accuracy(self) -> float:
        return self.known_right_closed / self.known if self.known else float("nan")

    @property
    def open_accuracy(self) -> float:
        return self.known_right_open / self.known if self.known else float("nan")

    @property
    def unseen_rate(self) -> float:
        return self.unseen_unknown / self.unseen if self.unseen else float("nan")


def open_set(model: Model, known_windows: np.ndarray, known_labels: np.ndarray, unseen_windows: np.ndarray) -> OpenSet:
    """The model's decisions on windows of its classes (labels: its class indices) and of classes it
    never saw."""
    closed, _ = Pipeline(model).run(known_windows) if len(known_windows) else (np.zeros(0, dtype=np.int64), None)
    open_ = window_decisions(model, known_windows) if len(known_windows) else np.zeros(0, dtype=np.int64)
    unseen = window_decisions(model, unseen_windows) if len(unseen_windows) else np.zeros(0, dtype=np.int64)
    labels = np.asarray(known_labels)
    return OpenSet(len(labels), int(np.sum(closed == labels)), int(np.sum(open_ == labels)),
                   int(np.sum(open_ == UNKNOWN)), len(unseen), int(np.sum(unseen == UNKNOWN)))


def describe(model: Model) -> str:
    """The model's decision settings in a line."""
    d = model.decision or Decision()
    text = (f"decisions: the probabilities averaged over {d.hops} hop{'s' if d.hops > 1 else ''}, a class needs "
            f"{d.votes} of them and holds {d.dwell} hop{'s' if d.dwell > 1 else ''} before it is reported")
    if d.thresholds is not None and np.any(d.thresholds):
        text += "; thresholds " + ", ".join(f"{n} {t / 32768:.3f}" for n, t in zip(model.class_names, d.thresholds))
    if d.has_space:
        text += f"; radii in the first layer's {d.centroids.shape[1]} inputs " + ", ".join(
            f"{n} {np.sqrt(float(r)):.0f}" for n, r in zip(model.class_names, d.radius2))
    return text


def format_open_set(o: OpenSet, unseen_what: str) -> str:
    """The open-set figures as eval prints them."""
    lines = [f"known classes, {o.known} windows: accuracy {100 * o.closed_accuracy:.1f} % without unknown, "
             f"{100 * o.open_accuracy:.1f} % with it ({o.known_rejected} called unknown)"]
    if o.unseen:
        lines.append(f"{unseen_what}, {o.unseen} windows: {o.unseen_unknown} called unknown "
                     f"({100 * o.unseen_rate:.1f} %)")
    return "\n".join(lines)
