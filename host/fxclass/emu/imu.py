"""IMU recordings as the emulated sensors play them: Renode's RESD (by csv2resd), the native port's file."""
from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..data.recording import Recording
from ..device.sensor import IMU_CHANNEL_NAMES
from ..errors import DataError, ToolError

G = 9.80665
FULL_SCALE_G, FULL_SCALE_DPS = 16, 2000  # the LSM6DSO's largest full scales (DS12814)


def imu_micro_units(rec: Recording) -> np.ndarray:
    """A recording of an IMU (accelerometer x, y, z then gyroscope x, y, z, in declared units) as
    integer micro-g and micro-degrees per second, (n, 6) int64."""
    if len(rec.channels) != len(IMU_CHANNEL_NAMES) or rec.units is None:
        raise DataError(f"{rec.path}: an IMU recording has 6 channels (accelerometer x, y, z then gyroscope x, y, z) "
                        "and declares their units (`# units: g, g, g, rad/s, rad/s, rad/s`); this one has "
                        f"{len(rec.channels)} channels{'' if rec.units else ' and no units'}")
    accel = {"g": 1.0, "m/s2": 1 / G}
    gyro = {"dps": 1.0, "rad/s": 180 / np.pi}
    if rec.units[0] not in accel or any(u != rec.units[0] for u in rec.units[:3]) \
            or rec.units[3] not in gyro or any(u != rec.units[3] for u in rec.units[3:]):
        raise DataError(f"{rec.path}: the units {', '.join(rec.units)} are not an IMU's: give g or m/s2 for the first "
                        "three channels and dps or rad/s for the last three")
    scale = np.array([accel[rec.units[0]]] * 3 + [gyro[rec.units[3]]] * 3) * 1e6
    # Beyond the part's largest full scale it reads its full scale, as an LSM6DSO does (16 g, 2000 dps).
    limit = np.array([FULL_SCALE_G] * 3 + [FULL_SCALE_DPS] * 3) * 1e6
    return np.round(np.clip(rec.values * scale, -limit, limit)).astype(np.int64)


def _rate(rec: Recording) -> float:
    if rec.sample_rate_hz is None:
        raise DataError(f"{rec.path}: declare the recording's rate (`# sample_rate_hz: 12.5`) for the emulated sensor")
    return rec.sample_rate_hz


def write_native_imu(rec: Recording, path: str | Path) -> None:
    """The native port's recording file (firmware/hal/host/fx_imu_host.c)."""
    micro = imu_micro_units(rec)
    with open(path, "w") as f:
        f.write(f"rate_millihertz {round(_rate(rec) * 1000)}\n")  # the keyword fx_imu_host.c reads
        f.writelines(" ".join(str(v) for v in row) + "\n" for row in micro)


def write_resd(rec: Recording, path: str | Path, renode_tools: Path, start_time_ns: int = 0) -> None:
    """A RESD file for Renode's LSM6DSO (acceleration in micro-g and angular rate in 10^-5 rad/s, the
    units its model reads), made by csv2resd from renode_tools, the tools/ folder of a Renode."""
    tool = Path(renode_tools) / "csv2resd" / "csv2resd.py"
    if not tool.is_file():
        raise ToolError(f"Renode's csv2resd is not at {tool}: use a Renode release, which has tools/csv2resd")
    micro = imu_micro_units(rec)
    angular = np.round(micro[:, 3:] * (np.pi / 180) / 10).astype(np.int64)  # micro-dps -> 1e-5 rad/s
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "imu.csv"
        with table.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["ax", "ay", "az", "gx", "gy", "gz"])
            w.writerows(np.concatenate([micro[:, :3], angular], axis=1).tolist())
        cmd = [sys.executable, str(tool), "--input", str(table), "--map", "acceleration:ax,ay,az:x,y,z",
               "--map", "angular_rate:gx,gy,gz:x,y,z", "--start-time", str(start_time_ns),
               "--frequency", repr(_rate(rec)), str(path)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not Path(path).is_file():
        missing = "No module named" in proc.stderr
        raise ToolError(f"csv2resd failed: {proc.stderr.strip()[-500:] or proc.stdout.strip()[-500:]}"
                        + (f" (install Renode's tool requirements: pip install -r {tool.parent / 'requirements.txt'})"
                           if missing else ""))
