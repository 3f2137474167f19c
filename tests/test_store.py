"""What the board keeps in flash: the two-slot store under power cuts at every step (C, simulated
flash), and the application natively on a file-backed flash: an upload kept across resets, a RAM
trial undone by one, power cut at points across an upload's erase and program, the configuration
kept; and in QEMU, which has no flash controller, RAM uploads only."""
from __future__ import annotations

import struct
import subprocess
import zlib

import numpy as np
import pytest

from conftest import HOST_BUILD, make
from fxclass.data import datasets
from fxclass.device import config as cfg, protocol as p
from fxclass.device.link import Device
from fxclass.emu.emulator import Emulator
from fxclass.errors import DataError, DeviceError
from fxclass.model import fxm
from fxclass.model.reference import Pipeline

from test_firmware import _retrained_model

CUT_POINTS = 20


def test_the_store_boots_a_whole_record_after_a_cut_at_every_step():
    make(str((HOST_BUILD / "fx_store_test").relative_to(HOST_BUILD.parents[1])))
    out = subprocess.run([str(HOST_BUILD / "fx_store_test")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[-1] == "ok"
    # Every step of every write was cut once: erase (4 quarters), payload words, header (4), commit.
    steps = {line.split(":")[0]: line for line in lines[:-1]}
    assert "first record: 260 steps" in steps["first record"]  # 4 + 250 + 1 (the last 1001 % 4 bytes) + 4 + 1
    assert "second record: 409 steps, cut at each: 409 boot the previous record" in steps["second record"]
    assert "third record: 11 steps, cut at each: 11 boot the previous record" in steps["third record"]


@pytest.fixture
def flash_file(tmp_path, monkeypatch):
    path = tmp_path / "flash.bin"
    monkeypatch.setenv("FXCLASS_NATIVE_FLASH", str(path))
    monkeypatch.delenv("FXCLASS_NATIVE_FLASH_CUT", raising=False)
    return path


def _check_runs(dev: Device, model: fxm.Model) -> None:
    """The device runs model: its id, and an inference equal to the reference's."""
    assert dev.info.model_id == model.model_id
    window = datasets.basicmotions("test").windows[5]
    r = dev.infer(window)
    assert np.array_equal(r.prob_q15, Pipeline(model).run(window[None])[1][0])


def test_a_kept_upload_survives_resets_and_a_ram_trial_does_not(native_binary, flash_file, default_model):
    new = _retrained_model(default_model)
    with Emulator(elf=native_binary, native=True) as emu, emu.open_device(timeout=10) as dev:
        assert dev.info.flash_controller and dev.info.model_source == "built-in"
        dev.upload(fxm.pack(new), keep=True)
        assert (dev.info.model_source, dev.info.model_seq) == ("flash slot 0", 1)
        dev.reset()
        assert (dev.info.model_source, dev.info.model_seq) == ("flash slot 0", 1)
        _check_runs(dev, new)
        dev.upload(fxm.pack(default_model))  # a RAM trial over the kept model
        assert dev.info.model_source == "RAM"
        _check_runs(dev, default_model)
        dev.reset()
        assert dev.info.model_source == "flash slot 0"
        _check_runs(dev, new)
        dev.upload(fxm.pack(default_model), keep=True)  # the next record goes to the other slot
        assert (dev.info.model_source, dev.info.model_seq) == ("flash slot 1", 2)
    # Power off and on: a new process on the same flash.
    with Emulator(elf=native_binary, native=True) as emu, emu.open_device(timeout=10) as dev:
        assert (dev.info.model_source, dev.info.model_seq) == ("flash slot 1", 2)
        _check_runs(dev, default_model)


def _upload_until_cut(dev: Device, blob: bytes) -> None:
    """An upload to flash that the power cut ends somewhere: no ACK is awaited after the commit."""
    dev.request(p.UPLOAD_BEGIN, struct.pack("<IIB", len(blob), zlib.crc32(blob), p.UPLOAD_KEEP), p.ACK)
    for offset in range(0, len(blob), 1024):
        dev.request(p.UPLOAD_CHUNK, struct.pack("<I", offset) + blob[offset:offset + 1024], p.ACK)
    dev.send(p.UPLOAD_COMMIT)


def test_a_power_cut_anywhere_in_an_upload_boots_a_whole_model(native_binary, flash_file, monkeypatch, default_model):
    """The default model kept first, then another uploaded with the power cut at 20 points spread
    over the erase (4 steps), the program (a step a word) and the commit word: each boot runs the
    one or the other, never a half-written one, and the new one only once its commit word is whole."""
    old, new = default_model, _retrained_model(default_model)
    old_blob, new_blob = fxm.pack(old), fxm.pack(new)
    with Emulator(elf=native_binary, native=True) as emu, emu.open_device(timeout=10) as dev:
        dev.upload(old_blob, keep=True)
    kept = flash_file.read_bytes()
    total = 4 + (len(new_blob) + 3) // 4 + 4 + 1
    points = sorted({1, 2, 4, 5, 6, total - 5, total - 1, total,
                     *np.linspace(7, total - 6, CUT_POINTS - 8).astype(int).tolist()})
    assert len(points) == CUT_POINTS
    booted = {}
    for n in points:
        flash_file.write_bytes(kept)
        monkeypatch.setenv("FXCLASS_NATIVE_FLASH_CUT", str(n))
        with Emulator(elf=native_binary, native=True) as emu, emu.open_device(timeout=10) as dev:
            _upload_until_cut(dev, new_blob)
            dev.connect()  # the board comes back after the cut
            assert dev.announcements[-1].endswith("ready"), dev.announcements
            model = old if dev.info.model_id == old.model_id else new
            _check_runs(dev, model)
            booted[n] = (dev.info.model_source, dev.info.model_id)
    assert all(booted[n] == ("flash slot 0", old.model_id) for n in points if n < total), booted
    assert booted[total] == ("flash slot 0", old.model_id)  # the commit word half-programmed: not yet
    # And without a cut, the new one (the cut variable cleared).
    flash_file.write_bytes(kept)
    monkeypatch.delenv("FXCLASS_NATIVE_FLASH_CUT")
    with Emulator(elf=native_binary, native=True) as emu, emu.open_device(timeout=10) as dev:
        dev.upload(new_blob, keep=True)
        dev.reset()
        assert dev.info.model_source == "flash slot 1"
        _check_runs(dev, new)


def test_the_configuration_is_kept_checked_and_reset(native_binary, flash_file):
    golden = {name: wire for name, _, _, _, wire in __import__("test_protocol").golden()}
    with Emulator(elf=native_binary, native=True) as emu, emu.open_device(timeout=10) as dev:
        dev.link.write(golden["config_get"])  # seq 10, as the golden reply
        assert dev.wait_reply(10, p.CONFIG_REPLY).payload == p.decode(golden["config_reply_defaults"][:-1]).payload
        reply = cfg.set_values(dev, ["boot_mode=live", "led=heartbeat", "pin.Running=D7", "decision_dwell=3"])
        assert (reply.source, reply.seq) == ("flash slot 0", 1)
        assert reply.values[cfg.BOOT_MODE] == 1 and reply.values[cfg.CLASS_PIN + 1] == 7 and reply.values[0x0012] == 3
        for bad, code in ((p.ConfigReply.entries({0x0777: 1}), 0x0E), (p.ConfigReply.entries({cfg.LED: 9}), 0x0F),
                          (p.ConfigReply.entries({cfg.CLASS_PIN: 13}), 0x0F), (b"\x01\x00\x01", 0x0F), (b"", 0x0F),
                          (p.ConfigReply.entries({cfg.LED: 0, 0x0777: 1}), 0x0E)):
            with pytest.raises(DeviceError) as err:
                dev.wait_reply(dev.send(p.CONFIG_SET, bad), p.CONFIG_REPLY)
            assert err.value.code == code
        assert dev.config().values == reply.values  # refused sets change nothing
        dev.reset()  # LIVE at boot is tried (no sensor here: refused) and the console answers
        assert dev.info.boot_mode == 1 and dev.info.config_source == "flash slot 0"
        assert cfg.show(dev).values[cfg.CLASS_PIN + 1] == 7
        assert cfg.reset(dev).source == "built-in"
        dev.reset()
        assert dev.info.boot_mode == 0 and dev.info.config_source == "built-in"
    for text in ("boot_mode", "boot_mode=sometimes", "pin.9=D3", "pin.0=D13", "colour=red", "decision_hops=17"):
        with pytest.raises(DataError):
            cfg.parse_assignment(text, ["a", "b"])



def test_forget_erases_the_kept_models_and_configuration(native_binary, flash_file, default_model):
    """FORGET: both model slots and the configuration erased, the built-in model and the defaults in use at
    once and after a reset and a power cycle, so the board is host-driven again."""
    new, other = _retrained_model(default_model), _retrained_model(default_model)
    other.model_id = 0xBEEF
    with Emulator(elf=native_binary, native=True) as emu, emu.open_device(timeout=10) as dev:
        builtin_id = dev.info.model_id
        defaults = dev.config().values
        dev.upload(fxm.pack(new), keep=True)
        dev.upload(fxm.pack(other), keep=True)  # both slots hold a model now
        assert (dev.info.model_source, dev.info.model_seq) == ("flash slot 1", 2)
        cfg.set_values(dev, ["boot_mode=live", "led=off", "decision_hops=4"])
        info = dev.forget()
        assert (info.model_source, info.model_seq, info.model_id) == ("built-in", 0, builtin_id)
        assert (info.config_source, info.boot_mode) == ("built-in", 0)
        assert dev.config().values == defaults
        _check_runs(dev, default_model)
        dev.reset()
        assert (dev.info.model_source, dev.info.model_id, dev.info.config_source) == ("built-in", builtin_id, "built-in")
        dev.upload(fxm.pack(new))  # a RAM trial is forgotten too
        assert dev.forget().model_id == builtin_id
        dev.upload(fxm.pack(new), keep=True)  # and the store takes records again
        assert (dev.info.model_source, dev.info.model_seq) == ("flash slot 0", 1)
        dev.forget()
    with Emulator(elf=native_binary, native=True) as emu, emu.open_device(timeout=10) as dev:
        assert (dev.info.model_source, dev.info.model_id, dev.info.config_source) == ("built-in", builtin_id, "built-in")
        _check_runs(dev, default_model)
        with pytest.raises(DeviceError) as err:
            dev.wait_reply(dev.send(p.FORGET, b"\x00"), p.ACK)
        assert err.value.code == 0x02  # FORGET takes no payload

def test_qemu_has_no_flash_controller_and_keeps_ram_uploads(device, default_model):
    new = _retrained_model(default_model)
    info = device.request_info()
    assert not info.flash_controller
    with pytest.raises(DeviceError) as err:
        device.upload(fxm.pack(new), keep=True)
    assert err.value.code == 0x0C
    assert device.request_info().model_id == info.model_id
    device.upload(fxm.pack(new))
    assert device.info.model_source == "RAM"
    _check_runs(device, new)
    reply = device.set_config({cfg.LED: 1})  # applied, not kept
    assert reply.source == "RAM" and reply.values[cfg.LED] == 1
    device.reset()
    assert device.info.model_source == "built-in" and device.config().source == "built-in"
    device.upload(fxm.pack(new))  # FORGET without a controller: the RAM model and settings go, nothing to erase
    device.set_config({cfg.LED: 0})
    assert device.forget().model_id == info.model_id
    assert device.info.model_source == "built-in" and device.config().source == "built-in"


def test_cli_upload_keeps_by_default_and_config_persists(native_binary, flash_file, tmp_path):
    """The commands as a person types them, each starting the native board on the same flash file."""
    from test_cli import fx

    model = tmp_path / "m.fxm"
    model.write_bytes((HOST_BUILD.parents[1] / "models" / "default.fxm").read_bytes())
    r = fx("upload", "--native", str(model))
    assert r.returncode == 0 and "kept in flash slot 0" in r.stdout, r.stdout + r.stderr
    r = fx("info", "--native")
    assert "(flash slot 0, record 1)" in r.stdout and "controller present" in r.stdout, r.stdout
    r = fx("upload", "--native", "--ram", str(model))
    assert r.returncode == 0 and "in RAM until a reset" in r.stdout, r.stdout
    r = fx("config", "set", "--native", "boot_mode=live", "pin.Walking=d12")
    assert r.returncode == 0 and "boot_mode    live" in r.stdout and "pin.3        D12" in r.stdout, r.stdout
    r = fx("info", "--native")
    assert "LIVE at power-on (configuration: flash slot 0)" in r.stdout, r.stdout
    r = fx("config", "set", "--native", "pin.Walking=D13")
    assert r.returncode == 4 and "D2 .. D12" in r.stderr, r.stderr
    r = fx("config", "reset", "--native")
    assert r.returncode == 0 and "(defaults)" in r.stdout, r.stdout
    r = fx("forget", "--native")
    assert r.returncode == 0 and "erased from flash" in r.stdout and "(built-in) is running, host-driven" in r.stdout, r.stdout
    r = fx("info", "--native")
    assert "(built-in), " in r.stdout, r.stdout
    r = fx("upload", "--sim", str(model))
    assert r.returncode == 0 and "netduinoplus2 has no flash controller" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("board", ["netduinoplus2", "nucleo_f446re", "nucleo_f411re"])
def test_images_stay_in_sectors_0_to_3_and_load_nothing_into_the_kept_sectors(board):
    """The image ends before sector 4 (0x08010000), where the kept configuration begins, and no
    segment loads more into flash than its bytes: a loader that zero-fills a segment's memory size
    at its load address (Renode's LoadELF) would otherwise clear what the board keeps."""
    make("-C", "firmware", f"BOARD={board}")
    elf = HOST_BUILD.parents[1] / "firmware" / "build" / board / "fxclass.elf"
    out = subprocess.run(["arm-none-eabi-readelf", "-lW", str(elf)], capture_output=True, text=True, check=True).stdout
    loads = [line.split() for line in out.splitlines() if line.strip().startswith("LOAD")]
    in_flash = [(int(f[3], 16), int(f[4], 16), int(f[5], 16)) for f in loads if 0x08000000 <= int(f[3], 16) < 0x08100000]
    assert in_flash, out
    for phys, file_size, mem_size in in_flash:
        assert mem_size == file_size, f"a segment at 0x{phys:08x} loads {mem_size - file_size} zero bytes into flash"
        assert phys + file_size <= 0x08010000, f"the image reaches 0x{phys + file_size:08x}, into sector 4"
