"""Shared fixtures: the host builds of the C core, the firmware image and QEMU sessions."""
from __future__ import annotations

import fcntl
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOST_BUILD = ROOT / "build" / "host"
sys.path.insert(0, str(Path(__file__).resolve().parent))


@contextmanager
def one_build_at_a_time():
    """pytest-xdist's workers share build/ and firmware/build/: two makes deciding at once to rebuild
    the same object would each read the other's half-written file. `make test` builds everything
    first, so this only orders the checks then; a lone `pytest -n 2` on a fresh clone needs it."""
    (ROOT / "build").mkdir(exist_ok=True)
    with open(ROOT / "build" / ".make.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def make(*targets: str, **variables: str) -> None:
    cmd = ["make", "-s", "-C", str(ROOT), *targets, *[f"{k}={v}" for k, v in variables.items()]]
    with one_build_at_a_time():
        subprocess.run(cmd, check=True)


@pytest.fixture(scope="session")
def runners() -> dict[str, Path]:
    """The C core's drivers: optimized, portable (-DFX_PORTABLE) and sanitized host builds, and the
    Cortex-M4 builds that run in QEMU, with the DSP variants and with the portable C alone."""
    make("host-tools")
    names = ("fx_runner", "fx_runner_portable", "fx_runner_san", "fx_runner_m4.elf", "fx_runner_m4_portable.elf")
    return {name.removesuffix(".elf"): HOST_BUILD / name for name in names}


@pytest.fixture(scope="session")
def firmware_elf() -> Path:
    make("-C", "firmware", "BOARD=netduinoplus2")
    return ROOT / "firmware" / "build" / "netduinoplus2" / "fxclass.elf"


@pytest.fixture(scope="session")
def native_binary() -> Path:
    """The firmware's application built for the host on hal/host, with the sanitizers."""
    make(str(HOST_BUILD.relative_to(ROOT) / "fxclass_native"))
    return HOST_BUILD / "fxclass_native"


@pytest.fixture(scope="module")
def emulator(firmware_elf):
    from fxclass.emu.emulator import Emulator

    with Emulator(elf=firmware_elf) as emu:
        yield emu


@pytest.fixture(scope="module")
def device(emulator):
    dev = emulator.open_device(timeout=10)  # time-outs in its own time
    yield dev
    dev.close()


@pytest.fixture(scope="session")
def default_model():
    from fxclass.model import fxm

    return fxm.load(ROOT / "models" / "default.fxm")


def pytest_addoption(parser):
    parser.addoption("--lease", metavar="SELECTOR", default=None,
                     help="run the device tests of tests/test_farm_devices.py on each board of a Jumpstarter farm "
                          "whose labels match SELECTOR (make farm-test; README: Board farm)")
