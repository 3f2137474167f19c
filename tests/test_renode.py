"""renode/: the platforms against the board files, the script's paths, and `fxclass sim --renode` in a
real Renode (the Robot suites in renode/ run there too, through tests/run_robot.py)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import run_robot
from fxclass.data.recording import read_recording
from fxclass.errors import ToolError
from fxclass.emu.emulator import Emulator
from fxclass.emu import renode as renode_backend
from fxclass.emu.renode import ENV_RENODE, RENODE_BOARDS, find_renode

ROOT = Path(__file__).resolve().parents[1]
RENODE = ROOT / "renode"


def board_clock(board: str) -> tuple[int, int]:
    """(SYSCLK, APB1) in Hz from the board file."""
    text = (ROOT / "firmware" / "boards" / f"{board}.c").read_text()
    sysclk = int(re.search(r"\.sysclk_hz = (\d+)u", text).group(1))
    return sysclk, sysclk // int(re.search(r"\.apb1_div = (\d+)", text).group(1))


@pytest.mark.parametrize("board", RENODE_BOARDS)
def test_each_platform_clocks_systick_dwt_and_usart2_as_the_board_does(board):
    repl = (RENODE / f"{board}.repl").read_text()
    sysclk, apb1 = board_clock(board)
    assert re.search(r'^using "\./stm32f4_nucleo\.repl"$', repl, re.M)
    assert re.search(rf"^nvic:\n    systickFrequency: {sysclk}$", repl, re.M)
    assert re.search(rf"^dwt: Miscellaneous\.DWT @ sysbus 0xE0001000\n    frequency: {sysclk}$", repl, re.M)
    assert re.search(rf"^usart2:\n    frequency: {apb1}$", repl, re.M)


def test_the_shared_platform_needs_no_network():
    repl = (RENODE / "stm32f4_nucleo.repl").read_text()
    assert re.search(r'^using "platforms/cpus/stm32f4\.repl"$', repl, re.M)
    code = "\n".join(line for line in repl.splitlines() if not line.lstrip().startswith("//"))
    assert "ApplySVD" not in code and "http" not in code
    assert re.search(r"^sysbus:\n    init:\n", code, re.M)


def test_script_paths_are_relative_to_the_script_and_name_what_make_builds():
    resc = (RENODE / "fxclass.resc").read_text()
    platform = re.search(r"^\$platform \?= \$ORIGIN/(\S+)$", resc, re.M).group(1)
    elf = re.search(r"^\$elf \?= \$ORIGIN/(\S+)$", resc, re.M).group(1)
    assert (RENODE / platform).is_file()
    assert (RENODE / elf).resolve() == ROOT / "firmware" / "build" / "nucleo_f446re" / "fxclass.elf"
    assert not re.search(r"^\s*//", resc, re.M), "a Renode script comments with #"
    assert not re.search(r"^\s*(start|s)\s*$", resc, re.M), "the suites attach their tester before the start"


def test_the_console_is_served_by_the_projects_block_terminal():
    """fxclass.resc compiles renode/BlockSocketTerminal.cs and serves USART2 through the monitor
    command it defines, with the arguments the method takes (Renode finds it by that signature)."""
    resc = (RENODE / "fxclass.resc").read_text()
    steps = ["include $ORIGIN/BlockSocketTerminal.cs", 'emulation CreateBlockSocketTerminal $port "console"',
             "connector Connect sysbus.usart2 console"]
    assert all(re.search(rf"^{re.escape(step)}$", resc, re.M) for step in steps)
    assert [resc.index(step) for step in steps] == sorted(resc.index(step) for step in steps)
    code = (RENODE / "BlockSocketTerminal.cs").read_text()
    assert "public static void CreateBlockSocketTerminal(this Emulation emulation, int port, string name)" in code


@pytest.mark.parametrize("shield", [True, False])
def test_sim_renode_script_loads_the_boards_platform_and_image(shield):
    emu = Emulator("nucleo_f411re", renode=True, port=4567, shield=shield)
    script = emu._renode_script()
    try:
        assert script.read_text().splitlines() == [
            f"$platform=@{RENODE / 'nucleo_f411re.repl'}",
            f"$elf=@{ROOT / 'firmware' / 'build' / 'nucleo_f411re' / 'fxclass.elf'}",
            "$port=4567", f"include @{RENODE / 'fxclass.resc'}",
            *([f"include @{RENODE / 'iks01a3.resc'}"] if shield else []), "emulation SetAdvanceImmediately true",
            "start"]
    finally:
        emu.stop()
    assert not script.exists(), "stop() removes the script"


def test_make_test_runs_every_renode_suite_and_the_console_suite_on_each_board():
    """make test shares the Renode suites out between the boards (tests/run_robot.py): none may be
    left out, none named that does not exist, and each board runs the console suite."""
    on_disk = sorted(f"renode/{p.name}" for p in RENODE.glob("*.robot"))
    assert sorted(run_robot.RENODE_SUITES) == on_disk
    assert sorted(run_robot.RENODE_SPLIT) == sorted(RENODE_BOARDS)
    shared = [suite for suites in run_robot.RENODE_SPLIT.values() for suite in suites]
    assert set(shared) == set(on_disk)
    assert all("renode/fxclass.robot" in suites for suites in run_robot.RENODE_SPLIT.values())


def test_renode_is_found_through_the_option_the_variable_or_path(tmp_path, monkeypatch):
    tree = tmp_path / "renode_1.15.3_portable"
    tree.mkdir()
    (tree / "renode").write_text("#!/bin/sh\n")
    (tree / "renode").chmod(0o755)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv(ENV_RENODE, raising=False)
    monkeypatch.setattr(renode_backend, "REPO", tmp_path / "checkout")  # nothing beside it
    with pytest.raises(ToolError, match="Renode is not installed: install Renode .* releases"):
        find_renode()
    (tmp_path / "checkout").mkdir()
    (tmp_path / "shared").mkdir()
    (tree.rename(tmp_path / "shared" / "renode"))
    assert find_renode() == tmp_path / "shared" / "renode" / "renode"  # beside the checkout, as make finds it
    tree = (tmp_path / "shared" / "renode").rename(tree)
    assert find_renode(tree) == tree / "renode"
    monkeypatch.setenv(ENV_RENODE, str(tree / "renode"))
    assert find_renode() == tree / "renode"
    with pytest.raises(ToolError, match=f"no Renode at --renode-path={tmp_path} .*: give the folder"):
        find_renode(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "renode").write_text("#!/bin/sh\n")
    (bin_dir / "renode").chmod(0o755)
    monkeypatch.delenv(ENV_RENODE)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert find_renode() == bin_dir / "renode"


def test_sim_renode_for_a_board_without_a_platform_says_which_exist():
    with pytest.raises(ToolError, match="no Renode platform for board 'netduinoplus2': renode/ has nucleo_f446re"):
        Emulator("netduinoplus2", renode=True)._renode_script()


@pytest.fixture(scope="module")
def renode_launcher() -> Path:
    try:
        return find_renode()
    except ToolError as exc:
        pytest.skip(f"no Renode on this machine ({exc}); tests/run_robot.py reports the same")


def test_sim_renode_serves_the_f411_image_from_any_directory(renode_launcher, tmp_path):
    subprocess.run(["make", "-s", "-C", str(ROOT / "firmware"), "BOARD=nucleo_f411re"], check=True,
                   stdout=subprocess.DEVNULL)
    sim = subprocess.Popen([sys.executable, "-m", "fxclass", "sim", "--renode", "--board", "nucleo_f411re",
                            "--renode-path", str(renode_launcher)], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        lines = [sim.stdout.readline() for _ in range(2)]
        url = lines[1].split("UART: ")[1].strip()
        info = subprocess.run([sys.executable, "-m", "fxclass", "info", "--port", url, "--timeout", "10"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert info.returncode == 0, info.stderr
        assert re.search(r"^board\s+nucleo_f411re$", info.stdout, re.M)
        assert re.search(r"^clock\s+100 MHz, cycles from (dwt|systick)$", info.stdout, re.M)
    finally:
        sim.terminate()
        assert sim.wait(20) == 0


def test_sim_renode_starts_both_imu_streams_at_one_virtual_time(tmp_path):
    """`--renode --imu-recording`: the two RESD streams are started while the emulation is paused, as
    sensor.robot does in a real Renode (where, started a moment apart on a busy host, the angular
    rate came a sample late)."""
    import io

    emu = Emulator("nucleo_f411re", renode=True, port=4568)
    emu._imu_file = tmp_path / "imu.resd"
    sent = io.BytesIO()

    class Proc:
        stdin = sent

    emu.proc = Proc()
    emu.play_imu()
    lines = sent.getvalue().decode().splitlines()
    feeds = [f"sysbus.i2c1.lsm6dso Feed{kind}SamplesFromRESD @{emu._imu_file} 0 0 CurrentVirtualTime"
             for kind in ("Acceleration", "AngularRate")]
    assert lines == ["pause", *feeds, "start"]


def test_record_in_renode_from_outside_the_checkout_begins_with_the_recordings_first_sample(renode_launcher,
                                                                                              tmp_path):
    """`fxclass record --renode` from another folder with no variable set: Renode found beside the
    checkout, the recording played with virtual time running ahead, and its first row the file's first
    sample (the part's zeros from before the recording was fed are not written)."""
    subprocess.run(["make", "-s", "-C", str(ROOT / "firmware"), "BOARD=nucleo_f446re"], check=True,
                   stdout=subprocess.DEVNULL)
    first = [0.5, -0.25, 1.0, 10.0, -20.0, 30.0]
    rows = [first] + [[0.1 * k, -0.1, 0.98, k, -k, 0.5] for k in range(1, 80)]
    recording = tmp_path / "imu.csv"
    recording.write_text("# sample_rate_hz: 12\n# units: g, g, g, dps, dps, dps\nacc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n"
                         + "".join(",".join(map(str, r)) + "\n" for r in rows))
    env = {k: v for k, v in os.environ.items() if k != ENV_RENODE}
    proc = subprocess.run([sys.executable, "-m", "fxclass", "record", "--renode", "--imu-recording", str(recording),
                           "--label", "walk", "--seconds", "3", "-o", "rec.csv"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    values = read_recording(tmp_path / "rec.csv").values
    assert not np.any(np.all(values == 0, axis=1))
    expected = np.array(first) * [1, 1, 1, np.pi / 180, np.pi / 180, np.pi / 180]
    assert np.allclose(values[0], expected, atol=2 / 512), values[:2]
