"""Steady decisions over hops and "unknown": the numpy twin of firmware/core/fx_decide.c, bit for bit.

Each hop brings a window's Q15 probabilities and its vote (its class, or UNKNOWN when the window's
first-layer inputs lie outside every class's radius). Once K hops have come, the smoothed
probability of each class is the floor of its mean over the last K hops; the lead class (the lowest
index of the largest) is the candidate when it won at least M of the last K votes and its smoothed
probability reaches its threshold, else the candidate is UNKNOWN; the decision becomes the
candidate once the candidate has held for `dwell` hops in a row. A change is an event.

The model's DECISION section (docs/model-format.md) carries K, M, dwell, the thresholds and the
class centroids and radii; a device configuration may replace K, M and dwell (DecideSettings, the
twin of fx_decide_settings)."""
from __future__ import annotations

import struct
from dataclasses import dataclass, replace

import numpy as np

from ..errors import ModelFormatError, ModelStatus

MAX_DECISION_HOPS = 16   # FX_MAX_DECISION_HOPS
UNKNOWN = 0xFE           # FX_DECISION_UNKNOWN
NONE = 0xFF              # FX_DECISION_NONE: fewer than K hops since the start
HEAD = struct.Struct("<BBBxBxH")
PROB_MAX = 32767


def _pad4(n: int) -> int:
    return (n + 3) & ~3


@dataclass(frozen=True)
class DecideSettings:
    """What a device configuration replaces of a model's decision settings; 0 keeps the model's
    (fx_decide_settings)."""

    hops: int = 0
    votes: int = 0
    dwell: int = 0


@dataclass
class Decision:
    """A model's decision settings: the DECISION section. thresholds: int16 Q15 per class, within
    [0, 32767]; radius2 (uint32 per class) and centroids (int8, classes x first-layer inputs) together
    or neither."""

    hops: int = 1
    votes: int = 1
    dwell: int = 1
    thresholds: np.ndarray | None = None
    radius2: np.ndarray | None = None
    centroids: np.ndarray | None = None

    def threshold_q15(self, n_classes: int) -> np.ndarray:
        if self.thresholds is None:
            return np.zeros(n_classes, dtype=np.int16)
        return np.asarray(self.thresholds, dtype=np.int16)

    @property
    def has_space(self) -> bool:
        return self.centroids is not None

    def apply(self, settings: DecideSettings | None) -> "Decision":
        """fx_decide_config_apply: the nonzero fields of settings in place of these, votes capped at hops."""
        d = self
        if settings is not None:
            d = replace(d, hops=settings.hops or d.hops, votes=settings.votes or d.votes,
                        dwell=settings.dwell or d.dwell)
        return replace(d, votes=min(d.votes, d.hops))

    def encode(self, n_classes: int, n_features: int) -> bytes:
        thresholds = self.threshold_q15(n_classes)
        n_dims = n_features if self.has_space else 0
        data = HEAD.pack(self.hops, self.votes, self.dwell, n_classes, n_dims)
        data += thresholds.astype("<i2").tobytes().ljust(_pad4(2 * n_classes), b"\0")
        if self.has_space:
            data += np.asarray(self.radius2, dtype="<u4").tobytes()
            data += np.asarray(self.centroids, dtype=np.int8).tobytes().ljust(_pad4(n_classes * n_dims), b"\0")
        return data

    @classmethod
    def decode(cls, data: bytes, n_classes: int, n_features: int) -> "Decision":
        """The section, checked as fx_model.c's parse_decision checks it, in its order."""
        def check(cond: bool, message: str, status: ModelStatus) -> None:
            if not cond:
                raise ModelFormatError(f"DECISION section: {message}", status)

        check(len(data) >= HEAD.size, f"{len(data)} bytes, shorter than its {HEAD.size}-byte head", ModelStatus.LAYOUT)
        hops, votes, dwell, n, n_dims = HEAD.unpack_from(data)
        check(hops <= MAX_DECISION_HOPS, f"{hops} hops, the firmware averages at most {MAX_DECISION_HOPS}",
              ModelStatus.LIMIT)
        check(data[3] == 0 and data[5] == 0 and 1 <= votes <= hops and dwell >= 1,
              f"hops {hops}, votes {votes} and dwell {dwell} need 1 <= votes <= hops and a dwell of 1 or more "
              "(and the reserved bytes 0)", ModelStatus.PARAM)
        check(n == n_classes and n_dims in (0, n_features), f"{n} classes and {n_dims} dimensions for a model of "
              f"{n_classes} classes and {n_features} first-layer inputs", ModelStatus.SHAPE)
        size = HEAD.size + _pad4(2 * n) + (4 * n + _pad4(n * n_dims) if n_dims else 0)
        check(len(data) == size, f"{len(data)} bytes where its fields take {size}", ModelStatus.LAYOUT)
        thresholds = np.frombuffer(data, dtype="<i2", count=n, offset=HEAD.size).astype(np.int16)
        check(bool(np.all(thresholds >= 0)), "a negative threshold", ModelStatus.PARAM)
        check(not any(data[HEAD.size + 2 * n:HEAD.size + _pad4(2 * n)]), "padding that is not zero",
              ModelStatus.PARAM)
        radius2 = centroids = None
        if n_dims:
            at = HEAD.size + _pad4(2 * n)
            radius2 = np.frombuffer(data, dtype="<u4", count=n, offset=at).astype(np.uint32)
            centroids = np.frombuffer(data, dtype=np.int8, count=n * n_dims, offset=at + 4 * n).reshape(n, n_dims)
            check(not any(data[at + 4 * n + n * n_dims:]), "padding that is not zero", ModelStatus.PARAM)
        return cls(hops, votes, dwell, thresholds, radius2, centroids.copy() if centroids is not None else None)


