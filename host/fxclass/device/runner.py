"""Running windows and recordings on a device, with results saved as they arrive."""
from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..errors import DataError, LinkError
from ..model.shape import Shape
from .link import Device


@dataclass
class Record:
    index: int
    predicted: str
    class_index: int
    prob: list[float]
    cycles: int
    latency_ms: float
    label: str | None = None


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
            raise DataError(f"cannot write {self.path}: {exc.strerror}") from exc
        self._csv = None
        if suffix == ".csv":
            self._csv = csv.writer(self._f)
            self._csv.writerow(["index", "label", "predicted", "cycles", "latency_ms", *[f"p_{n}" for n in class_names]])

    def write(self, r: Record) -> None:
        if self._csv is not None:
            self._csv.writerow([r.index, r.label or "", r.predicted, r.cycles, f"{r.latency_ms:.2f}",
                                *[f"{p:.5f}" for p in r.prob]])
        else:
            self._f.write(json.dumps(asdict(r)) + "\n")
        self._f.flush()

    def close(self) -> None:
        self._f.close()


def _record(dev: Device, index: int, result, started: float, label: str | None) -> Record:
    names = dev.info.class_names
    return Record(index, names[result.class_index] if result.class_index < len(names) else str(result.class_index),
                  result.class_index, [round(int(p) / 32768, 5) for p in result.prob_q15], result.cycles,
                  (time.perf_counter() - started) * 1000, label)


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
