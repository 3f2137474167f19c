"""The board's own sensor's test oracle (what LIVE must report) and helper (where fed samples lie).

expected_live runs the bit-exact reference on the samples RECORD returned; find_block finds the
samples fed among those recorded. The keywords of renode/FxclassDevice.py use them, run by
tests/test_sensor.py and renode/sensor.robot."""
from __future__ import annotations

import numpy as np

from fxclass.device import protocol as p
from fxclass.model import fxm
from fxclass.model.reference import Pipeline, sensor_path


def model_samples(raw: np.ndarray, setup: p.ModeReply, model: fxm.Model) -> np.ndarray:
    """The model's samples (model counts at its rate) that the firmware makes of the sensor's raw
    counts: the sensor path with the conversion the MODE reply reported."""
    mult = [c.mult for c in setup.channels]
    shift = [c.shift for c in setup.channels]
    return sensor_path(raw, mult, shift, setup.sensor_rate_millihertz, model.shape.sample_rate_millihertz)


def expected_live(raw: np.ndarray, setup: p.ModeReply, model: fxm.Model) -> tuple[np.ndarray, np.ndarray]:
    """Class and Q15 probabilities of every hop LIVE reports for these raw samples."""
    x = model_samples(raw, setup, model)
    if len(x) < model.window_len:
        return np.zeros(0, dtype=np.int64), np.zeros((0, model.n_classes), dtype=np.int16)
    return Pipeline(model).run(model.shape.windows(x))


def find_block(recorded: np.ndarray, fed: np.ndarray) -> int | None:
    """Where fed (n, channels) lies in recorded whole and in order, or None."""
    n = len(fed)
    for start in range(len(recorded) - n + 1):
        if np.array_equal(recorded[start], fed[0]) and np.array_equal(recorded[start:start + n], fed):
            return start
    return None
