"""QEMU: the netduinoplus2 image on its emulated STM32F405, the console on QEMU's second serial port."""
from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import ToolError

QEMU_MACHINES = {"netduinoplus2": "netduinoplus2"}


def command(board: str, elf: Path, port: int) -> list[str]:
    """The QEMU command that boots board's image, or a ToolError that says what is missing.

    USART2 is QEMU's second -serial; the first (USART1) is discarded. With -icount shift=3 each
    instruction takes 8 ns of virtual time, so SysTick-derived cycle counts repeat exactly. nodelay
    sends each reply as the firmware writes it instead of waiting for the host's acknowledgement."""
    if board not in QEMU_MACHINES:
        raise ToolError(f"QEMU emulates only {sorted(QEMU_MACHINES)}; build with BOARD=netduinoplus2 "
                        f"(board {board!r} runs on hardware or in Renode: --renode)")
    if shutil.which("qemu-system-arm") is None:
        raise ToolError("qemu-system-arm not found: install it with `sudo apt-get install qemu-system-arm` "
                        "(or run `make setup`)")
    return ["qemu-system-arm", "-M", QEMU_MACHINES[board], "-display", "none", "-monitor", "none",
            "-serial", "null", "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on",
            "-icount", "shift=3", "-kernel", str(elf)]
