"""Target versus host reference: the same windows through the board and the bit-exact numpy model."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

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
