"""The board's own sensor from the host's side: what LIVE computes, from the samples RECORD returns,
and recordings turned into what an emulated sensor plays (Renode's RESD, the native port's file)."""
from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import time
from typing import Iterator

from . import fxm, protocol as p
from .errors import DataError, DeviceError, LinkError, ToolError
from .recording import Recording
from .reference import Pipeline, SensorPathStream, sensor_path

IMU_CHANNELS = 6  # accelerometer x, y, z then gyroscope x, y, z, as the LSM6DSO delivers them
IMU_CHANNEL_NAMES = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]
G = 9.80665


class SensorSession:
    """LIVE or RECORD on a device: starts the mode (and the emulated sensor's recording), turns what
    comes into model samples or result records, notes gaps and sensor events, and stops the mode."""

    def __init__(self, dev, emulator=None):
        self.dev = dev
        self.emulator = emulator
        self.setup: p.ModeReply | None = None
        self.lost = 0
        self.missing_hops = 0
        self.messages: list[str] = []
        self._next_hop = 0
        self._started = 0.0

    @property
    def model_info(self) -> p.Info:
        return self.dev.info

    def start(self, mode: int) -> p.ModeReply:
        info = self.dev.request_info()
        if info.sensor is None:
            raise DeviceError(f"{info.board} has no sensor on its bus (INFO says none was found): fit the "
                              "X-NUCLEO-IKS01A3 on the Arduino headers and reset the board, or use "
                              "--renode --imu-recording FILE (README: On the board's own sensor)", 0x07)
        self.setup = self.dev.set_mode(mode)
        self._started = time.perf_counter()
        if self.emulator is not None:
            self.emulator.play_imu()
        return self.setup

    def stop(self) -> None:
        try:
            self.dev.set_mode(p.MODE_HOST)
        except (LinkError, DeviceError):
            pass  # the device went away: there is nothing left to stop

    def _frames(self, idle_timeout: float) -> Iterator:
        for frame in self.dev.sensor_frames(timeout=idle_timeout):
            if isinstance(frame, p.SensorEvent):
                self.messages.append("the sensor answers again" if frame.answering else
                                     f"the sensor stopped answering ({frame.bus_errors} bus errors so far); "
                                     "the firmware retries every 0.5 s")
            yield frame
        raise LinkError(f"nothing from the sensor for {idle_timeout:.0f} s: is it still on the board, and the "
                        "board still connected?")

    def take_messages(self) -> list[str]:
        out, self.messages = self.messages, []
        return out

    def model_blocks(self, model_info: p.Info, wanted: int, idle_timeout: float) -> Iterator[np.ndarray]:
        """RECORD's samples as the model sees them (model counts at its rate), until wanted."""
        path = SensorPathStream([c.mult for c in self.setup.channels], [c.shift for c in self.setup.channels],
                                self.setup.sensor_rate_mhz, model_info.sample_rate_hz * 1000)
        done = 0
        for frame in self._frames(idle_timeout):
            if not isinstance(frame, p.SampleBlock):
                continue
            if frame.lost > self.lost:
                path.restart()
                self.lost = frame.lost
            block = path.push(frame.samples)[:wanted - done]
            done += len(block)
            if len(block):
                yield block
            if done >= wanted:
                return

    def live_results(self, wanted_samples: int | None, idle_timeout: float) -> Iterator[p.LiveResult]:
        """LIVE's results as they come, until the window has seen wanted_samples (None: forever)."""
        for frame in self._frames(idle_timeout):
            if not isinstance(frame, p.LiveResult):
                continue
            self.missing_hops += max(0, frame.result.index - self._next_hop)
            self._next_hop = frame.result.index + 1
            yield frame
            if wanted_samples is not None and frame.samples >= wanted_samples:
                return

    def record(self, live: p.LiveResult):
        from .runner import Record
        names = self.dev.info.class_names
        r = live.result
        now = time.perf_counter()
        rec = Record(r.index, names[r.class_index] if r.class_index < len(names) else str(r.class_index),
                     r.class_index, [round(int(v) / 32768, 5) for v in r.prob_q15], r.cycles,
                     (now - self._started) * 1000)
        self._started = now
        return rec


def model_samples(raw: np.ndarray, setup: p.ModeReply, model: fxm.Model) -> np.ndarray:
    """The model's samples (model counts at its rate) that the firmware makes of the sensor's raw
    counts: the sensor path with the conversion the MODE reply reported."""
    mult = [c.mult for c in setup.channels]
    shift = [c.shift for c in setup.channels]
    return sensor_path(raw, mult, shift, setup.sensor_rate_mhz, model.sample_rate_hz * 1000)


def expected_live(raw: np.ndarray, setup: p.ModeReply, model: fxm.Model) -> tuple[np.ndarray, np.ndarray]:
    """Class and Q15 probabilities of every hop LIVE reports for these raw samples."""
    x = model_samples(raw, setup, model)
    if len(x) < model.window_len:
        return np.zeros(0, dtype=np.int64), np.zeros((0, model.n_classes), dtype=np.int16)
    starts = np.arange(0, len(x) - model.window_len + 1, model.hop_len)
    return Pipeline(model).run(np.stack([x[s:s + model.window_len] for s in starts]))


def imu_micro_units(rec: Recording) -> np.ndarray:
    """A recording of an IMU (accelerometer x, y, z then gyroscope x, y, z, in declared units) as
    integer micro-g and micro-degrees per second, (n, 6) int64."""
    if len(rec.channels) != IMU_CHANNELS or rec.units is None:
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
    return np.round(rec.values * scale).astype(np.int64)


def _rate(rec: Recording) -> float:
    if rec.sample_rate_hz is None:
        raise DataError(f"{rec.path}: declare the recording's rate (`# sample_rate_hz: 12.5`) for the emulated sensor")
    return rec.sample_rate_hz


def write_native_imu(rec: Recording, path: str | Path) -> None:
    """The native port's recording file (firmware/hal/host/fx_imu_host.c)."""
    micro = imu_micro_units(rec)
    with open(path, "w") as f:
        f.write(f"rate_mhz {round(_rate(rec) * 1000)}\n")
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


def find_block(recorded: np.ndarray, fed: np.ndarray) -> int | None:
    """Where fed (n, channels) lies in recorded whole and in order, or None."""
    n = len(fed)
    for start in range(len(recorded) - n + 1):
        if np.array_equal(recorded[start], fed[0]) and np.array_equal(recorded[start:start + n], fed):
            return start
    return None
