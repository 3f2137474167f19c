"""Recordings in the project's CSV format: read with each error tied to its row and column, and written.

`fxclass record` appends to them.

A header row names the columns; each further row is one sample, in time order. `label` (optional)
is the class, `recording` / `session` / `file` (optional) says which recording the row belongs to
(no window spans two), `time` / `t` / `timestamp` is ignored, and every other column is a channel.
Lines starting with `#` before the header declare what the numbers mean:

    # sample_rate_hz: 10
    # units: g, g, g, rad/s, rad/s, rad/s
    # counts_per_unit: 512, 512, 512, 512, 512, 512

Without `units`, channel values are integer sensor counts within int16. With them, values are
physical (any number), and counts_per_unit says how they become the model's int16 counts
(counts = round(value x counts_per_unit)); `fxclass train --counts-per-unit` gives or overrides it.
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError, file_error

LABEL_COLUMNS = ("label",)
RECORDING_COLUMNS = ("recording", "session", "file")
TIME_COLUMNS = ("time", "t", "timestamp")
UNITS = ("g", "m/s2", "dps", "rad/s", "A", "other")
# What a model can declare (docs/model-format.md): a rate in whole hertz (uint16), counts per unit
# in 1/65536 steps below 65536 (uint32, Q16.16).
MIN_RATE_HZ, MAX_RATE_HZ = 1, 65535
MIN_COUNTS_PER_UNIT, MAX_COUNTS_PER_UNIT = 1 / 65536, 65536


@dataclass
class Recording:
    """Samples (n, channels) float64 as written in the file, with what the file declares."""

    path: Path
    channels: list[str]
    values: np.ndarray
    labels: list[str] | None
    recordings: list[str] | None
    sample_rate_hz: float | None = None
    units: list[str] | None = None
    counts_per_unit: list[float] | None = None
    rows: list[int] = field(default_factory=list)  # the file's line number of each sample

    def __len__(self) -> int:
        return len(self.values)

    def counts(self, counts_per_unit: list[float] | None = None) -> np.ndarray:
        """The samples as int16 counts: values as they are, or scaled when units are declared."""
        scale = counts_per_unit or self.counts_per_unit
        if self.units is None:
            counts = self.values
        elif scale is None:
            raise DataError(f"{self.path} holds physical values ({', '.join(self.units)}) but no counts per unit: "
                            "declare `# counts_per_unit: ...` in the file or pass --counts-per-unit N (or auto)")
        else:
            counts = np.round(self.values * np.asarray(scale, dtype=np.float64))
        bad = np.argwhere((counts < -32768) | (counts > 32767))
        if len(bad):
            row, col = bad[0]
            hint = ("choose fewer counts per unit" if self.units is not None else
                    "declare the units and counts per unit of physical values (README: Your own data)")
            raise DataError(f"{self.path}:{self.rows[row]}: column {self.channels[col]!r} is "
                            f"{self.values[row, col]:g}, {counts[row, col]:.0f} counts, outside int16: {hint}")
        return counts.astype(np.int16)


def _metadata(line: str, path: Path, number: int) -> tuple[str, str] | None:
    m = re.match(r"#\s*([A-Za-z_]+)\s*[:=]\s*(.*)$", line.strip())
    if m is None:
        return None
    key, value = m.group(1).lower(), m.group(2).strip()
    if key not in ("sample_rate_hz", "units", "counts_per_unit"):
        return None
    return key, value


def _floats(text: str, path: Path, number: int, what: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise DataError(f"{path}:{number}: {what} must be numbers separated by commas, not {text!r}") from None
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise DataError(f"{path}:{number}: {what} must be positive numbers, not {text!r}")
    return values


def read_recording(path: str | Path, units: list[str] | None = None) -> Recording:
    """The file at path; units (one per channel, or one for all) declares physical values for a file
    that has no `# units` line, as `fxclass train --units` does."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8 CSV") \
            from None
    lines = text.splitlines()
    meta: dict[str, tuple[str, int]] = {}
    first = 0
    while first < len(lines) and (lines[first].lstrip().startswith("#") or not lines[first].strip()):
        found = _metadata(lines[first], path, first + 1)
        if found:
            if found[0] in meta:
                raise DataError(f"{path}:{first + 1}: `{found[0]}` is declared a second time (first on line "
                                f"{meta[found[0]][1]}): keep one")
            meta[found[0]] = (found[1], first + 1)
        first += 1
    try:
        rows = list(csv.reader(lines[first:]))
    except csv.Error as exc:
        raise DataError(f"{path}: not a CSV file ({exc})") from None
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one sample row")
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise DataError(f"{path}:{first + 1}: column {duplicates[0]!r} appears twice in the header")
    label_col = next((i for i, h in enumerate(lower) if h in LABEL_COLUMNS), None)
    rec_col = next((i for i, h in enumerate(lower) if h in RECORDING_COLUMNS), None)
    channel_cols = [i for i, h in enumerate(lower) if i not in (label_col, rec_col) and h not in TIME_COLUMNS]
    if not channel_cols:
        raise DataError(f"{path}:{first + 1}: no channel columns in the header {header}")
    declared = units
    units = counts_per_unit = rate = None
    if declared is not None:
        if len(declared) == 1:
            declared = declared * len(channel_cols)
        if "units" in meta and [u.strip() for u in meta["units"][0].split(",")] != declared:
            raise DataError(f"{path}:{meta['units'][1]}: the file declares the units {meta['units'][0]!r}, "
                            f"--units says {', '.join(declared)}: leave --units out or make them agree")
        meta.setdefault("units", (", ".join(declared), first + 1))
    if "units" in meta:
        value, number = meta["units"]
        units = [u.strip() for u in value.split(",")]
        unknown = [u for u in units if u not in UNITS]
        if unknown or len(units) != len(channel_cols):
            raise DataError(f"{path}:{number}: `units` needs one of {', '.join(UNITS)} per channel "
                            f"({len(channel_cols)}: {', '.join(header[i] for i in channel_cols)}), not {value!r}")
    if "counts_per_unit" in meta:
        value, number = meta["counts_per_unit"]
        counts_per_unit = _floats(value, path, number, "counts_per_unit")
        if not all(MIN_COUNTS_PER_UNIT <= c < MAX_COUNTS_PER_UNIT for c in counts_per_unit):
            raise DataError(f"{path}:{number}: counts_per_unit {value!r}: a model keeps counts per unit from "
                            f"1/65536 to below 65536 (in steps of 1/65536)")
        if len(counts_per_unit) == 1:
            counts_per_unit *= len(channel_cols)
        if len(counts_per_unit) != len(channel_cols):
            raise DataError(f"{path}:{number}: counts_per_unit needs one value, or one per channel ({len(channel_cols)})")
        if units is None:
            raise DataError(f"{path}:{number}: counts_per_unit needs `# units: ...` too")
    if "sample_rate_hz" in meta:
        value, number = meta["sample_rate_hz"]
        rate = _floats(value, path, number, "sample_rate_hz")[0]
        if not MIN_RATE_HZ <= round(rate) <= MAX_RATE_HZ:
            raise DataError(f"{path}:{number}: sample_rate_hz {value!r}: a model runs at {MIN_RATE_HZ} to "
                            f"{MAX_RATE_HZ} Hz (a whole number of hertz)")
    values = np.empty((len(rows) - 1, len(channel_cols)), dtype=np.float64)
    labels = [] if label_col is not None else None
    recordings = [] if rec_col is not None else None
    numbers = []
    for k, row in enumerate(rows[1:]):
        number = first + 2 + k
        if not row or all(not v.strip() for v in row):
            raise DataError(f"{path}:{number}: empty row; remove it (a recording has no gaps)")
        if len(row) != len(header):
            raise DataError(f"{path}:{number}: {len(row)} fields, the header has {len(header)}")
        for j, col in enumerate(channel_cols):
            cell = row[col].strip()
            try:
                v = float(cell) if units is not None else int(cell)
            except ValueError:
                kind = "a number" if units is not None else "an integer (sensor counts; for physical values declare " \
                                                            "`# units:` in the file, or give train --units)"
                raise DataError(f"{path}:{number}: column {header[col]!r} is {cell!r}, not {kind}") from None
            if units is not None and not math.isfinite(v):
                raise DataError(f"{path}:{number}: column {header[col]!r} is {cell!r}, not a finite number")
            if units is None and not -32768 <= v <= 32767:
                raise DataError(f"{path}:{number}: column {header[col]!r} is {cell}, outside int16 [-32768, 32767]; "
                                "declare `# units:` and `# counts_per_unit:` for physical values")
            values[k, j] = v
        if labels is not None:
            label = row[label_col].strip()
            if not label:
                raise DataError(f"{path}:{number}: the label is empty; give every row its class")
            labels.append(label)
        if recordings is not None:
            recordings.append(row[rec_col].strip())
        numbers.append(number)
    return Recording(path, [header[i] for i in channel_cols], values, labels, recordings, rate, units,
                     counts_per_unit, numbers)


