"""The board's own sensor on the native port (the simulated LSM6DSO playing a file) and in QEMU (no
sensor): LIVE bit-exact, RECORD exact, refusals, a part that leaves the bus and comes back, and the
record command's file. The same keywords (renode/FxclassDevice.py) run in Renode's sensor.robot."""
from __future__ import annotations

import struct
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from fxclass.data.recording import read_recording
from fxclass.device import protocol as p
from fxclass.emu.emulator import Emulator
from fxclass.errors import DeviceError
from fxclass.model import fxm
from fxclass.model.reference import scale_factor, sensor_path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "renode"))
from FxclassDevice import FxclassDevice  # noqa: E402

SPEEDUP = 25  # the simulated part's time runs this much faster than the clock
DEFAULT_MODEL = ROOT / "models" / "default.fxm"


@pytest.fixture
def lib():
    keywords = FxclassDevice()
    yield keywords
    keywords.disconnect()


def native(native_binary, recording=None, **kw):
    return Emulator(elf=native_binary, native=True, imu_recording=recording, imu_speedup=SPEEDUP, **kw)


def test_recordings_written_side_by_side_into_one_folder_never_share_a_file(tmp_path):
    """Suites run side by side (both Nucleos, other checkouts) write into the same ${TEMPDIR}: Renode
    reads a recording as it plays it, so one written over another's under the same name would be
    played by a test that never fed it."""
    first, second = FxclassDevice(), FxclassDevice()
    path = Path(first.write_imu_recording(tmp_path, windows=1, rate_hz=12.5))
    written = path.read_bytes()
    other = Path(second.write_imu_recording(tmp_path, windows=2, rate_hz=12.5, gestures="Running"))
    assert other != path and path.read_bytes() == written
    assert other.parent.parent == path.parent.parent == tmp_path


def test_live_is_bit_exact_with_the_reference_on_the_samples_delivered_every_hop(native_binary, lib, tmp_path):
    recording = lib.write_imu_recording(tmp_path, windows=3, rate_hz=12.5)
    with native(native_binary, recording) as emu:
        lib.connect(emu.url, str(DEFAULT_MODEL))
        assert lib.start_sensor_mode("LIVE", "RECORD") == 12500
        lib.collect(hops=5)
        assert lib.live_matches_reference() >= 5
        assert lib.setup.channels[0].full_scale == 16 and lib.setup.channels[3].full_scale == 2000


def test_record_returns_exactly_the_samples_fed_in_order(native_binary, lib, tmp_path):
    recording = lib.write_imu_recording(tmp_path, windows=1, rate_hz=12.5)
    with native(native_binary, recording) as emu:
        lib.connect(emu.url, str(DEFAULT_MODEL))
        lib.start_sensor_mode("RECORD")
        lib.collect(samples=len(lib.fed) + 5)
        assert lib.record_matches_fed() == 0  # the native part starts playing with its FIFO
        stats = lib.dev.stats()
        assert stats["sensor_samples"] >= len(lib.fed) and stats["sensor_lost"] == 0 == stats["sensor_errors"]


def test_without_a_sensor_live_is_refused_and_inference_goes_on(emulator, lib):
    lib.connect(emulator.url, str(DEFAULT_MODEL))  # QEMU: no I2C sensor
    assert "no sensor" in lib.no_sensor()
    assert lib.dev.info.sensor is None
    lib.classify_like_reference(count=2)
    with pytest.raises(DeviceError) as err:
        lib.dev.set_mode(p.MODE_RECORD)
    assert err.value.code == 0x07


def test_native_port_without_a_recording_has_no_sensor(native_binary, lib):
    with Emulator(elf=native_binary, native=True) as emu:
        lib.connect(emu.url, str(DEFAULT_MODEL))
        assert "no sensor" in lib.no_sensor()


def _model_variant(m: fxm.Model, sample_rate_hz: int | None = None, **changes) -> fxm.Model:
    shape = replace(m.shape, sample_rate_hz=sample_rate_hz or m.sample_rate_hz)
    return replace(m, shape=shape, model_id=0xBAD, **changes)


@pytest.mark.parametrize("change, code", [
    ({"units": None, "counts_per_unit": None}, 0x08),
    ({"units": ["g"] * 6, "counts_per_unit": [512.0] * 6}, 0x09),
    ({"units": ["A"] * 6, "counts_per_unit": [100.0] * 6}, 0x09),
    ({"sample_rate_hz": 7000}, 0x0A),
])
def test_a_model_the_sensor_cannot_serve_is_refused_with_the_reason(native_binary, lib, tmp_path, change, code):
    recording = lib.write_imu_recording(tmp_path, windows=1, rate_hz=12.5)
    with native(native_binary, recording) as emu:
        lib.connect(emu.url, str(DEFAULT_MODEL))
        lib.dev.upload(fxm.pack(_model_variant(lib.model, **change)))
        with pytest.raises(DeviceError) as err:
            lib.dev.set_mode(p.MODE_LIVE)
        assert err.value.code == code, str(err.value)
        assert p.error_text(code) in str(err.value)
        assert lib.dev.request_info().mode == p.MODE_HOST


