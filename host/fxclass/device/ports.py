"""Serial port discovery: ST-LINK virtual COM ports are recognised by USB vendor and product id."""
from __future__ import annotations

from dataclasses import dataclass

from serial.tools import list_ports

from ..errors import LinkError

ST_VID = 0x0483
# ST-LINK/V2-1 (Nucleo-64 boards such as NUCLEO-F446RE and NUCLEO-F411RE), V3 variants.
STLINK_PIDS = {0x374B: "ST-LINK/V2-1", 0x3752: "ST-LINK/V2-1", 0x374E: "STLINK-V3", 0x374F: "STLINK-V3",
               0x3753: "STLINK-V3", 0x3754: "STLINK-V3"}


@dataclass
class PortInfo:
    device: str
    description: str
    vid: int | None
    pid: int | None
    serial_number: str | None

    @property
    def stlink(self) -> str | None:
        return STLINK_PIDS.get(self.pid) if self.vid == ST_VID else None


def list_serial_ports() -> list[PortInfo]:
    return [PortInfo(p.device, p.description, p.vid, p.pid, p.serial_number) for p in list_ports.comports()]


def default_port(ports: list[PortInfo] | None = None) -> str:
    """The single ST-LINK port, or a clear error saying what to pass instead."""
    ports = list_serial_ports() if ports is None else ports
    stlinks = [p for p in ports if p.stlink]
    if len(stlinks) == 1:
        return stlinks[0].device
    if not stlinks:
        raise LinkError("no ST-LINK serial port found: plug the Nucleo's ST-LINK USB (CN1) in, or pass "
                        "--port (a device path, or socket://127.0.0.1:PORT from `fxclass sim`)")
    names = ", ".join(p.device for p in stlinks)
    raise LinkError(f"several ST-LINK ports ({names}): choose one with --port or FXCLASS_PORT")
