"""The native port: the application built for this computer (`make native`), set up by environment.

Its console is a local TCP socket, and its simulated LSM6DSO plays a file."""
from __future__ import annotations

import math
import os
from pathlib import Path

from ..errors import UsageError
from ..firmware.build import REPO

ENV_SPEEDUP = "FXCLASS_NATIVE_IMU_SPEEDUP"
MIN_SPEEDUP, MAX_SPEEDUP = 0.01, 1000  # beyond 1000 the part's FIFO overruns between two reads

NATIVE_BINARY = REPO / "build" / "host" / "fxclass_native"


def environment(port: int, imu_file: Path | None = None, imu_speedup: float | None = None) -> dict[str, str]:
    """This process's environment with what the native program reads: its console port, the IMU file
    it plays, and how much faster than the clock the part runs (else $FXCLASS_NATIVE_IMU_SPEEDUP,
    or real time)."""
    env = {**os.environ, "FXCLASS_NATIVE_PORT": str(port)}
    if imu_speedup is None and ENV_SPEEDUP in env:
        imu_speedup = speedup_from(env[ENV_SPEEDUP])
    if imu_file is not None:
        env["FXCLASS_NATIVE_IMU"] = str(imu_file)
    if imu_speedup is not None:
        env[ENV_SPEEDUP] = repr(imu_speedup)
    return env


def speedup_from(text: str) -> float:
    """$FXCLASS_NATIVE_IMU_SPEEDUP as a number: how many times faster than the clock the part runs."""
    try:
        speedup = float(text)
    except ValueError:
        speedup = math.nan
    if not (math.isfinite(speedup) and MIN_SPEEDUP <= speedup <= MAX_SPEEDUP):
        raise UsageError(f"${ENV_SPEEDUP}={text!r}: give how many times faster than the clock the simulated sensor "
                         f"runs, a number from {MIN_SPEEDUP:g} to {MAX_SPEEDUP:g} (such as 20)")
    return speedup
