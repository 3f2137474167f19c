"""Robot Framework keywords that boot the netduinoplus2 firmware image in QEMU (the QEMU back end
of keywords_qemu.resource): the same suites that renode-test runs, without Renode."""
from __future__ import annotations

from robot.api.deco import keyword, library

from fxclass.emu.emulator import Emulator


@library(scope="SUITE")
class QemuFirmware:
    def __init__(self):
        self.emu: Emulator | None = None

    @keyword("Boot Firmware In QEMU")
    def boot(self, elf: str = "firmware/build/netduinoplus2/fxclass.elf") -> str:
        self.emu = Emulator(elf=elf).start()
        return self.emu.url

    @keyword("Stop QEMU")
    def stop(self):
        if self.emu is not None:
            self.emu.stop()
            self.emu = None
