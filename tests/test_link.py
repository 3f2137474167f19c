"""The link layer's error paths: loop://, absent ports, silent, resetting and unplugged boards."""
from __future__ import annotations

import json

import numpy as np
import pytest

from fakeboard import FakeBoard
from fxclass.data import datasets
from fxclass.device import protocol as p
from fxclass.errors import LinkError
from fxclass.device.link import Device, Link
from fxclass.device.ports import PortInfo, default_port
from fxclass.device.runner import ResultWriter, run_windows


def test_loop_url_echoes_frames_but_no_board_answers():
    with Link("loop://") as link:
        dev = Device(link, timeout=0.3)
        seq = dev.send(p.INFO)
        link.poll()
        with pytest.raises(LinkError, match="no reply"):
            dev.wait_reply(seq, p.INFO_REPLY, timeout=0.3)
        # The echoed request itself was read back as a well-formed frame, not garbage.
        assert link.reader.bad_frames == 0


def test_absent_serial_port_is_a_clear_error():
    with pytest.raises(LinkError, match="cannot open /dev/ttyFXCLASS_NONE"):
        Link("/dev/ttyFXCLASS_NONE")


def test_connect_times_out_with_advice():
    with pytest.raises(LinkError, match="is the fxclass firmware flashed"):
        Device.open("loop://", timeout=0.2, boot_timeout=0.5)


def test_default_port_picks_the_single_stlink():
    ports = [PortInfo("/dev/ttyS0", "serial", None, None, None),
             PortInfo("/dev/ttyACM0", "STM32 STLink", 0x0483, 0x374B, "0668")]
    assert default_port(ports) == "/dev/ttyACM0"
    with pytest.raises(LinkError, match="no ST-LINK"):
        default_port(ports[:1])
    with pytest.raises(LinkError, match="several ST-LINK"):
        default_port(ports + [PortInfo("/dev/ttyACM1", "STLink", 0x0483, 0x374E, "1")])


def test_silent_board_times_out(default_model):
    board = FakeBoard(default_model, silent_after=0)
    with Device.open(board.url, timeout=0.3) as dev:
        with pytest.raises(LinkError, match="no reply"):
            dev.infer(np.zeros((default_model.window_len, default_model.n_channels), np.int16))
    board.close()


def test_board_that_resets_mid_run_is_reported_and_the_run_resumes(default_model, tmp_path):
    windows = datasets.basicmotions("test").windows[:6]
    board = FakeBoard(default_model, reset_at=3)
    out = tmp_path / "r.jsonl"
    writer = ResultWriter(out, default_model.class_names)
    with Device.open(board.url, timeout=1) as dev:
        records = run_windows(dev, windows, on_record=writer.write)
        assert any(t.startswith("FAULT") for t in dev.announcements)
    writer.close()
    assert [r.index for r in records] == list(range(6))
    assert [json.loads(line)["index"] for line in out.read_text().splitlines()] == list(range(6))
    board.close()


def test_pulled_cable_stops_cleanly_and_keeps_written_results(default_model, tmp_path):
    windows = datasets.basicmotions("test").windows[:6]
    board = FakeBoard(default_model, unplug_at=4)
    out = tmp_path / "r.csv"
    writer = ResultWriter(out, default_model.class_names)
    with Device.open(board.url, timeout=0.5) as dev:
        with pytest.raises(LinkError):
            run_windows(dev, windows, on_record=writer.write, retries=1)
    writer.close()
    lines = out.read_text().splitlines()
    assert lines[0].startswith("index,label,predicted") and len(lines) == 1 + 3


def test_result_writer_refuses_unknown_formats(tmp_path):
    from fxclass.errors import DataError
    with pytest.raises(DataError, match="jsonl or .csv"):
        ResultWriter(tmp_path / "r.txt", ["a"])
