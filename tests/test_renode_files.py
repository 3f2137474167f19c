"""What can be checked of renode/ without Renode: paths, the ELF it loads, the console UART."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RENODE = ROOT / "renode"


def test_resc_loads_the_elf_that_make_firmware_builds():
    resc = (RENODE / "fxclass.resc").read_text()
    elf = re.search(r"^\$elf \?= @(\S+)", resc, re.M).group(1)
    platform = re.search(r"^\$platform \?= @(\S+)", resc, re.M).group(1)
    out = subprocess.run(["make", "-C", str(ROOT), "firmware", "BOARD=nucleo_f446re"], check=True,
                         capture_output=True, text=True).stdout
    assert (ROOT / elf).is_file()
    assert (ROOT / platform).is_file()
    assert str(Path(elf).parent) == "firmware/build/nucleo_f446re" and "fxclass.elf" in out


def test_console_uart_matches_the_board_and_hal():
    resc = (RENODE / "fxclass.resc").read_text()
    assert "connector Connect sysbus.usart2 console" in resc
    assert 'emulation CreateServerSocketTerminal $port "console" false' in resc
    regs = (ROOT / "firmware" / "hal" / "stm32f4" / "stm32f4_regs.h").read_text()
    # Renode's stm32f4.repl places usart2 at 0x40004400 with its interrupt on NVIC line 38.
    assert re.search(r"#define USART2_BASE 0x40004400u", regs)
    assert re.search(r"#define USART2_IRQN 38u", regs)
    for board in ("nucleo_f446re", "nucleo_f411re", "netduinoplus2"):
        assert "console on USART2" in (ROOT / "firmware" / "boards" / f"{board}.c").read_text()


def test_repl_builds_on_renodes_cpu_file_and_clocks_at_the_boards_sysclk():
    repl = (RENODE / "nucleo_f446re.repl").read_text()
    assert re.search(r'^using "platforms/cpus/stm32f4.repl"$', repl, re.M)
    board = (ROOT / "firmware" / "boards" / "nucleo_f446re.c").read_text()
    sysclk_hz = re.search(r"\.sysclk_hz = (\d+)u", board).group(1)
    assert re.search(rf"^nvic:\n    systickFrequency: {sysclk_hz}$", repl, re.M)
    assert re.search(rf"^dwt: Miscellaneous\.DWT @ sysbus 0xE0001000\n    frequency: {sysclk_hz}$", repl, re.M)


def test_robot_resources_exist_for_both_backends_and_name_existing_files():
    suite = (RENODE / "fxclass.robot").read_text()
    assert "Resource          ${CURDIR}/keywords_${BACKEND}.resource" in suite
    for backend in ("qemu", "renode"):
        text = (RENODE / f"keywords_{backend}.resource").read_text()
        for lib in re.findall(r"^Library\s+(\S+\.py)", text, re.M):
            assert (RENODE / lib).is_file(), lib
        keywords = set(re.findall(r"^(\S.*)$", text.split("*** Keywords ***")[1], re.M))
        assert {"Start Firmware", "Stop Firmware", "Firmware Should Announce Itself"} <= keywords
    renode = (RENODE / "keywords_renode.resource").read_text()
    for path in re.findall(r"@\$\{CURDIR\}/(\S+?)(?:;|\s|$)", renode):
        target = (RENODE / path).resolve()
        assert target.is_file() or target.suffix == ".elf", path


def test_sim_renode_runs_a_script_that_sets_the_resc_variables(firmware_elf):
    from fxclass.sim import Emulator

    emu = Emulator(elf=firmware_elf, renode=True, port=4567)
    cmd = emu.command()
    try:
        assert cmd[:3] == ["renode", "--disable-xwt", "--console"] and len(cmd) == 4
        script = Path(cmd[3]).read_text().splitlines()
        assert script == [f"$elf=@{firmware_elf.resolve()}", "$port=4567", f"include @{RENODE / 'fxclass.resc'}",
                          "start"]
        # fxclass.resc must take both from the caller: `?=` keeps a value set before it runs.
        resc = (RENODE / "fxclass.resc").read_text()
        assert re.search(r"^\$elf \?= @", resc, re.M) and re.search(r"^\$port \?= \d+$", resc, re.M)
    finally:
        emu.stop()
    assert not Path(cmd[3]).exists(), "stop() removes the script"


def test_sim_renode_without_renode_names_what_to_install(firmware_elf, monkeypatch):
    from fxclass.errors import ToolError
    from fxclass.sim import Emulator

    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ToolError, match="Renode is not installed"):
        Emulator(elf=firmware_elf, renode=True).start()


def test_the_suite_attaches_its_tester_before_the_firmware_runs():
    """The boot line is sent once: the resc must not start the machine, and the Renode keywords must
    create the terminal tester before Start Emulation and wait for the line after it."""
    resc = (RENODE / "fxclass.resc").read_text()
    assert not re.search(r"^\s*(start|s)\s*$", resc, re.M)
    steps = [line.strip().split("    ")[0] for line in (RENODE / "keywords_renode.resource").read_text().splitlines()]
    assert steps.index("Create Terminal Tester") < steps.index("Start Emulation") < steps.index("Wait For Line On Uart")