def distance2(inputs: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Squared distances of int8 first-layer inputs (..., d) to each centroid (classes, d): (..., classes)."""
    x = np.asarray(inputs, dtype=np.int64)[..., None, :]
    return ((x - np.asarray(centroids, dtype=np.int64)) ** 2).sum(axis=-1)


def outside(inputs: np.ndarray, decision: Decision | None) -> np.ndarray:
    """fx_decide_outside: whether each window's inputs (..., d) lie outside every class's radius."""
    inputs = np.asarray(inputs)
    if decision is None or not decision.has_space:
        return np.zeros(inputs.shape[:-1], dtype=bool)
    return np.all(distance2(inputs, decision.centroids) > np.asarray(decision.radius2, dtype=np.int64), axis=-1)


def votes_of(classes: np.ndarray, outside_: np.ndarray) -> np.ndarray:
    """Each hop's vote: its class, or UNKNOWN where its window lies outside (fx_pipeline_push)."""
    return np.where(np.asarray(outside_, dtype=bool), UNKNOWN, np.asarray(classes)).astype(np.int64)


class Decider:
    """fx_decider, one hop at a time."""

    def __init__(self, decision: Decision, n_classes: int):
        if not (1 <= decision.hops <= MAX_DECISION_HOPS and 1 <= decision.votes <= decision.hops
                and decision.dwell >= 1 and 1 <= n_classes):
            raise ValueError(f"decision settings hops {decision.hops}, votes {decision.votes}, dwell "
                             f"{decision.dwell} out of range")
        self.hops, self.votes, self.dwell = decision.hops, decision.votes, decision.dwell
        self.thresholds = decision.threshold_q15(n_classes).astype(np.int64)
        self.n_classes = n_classes
        self.decided = NONE
        self.restart()

    def restart(self) -> None:
        """fx_decide_restart: the history forgotten, the decision kept."""
        self.prob = np.zeros((self.hops, self.n_classes), dtype=np.int64)
        self.vote = np.full(self.hops, -1, dtype=np.int64)
        self.filled = self.next = 0
        self.candidate, self.held = NONE, 0

    def push(self, prob_q15: np.ndarray, vote: int) -> tuple[int, bool, int]:
        """One hop -> (decision, changed, smoothed probability Q15), as fx_decide_push."""
        self.prob[self.next] = np.asarray(prob_q15, dtype=np.int64)
        self.vote[self.next] = vote
        self.next = (self.next + 1) % self.hops
        self.filled = min(self.filled + 1, self.hops)
        if self.filled < self.hops:
            return self.decided, False, 0
        smoothed = self.prob.sum(axis=0) // self.hops
        lead = int(np.argmax(smoothed))  # the first of equal maxima, as the C
        wins = int(np.sum(self.vote == lead))
        candidate = lead if wins >= self.votes and smoothed[lead] >= self.thresholds[lead] else UNKNOWN
        if candidate == self.candidate:
            self.held = min(self.held + 1, 255)
        else:
            self.candidate, self.held = candidate, 1
        changed = candidate != self.decided and self.held >= self.dwell
        if changed:
            self.decided = candidate
        shown = self.decided if self.decided < self.n_classes else lead
        return self.decided, changed, int(smoothed[shown])


def decide(prob_q15: np.ndarray, votes: np.ndarray, decision: Decision,
           restarts: set[int] | frozenset[int] = frozenset()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A sequence of hops (probabilities (T, n), votes (T,)) through one decider, restarted before the hops
    in restarts: (decision, changed, smoothed probability) per hop."""
    prob_q15 = np.asarray(prob_q15)
    d = Decider(decision, prob_q15.shape[1])
    out = []
    for t, (p, v) in enumerate(zip(prob_q15, votes)):
        if t in restarts:
            d.restart()
        out.append(d.push(p, int(v)))
    decided, changed, prob = zip(*out) if out else ((), (), ())
    return (np.array(decided, dtype=np.int64), np.array(changed, dtype=bool), np.array(prob, dtype=np.int64))


def events(decided: np.ndarray, changed: np.ndarray, prob: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The EVENTs of a sequence of hops: (hop, decision, previous decision, smoothed probability)."""
    out, previous = [], NONE
    for hop, (d, c, p) in enumerate(zip(decided, changed, prob)):
        if c:
            out.append((hop, int(d), previous, int(p)))
        previous = int(d)
    return out


def label(decision: int, class_names: list[str]) -> str:
    """A decision as a person reads it."""
    if decision == UNKNOWN:
        return "unknown"
    if decision == NONE:
        return "-"
    return class_names[decision] if decision < len(class_names) else str(decision)
