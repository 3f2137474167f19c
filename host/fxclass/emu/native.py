"""The native port: the application built for this computer (`make native`), set up by environment.

Its console is a local TCP socket, and its simulated LSM6DSO plays a file."""
from __future__ import annotations

import os
from pathlib import Path

from ..firmware.build import REPO

NATIVE_BINARY = REPO / "build" / "host" / "fxclass_native"


def environment(port: int, imu_file: Path | None = None, imu_speedup: float | None = None) -> dict[str, str]:
    """This process's environment with what the native program reads: its console port, the IMU file
    it plays, and how much faster than the clock the part runs (else $FXCLASS_NATIVE_IMU_SPEEDUP,
    or real time)."""
    env = {**os.environ, "FXCLASS_NATIVE_PORT": str(port)}
    if imu_file is not None:
        env["FXCLASS_NATIVE_IMU"] = str(imu_file)
    if imu_speedup is not None:
        env["FXCLASS_NATIVE_IMU_SPEEDUP"] = repr(imu_speedup)
    return env
