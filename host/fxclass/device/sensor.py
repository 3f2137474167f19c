"""The board's own sensor from the host's side: a LIVE or RECORD session on a device.

The session starts the mode, turns what comes into result records or into samples as the model
sees them, notes gaps and sensor events, and stops the mode."""
from __future__ import annotations

import time
from typing import Iterator

import numpy as np

from ..errors import DeviceError, LinkError
from ..model.reference import SensorPathStream
from . import protocol as p
from .runner import Record

# What the board's IMU (the LSM6DSO) delivers, in this order: accelerometer x, y, z then gyroscope x, y, z.
IMU_CHANNEL_NAMES = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]


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
        # Renode's LSM6DSO gives all-zero samples until the recording it plays is fed to it, which the
        # host can do only once the firmware has set the part's rate (the mode's reply): those samples
        # are the emulator's, not the recording's, and RECORD leaves them out.
        self._zeros_first = bool(getattr(emulator, "renode", False) and getattr(emulator, "imu_recording", None))

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
                                self.setup.sensor_rate_millihertz, model_info.shape.sample_rate_millihertz)
        done = 0
        before_recording = self._zeros_first
        for frame in self._frames(idle_timeout):
            if not isinstance(frame, p.SampleBlock):
                continue
            if frame.lost > self.lost:
                path.restart()
                self.lost = frame.lost
            samples = np.asarray(frame.samples)
            if before_recording:
                begun = np.flatnonzero(np.any(samples != 0, axis=1))
                if not len(begun):
                    continue
                samples, before_recording = samples[begun[0]:], False
            block = path.push(samples)[:wanted - done]
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

    def record(self, live: p.LiveResult) -> Record:
        """A LIVE result as a run's record, its latency the time since the previous one (or the start)."""
        now = time.perf_counter()
        rec = Record.of(live.result.index, live.result, self.dev.info.class_names, (now - self._started) * 1000)
        self._started = now
        return rec
