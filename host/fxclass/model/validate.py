"""Target versus host reference: the same windows through the board and the bit-exact numpy model."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import decide
from .fxm import Model
from .reference import Pipeline


@dataclass
class Difference:
    index: int
    device_class: int
    reference_class: int
    device_prob: list[int]
    reference_prob: list[int]


def validate(infer: Callable, model: Model, windows: np.ndarray, on_window=None,
             diffs: list[Difference] | None = None) -> list[Difference]:
    """Classify each window with infer (a device's: Device.infer, giving a result with class_index
    and prob_q15) and compare class and Q15 probabilities with the reference; [] means equal.

    diffs, when given, receives each difference as it is found, so that a caller keeps those of the
    windows compared before infer failed (a board unplugged, a lease lost)."""
    ref_class, ref_prob = Pipeline(model).run(windows)
    diffs = [] if diffs is None else diffs
    for i, window in enumerate(windows):
        r = infer(window)
        if r.class_index != ref_class[i] or not np.array_equal(r.prob_q15, ref_prob[i]):
            diffs.append(Difference(i, r.class_index, int(ref_class[i]), r.prob_q15.tolist(), ref_prob[i].tolist()))
        if on_window:
            on_window(i)
    return diffs


# ---- the decision stage: a stream's per-hop decisions and its EVENTs ---------------------------------

@dataclass
class HopDifference:
    """A hop whose class, decision, changed flag or outside flag differs; None where a side has no such hop."""

    hop: int
    device: tuple[int, int, bool, bool] | None     # class, decision, changed, outside
    reference: tuple[int, int, bool, bool] | None


@dataclass
class EventDifference:
    """The n-th EVENT of either side, where they differ; None where a side sent fewer."""

    position: int
    device: tuple[int, int, int, int] | None       # hop, decision, previous decision, smoothed probability Q15
    reference: tuple[int, int, int, int] | None


@dataclass
class DecisionCheck:
    hops: int
    events: int
    hop_differences: list[HopDifference]
    event_differences: list[EventDifference]

    @property
    def equal(self) -> bool:
        return not self.hop_differences and not self.event_differences


def validate_decisions(stream: Callable, model: Model, samples: np.ndarray,
                       settings: decide.DecideSettings | None = None) -> DecisionCheck:
    """Stream samples (n, n_channels) with stream (a device's: (results, EVENTs), as Device.stream and
    Device.take_events give them) and compare every hop's class, decision and flags, and every EVENT,
    with the reference's decision stage under the model's decision settings, replaced by settings (the
    device's configuration)."""
    results, events = stream(samples)
    ref = Pipeline(model).stream(samples, settings)
    want = {h: (int(ref["class"][h]), int(ref["decided"][h]), bool(ref["changed"][h]), bool(ref["outside"][h]))
            for h in range(len(ref["class"]))}
    got = {r.index: (r.class_index, r.decided, r.changed, r.outside) for r in results}
    hop_diffs = [HopDifference(h, got.get(h), want.get(h)) for h in sorted(set(want) | set(got))
                 if got.get(h) != want.get(h)]
    want_events = decide.events(ref["decided"], ref["changed"], ref["smoothed"])
    got_events = [(e.hop, e.decided, e.previous, e.prob_q15) for e in events]
    pairs = [(k, got_events[k] if k < len(got_events) else None, want_events[k] if k < len(want_events) else None)
             for k in range(max(len(got_events), len(want_events)))]
    event_diffs = [EventDifference(k, g, w) for k, g, w in pairs if g != w]
    return DecisionCheck(len(want), len(want_events), hop_diffs, event_diffs)
