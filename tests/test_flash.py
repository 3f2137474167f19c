"""Flashing up to the tool boundary: commands, the ST-LINK drive copy, the no-probe error."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fxclass.device import flash
from fxclass.errors import ToolError


@pytest.fixture
def image(tmp_path) -> Path:
    d = tmp_path / "image"
    d.mkdir()
    (d / "fxclass.bin").write_bytes(bytes(range(256)) * 8)
    (d / "fxclass.elf").write_bytes(b"\x7fELF")
    return d


def stlink_drive(root: Path, label: str) -> Path:
    drive = root / label
    drive.mkdir(parents=True)
    (drive / "DETAILS.TXT").write_text("Version: V2J40M27\nBuild:   Sep 15 2022 11:27:09\n")
    (drive / "MBED.HTM").write_text('<meta http-equiv="refresh" content="0; URL=http://mbed.org/device/?code=0735"/>\n')
    return drive


def test_backend_commands(image):
    cmds = {b.name: b.command(image, "nucleo_f446re") for b in flash.BACKENDS if b.command}
    assert cmds["pyocd"] == ["pyocd", "flash", "--no-wait", "--target", "stm32f446retx", str(image / "fxclass.elf")]
    assert cmds["st-flash"] == ["st-flash", "--reset", "write", str(image / "fxclass.bin"), "0x8000000"]
    assert cmds["openocd"][:5] == ["openocd", "-f", "interface/stlink.cfg", "-f", "target/stm32f4x.cfg"]
    assert cmds["openocd"][-1] == f"program {image / 'fxclass.elf'} verify reset exit"
    assert flash.BACKENDS[0].command(image, "nucleo_f411re")[4] == "stm32f411retx"


def test_copy_onto_the_stlink_drive(image, tmp_path):
    mounts = tmp_path / "media"
    stlink_drive(mounts, "NODE_F411RE")
    drive = stlink_drive(mounts, "NODE_F446RE")
    (mounts / "USBSTICK").mkdir()
    used = flash.flash("nucleo_f446re", image, probe="mass-storage", mount_roots=[mounts])
    assert used == "mass-storage"
    assert (drive / "fxclass.bin").read_bytes() == (image / "fxclass.bin").read_bytes()
    assert not (mounts / "NODE_F411RE" / "fxclass.bin").exists()


def test_first_working_backend_is_used(image, tmp_path, monkeypatch):
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd[0])
        ok = cmd[0] == "/usr/bin/openocd"
        return subprocess.CompletedProcess(cmd, 0 if ok else 1, "", "" if ok else "Error: no probe")

    monkeypatch.setattr(shutil, "which", lambda name, path=None: f"/usr/bin/{name}")
    assert flash.flash("nucleo_f446re", image, mount_roots=[tmp_path], run=fake_run) == "openocd"
    assert calls == ["/usr/bin/pyocd", "/usr/bin/st-flash", "/usr/bin/openocd"]


def test_a_tool_that_hangs_is_reported_and_the_next_one_tried(image, tmp_path, monkeypatch):
    def fake_run(cmd, timeout, **kwargs):
        if cmd[0].endswith("pyocd"):
            raise subprocess.TimeoutExpired(cmd, timeout)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(shutil, "which", lambda name, path=None: f"/usr/bin/{name}")
    assert flash.flash("nucleo_f446re", image, mount_roots=[tmp_path], run=fake_run) == "st-flash"
    with pytest.raises(ToolError, match=f"pyocd: no result within {flash.TOOL_TIMEOUT_S} s"):
        flash.flash("nucleo_f446re", image, probe="pyocd", mount_roots=[tmp_path], run=fake_run)


def test_tools_in_this_pythons_environment_are_found_off_path(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert flash.find_tool("pyocd") == str(Path(sys.executable).parent / "pyocd")
    assert flash.find_tool("no-such-flasher") is None


def test_no_probe_error_with_the_real_tools(image, tmp_path):
    """make test installs pyOCD, stlink-tools and openocd; no board is attached to the machines here."""
    with pytest.raises(ToolError) as err:
        flash.flash("nucleo_f446re", image, mount_roots=[tmp_path])
    text = str(err.value)
    assert "no probe answered" in text and "Plug the Nucleo's ST-LINK USB" in text
    assert "pyocd: No connected debug probes" in text
    assert "st-flash: " in text and "Couldn't find any ST-Link" in text
    assert "openocd: Error: open failed" in text
    assert "mass-storage: no ST-LINK drive mounted" in text


def test_missing_image_is_explained(tmp_path):
    with pytest.raises(ToolError, match="fxclass build --board nucleo_f446re"):
        flash.flash("nucleo_f446re", tmp_path)
