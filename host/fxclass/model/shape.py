"""A model's shape: its window, channels, hop and sample rate, and the hops a recording makes."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Shape:
    """Windows of window_len samples x n_channels, one every hop_len samples, sampled at sample_rate_hz."""

    window_len: int
    n_channels: int
    hop_len: int
    sample_rate_hz: int

    @property
    def window_shape(self) -> tuple[int, int]:
        """The (window_len, n_channels) of one window, as numpy shapes it."""
        return self.window_len, self.n_channels

    @property
    def hop_seconds(self) -> float:
        """The time between two results."""
        return self.hop_len / self.sample_rate_hz

    @property
    def sample_rate_millihertz(self) -> int:
        """The rate in the unit of the firmware's sensor path (fx_sensor_path.h)."""
        return self.sample_rate_hz * 1000

    def window_starts(self, n_samples: int) -> range:
        """The first sample of every whole window in n_samples samples: one per hop."""
        return range(0, n_samples - self.window_len + 1, self.hop_len)

    def hops(self, n_samples: int) -> int:
        """How many windows (hops, results) n_samples samples make; 0 when fewer than a window."""
        return len(self.window_starts(n_samples))

    def samples_for(self, hops: int) -> int:
        """The samples that make exactly hops windows (hops >= 1)."""
        return self.window_len + (hops - 1) * self.hop_len

    def windows(self, samples: np.ndarray) -> np.ndarray:
        """Every hop's window of samples (n, n_channels), stacked (hops, window_len, n_channels)."""
        starts = self.window_starts(len(samples))
        if not starts:
            return np.zeros((0, *self.window_shape), dtype=samples.dtype)
        return np.stack([samples[s:s + self.window_len] for s in starts])


class Shaped:
    """The shape's fields read through the object that carries it as `shape` (the .fxm model, the
    INFO reply, the float model), so that each declares the four of them once, in Shape."""

    shape: Shape

    @property
    def window_len(self) -> int:
        return self.shape.window_len

    @property
    def n_channels(self) -> int:
        return self.shape.n_channels

    @property
    def hop_len(self) -> int:
        return self.shape.hop_len

    @property
    def sample_rate_hz(self) -> int:
        return self.shape.sample_rate_hz

    def as_dict(self) -> dict:
        """dataclasses.asdict with the shape's fields in the shape's place, as flat as before it had one."""
        out = {}
        for key, value in asdict(self).items():
            if key == "shape":
                out.update(value)
            else:
                out[key] = value
        return out