class RecordingWriter:
    """Appends labelled samples to a recording, declaring rate, units and counts per unit in a new
    file and checking that an existing one declares the same; every row is flushed at once."""

    def __init__(self, path: str | Path, channels: list[str], sample_rate_hz: float, units: list[str],
                 counts_per_unit: list[float], recording_id: str):
        self.path = Path(path)
        self.recording_id = recording_id
        self.counts_per_unit = np.asarray(counts_per_unit, dtype=np.float64)
        header = ["label", "recording", *channels]
        appending = self.path.is_file() and self.path.stat().st_size > 0
        if appending:
            old = read_recording(self.path)
            mismatch = [what for what, a, b in (("channels", old.channels, channels), ("units", old.units, units),
                                                ("counts_per_unit", old.counts_per_unit, list(counts_per_unit)),
                                                ("sample_rate_hz", old.sample_rate_hz, sample_rate_hz)) if a != b]
            if mismatch or old.recordings is None or old.labels is None:
                raise DataError(f"{self.path} holds other data ({', '.join(mismatch) or 'no label or recording column'}"
                                f" differ): record into a new file")
            if recording_id in set(old.recordings):
                raise DataError(f"{self.path} already has a recording {recording_id!r}: give another --recording")
        try:
            if appending:
                self._f = self.path.open("a", newline="")
            else:
                self._f = self.path.open("w", newline="")
                self._f.write(f"# sample_rate_hz: {sample_rate_hz:g}\n# units: {', '.join(units)}\n"
                              f"# counts_per_unit: {', '.join(f'{c:g}' for c in counts_per_unit)}\n")
                csv.writer(self._f).writerow(header)
                self._f.flush()
        except OSError as exc:
            raise file_error(self.path, exc) from None
        self._csv = csv.writer(self._f)
        self.rows = 0

    def write(self, label: str, counts: np.ndarray) -> None:
        """counts (n, channels) in the model's counts: written as physical values that read back
        to exactly these counts."""
        rows = [[label, self.recording_id, *(repr(float(v)) for v in row)]
                for row in np.asarray(counts, dtype=np.float64) / self.counts_per_unit]
        try:
            self._csv.writerows(rows)
            self._f.flush()
        except OSError as exc:
            raise file_error(self.path, exc) from None
        self.rows += len(rows)

    def close(self) -> None:
        try:
            self._f.close()
        except OSError:
            pass  # what it could not write was reported when it was written