def test_a_sensor_that_stops_answering_is_reported_retried_and_the_uart_still_served(native_binary, lib, tmp_path,
                                                                                     monkeypatch):
    unplug = tmp_path / "unplugged"
    monkeypatch.setenv("FXCLASS_NATIVE_IMU_UNPLUG", str(unplug))
    recording = lib.write_imu_recording(tmp_path, windows=3, rate_hz=12.5)
    with native(native_binary, recording) as emu:
        lib.connect(emu.url, str(DEFAULT_MODEL))
        lib.start_sensor_mode("RECORD")
        events = []
        frames = lib.dev.sensor_frames(timeout=10)
        for frame in frames:
            if isinstance(frame, p.SampleBlock) and frame.first > 20 and not unplug.exists():
                unplug.touch()
            if isinstance(frame, p.SensorEvent):
                events.append(frame.answering)
                break
        assert events == [False]
        stats = lib.dev.stats()  # the UART is served while the sensor is away
        assert stats["sensor_errors"] == 1
        unplug.unlink()
        for frame in frames:
            if isinstance(frame, p.SensorEvent):
                events.append(frame.answering)
            elif isinstance(frame, p.SampleBlock) and events[-1]:
                break  # samples again after the part came back
        assert events == [False, True]


def test_record_writes_what_the_model_sees_and_reads_back_unchanged(native_binary, lib, tmp_path):
    recording = lib.write_imu_recording(tmp_path, windows=2, rate_hz=12.5)
    out = tmp_path / "rec.csv"
    env = {"FXCLASS_NATIVE_IMU_SPEEDUP": str(SPEEDUP), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    for label, rec_id in (("Walking", "first"), ("Standing", "second")):
        proc = subprocess.run([sys.executable, "-m", "fxclass", "record", "--native", "--imu-recording", recording,
                               "--label", label, "--seconds", "12", "-o", str(out), "--recording", rec_id],
                              capture_output=True, text=True, timeout=120, env=env)
        assert proc.returncode == 0, proc.stderr
        assert f"120 samples of '{label}' written to {out}" in proc.stdout
    rec = read_recording(out)
    assert rec.sample_rate_hz == 10 and rec.units == ["g", "g", "g", "rad/s", "rad/s", "rad/s"]
    assert rec.counts_per_unit == [512.0] * 6 and rec.labels == ["Walking"] * 120 + ["Standing"] * 120
    assert rec.recordings == ["first"] * 120 + ["second"] * 120
    # The firmware's conversion of the counts it read, from the driver's sensitivities (16 g and
    # 2000 dps in rad/s) and the model's 512 counts per unit.
    accel, gyro = scale_factor(488000, 512 << 16), scale_factor(1221730, 512 << 16)
    mult, shift = [accel[0]] * 3 + [gyro[0]] * 3, [accel[1]] * 3 + [gyro[1]] * 3
    expected = sensor_path(lib.fed, mult, shift, 12500, 10000)[:120]
    counts = rec.counts()
    assert np.array_equal(counts[:120], expected) and np.array_equal(counts[120:], expected)


def test_values_beyond_the_parts_full_scale_saturate_at_it(native_binary, tmp_path):
    """1e30 g and 99,999 dps read as the LSM6DSO's full scale (16 g, 2000 dps), as the part reads them,
    not wrapped around int32 (99,999 dps had come back as 1,214.75) nor as 0 g."""
    recording = tmp_path / "extreme.csv"
    recording.write_text("# sample_rate_hz: 12.5\n# units: g, g, g, dps, dps, dps\nacc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n"
                         + "1e30,-1e30,1.0,99999,-99999,0.5\n" * 40)
    out = tmp_path / "rec.csv"
    env = {"FXCLASS_NATIVE_IMU_SPEEDUP": str(SPEEDUP), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "fxclass", "record", "--native", "--imu-recording", recording,
                           "--label", "X", "--seconds", "2", "-o", str(out)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    values = read_recording(out).values
    full_g, full_rad_s = 16 * 32767 / 32768, np.deg2rad(2000)
    assert np.allclose(values[:, 0], full_g, atol=0.01) and np.allclose(values[:, 1], -full_g, atol=0.01)
    assert np.allclose(values[:, 3], full_rad_s, atol=0.01) and np.allclose(values[:, 4], -full_rad_s, atol=0.01)
    assert np.allclose(values[:, 2], 1.0, atol=0.01)
