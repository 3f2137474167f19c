"""Running windows and recordings on a device, with results saved as they arrive and scored.

Also the model the device must run and what to send it of a dataset or a recording."""
from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..data.datasets import WindowSet
from ..errors import DataError, LinkError, ModelFormatError, ModelMismatchError, file_error
from ..model import decide
from ..model.fxm import Model
from ..model.shape import Shape
from ..model.train import confusion
from . import protocol as p
from .link import Device


@dataclass
class Record:
    """One result as a run reports and saves it: the class by name, probabilities as fractions."""

    index: int
    predicted: str
    class_index: int
    prob: list[float]
    cycles: int
    latency_ms: float
    label: str | None = None
    decision: str | None = None  # the firmware's decision after this hop (STREAM, LIVE): a class or "unknown"
    event: bool = False          # this hop changed it

    @classmethod
    def of(cls, index: int, result: p.Result, class_names: list[str], latency_ms: float,
           label: str | None = None) -> "Record":
        name = class_names[result.class_index] if result.class_index < len(class_names) else str(result.class_index)
        decision = None if result.decided == decide.NONE else decide.label(result.decided, class_names)
        return cls(index, name, result.class_index, [round(int(v) / 32768, 5) for v in result.prob_q15], result.cycles,
                   latency_ms, label, decision, result.changed)


class ResultWriter:
    """Appends records to a .jsonl or .csv file and flushes each, so an interruption loses nothing."""

    def __init__(self, path: str | Path, class_names: list[str]):
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in (".jsonl", ".csv"):
            raise DataError(f"--output {self.path}: use a .jsonl or .csv file name")
        try:
            self._f = self.path.open("w", newline="")
        except OSError as exc:
            raise file_error(self.path, exc) from None
        self._csv = None
        if suffix == ".csv":
            self._csv = csv.writer(self._f)
            self._write(self._csv.writerow, ["index", "label", "predicted", "cycles", "latency_ms",
                                             *[f"p_{n}" for n in class_names], "decision"])

    def _write(self, how, what) -> None:
        """how(what) and a flush; a full disk or a file that takes nothing more is a DataError."""
        try:
            how(what)
            self._f.flush()
        except OSError as exc:
            raise file_error(self.path, exc) from None

    def write(self, r: Record) -> None:
        if self._csv is not None:
            self._write(self._csv.writerow, [r.index, r.label or "", r.predicted, r.cycles, f"{r.latency_ms:.2f}",
                                             *[f"{p:.5f}" for p in r.prob], r.decision or ""])
        else:
            self._write(self._f.write, json.dumps(asdict(r)) + "\n")

    def close(self) -> None:
        try:
            self._f.close()
        except OSError:
            pass  # what it could not write was reported when it was written


def _record(dev: Device, index: int, result: p.Result, started: float, label: str | None) -> Record:
    return Record.of(index, result, dev.info.class_names, (time.perf_counter() - started) * 1000, label)


def ensure_model(dev: Device, model: Model, blob: bytes, path: str, may_upload: bool) -> bool:
    """Make sure the device runs model (blob, read from path): uploaded when may_upload (an emulator
    started for the occasion); a board that runs another is an error that says what to do. Returns
    whether it uploaded."""
    if dev.info.model_id == model.model_id:
        return False
    if len(blob) > dev.info.max_model_bytes:
        raise ModelFormatError(f"{path} has {len(blob)} bytes, the firmware takes models of at most "
                               f"{dev.info.max_model_bytes}: use fewer hidden units or features")
    if not may_upload:
        raise ModelMismatchError(f"the device runs model 0x{dev.info.model_id:08x}, {path} is 0x{model.model_id:08x}: "
                                 f"upload it first (fxclass upload {path}), or give --model the device's model")
    dev.upload(blob)
    return True


def dataset_windows(shape: Shape, ws: WindowSet, name: str, limit: int | None = None) -> tuple[np.ndarray, list[str]]:
    """The first limit windows of the dataset called name, for a device whose model has shape, with
    their labels; a DataError when the model takes windows of another shape."""
    if ws.windows.shape[1:] != shape.window_shape:
        raise DataError(f"{name} windows are {ws.windows.shape[1:]}, the device's model takes {shape.window_shape}; "
                        "upload a matching model")
    return ws.windows[:limit], [ws.class_names[i] for i in ws.labels[:limit]]


def recording_hops(shape: Shape, samples: np.ndarray, labels: list[str] | None, source: str,
                   limit: int | None = None) -> tuple[np.ndarray, list[str | None] | None, int]:
    """What to stream of a recording (samples (n, channels), labels per sample or None, from source)
    for a model of shape: the samples of its first limit hops, each hop's label, and the hops."""
    if samples.shape[1] != shape.n_channels:
        raise DataError(f"{source} has {samples.shape[1]} channels, the model takes {shape.n_channels}")
    if limit:
        samples = samples[:shape.samples_for(limit)]
    return samples, window_labels(labels, len(samples), shape), shape.hops(len(samples))


def run_windows(dev: Device, windows: np.ndarray, labels: Iterable[str | None] | None = None,
                on_record: Callable[[Record], None] | None = None, retries: int = 1) -> list[Record]:
    """INFER every window in order. A link failure is retried after reconnecting (a board that
    reset comes back with its built-in model); results already taken are kept either way."""
    labels = list(labels) if labels is not None else [None] * len(windows)
    records: list[Record] = []
    i = 0
    while i < len(windows):
        started = time.perf_counter()
        try:
            result = dev.infer(windows[i])
        except LinkError:
            if retries <= 0:
                raise
            retries -= 1
            dev.connect()
            continue
        rec = _record(dev, i, result, started, labels[i])
        records.append(rec)
        if on_record:
            on_record(rec)
        i += 1
    return records


def run_recording(dev: Device, samples: np.ndarray, window_labels: list[str | None] | None = None,
                  on_record: Callable[[Record], None] | None = None) -> list[Record]:
    """STREAM a recording; one record per hop, labelled when window_labels gives one per hop."""
    records: list[Record] = []
    started = time.perf_counter()
    info = dev.info
    due = info.shape.hops(len(samples))
    for result in dev.stream(samples):
        label = window_labels[result.index] if window_labels and result.index < len(window_labels) else None
        rec = _record(dev, result.index, result, started, label)
        started = time.perf_counter()
        records.append(rec)
        if on_record:
            on_record(rec)
    if len(records) != due:
        raise LinkError(f"the device answered {len(records)} of the {due} hops of the recording")
    return records


def window_labels(labels: list[str] | None, n_samples: int, shape: Shape) -> list[str | None] | None:
    """The label of each hop's window when all its samples share one, else None."""
    if labels is None:
        return None
    out = []
    for start in shape.window_starts(n_samples):
        chunk = labels[start:start + shape.window_len]
        out.append(chunk[0] if all(v == chunk[0] for v in chunk) else None)
    return out


@dataclass
class Score:
    """How the labelled records of a run fared: how many were right, of how many, and the confusion
    matrix (rows: true class)."""

    correct: int
    labelled: int
    confusion: np.ndarray

    @property
    def accuracy(self) -> float:
        return self.correct / self.labelled


def score(records: list[Record], class_names: list[str]) -> Score | None:
    """The score of the records that carry a label, None when none does."""
    labelled = [r for r in records if r.label is not None]
    if not labelled:
        return None
    y_true = np.array([class_names.index(r.label) for r in labelled])
    y_pred = np.array([r.class_index for r in labelled])
    return Score(int(np.sum(y_true == y_pred)), len(labelled), confusion(y_pred, y_true, len(class_names)))
