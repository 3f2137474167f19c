"""Options and helpers shared by the commands that talk to a device."""
from __future__ import annotations

import contextlib
import os

import click

from ..link import DEFAULT_BAUD, ENV_BAUD, ENV_PORT, Device
from ..sim import Emulator


def device_options(func):
    """--port, --baud, --sim and --timeout, with FXCLASS_PORT and FXCLASS_BAUD as defaults."""
    func = click.option("--timeout", default=3.0, show_default=True, help="Seconds to wait for each reply.")(func)
    func = click.option("--sim", is_flag=True, help="Boot the firmware in QEMU for this command and use it.")(func)
    func = click.option("--baud", type=int, default=lambda: int(os.environ.get(ENV_BAUD, DEFAULT_BAUD)),
                        show_default=f"${ENV_BAUD} or {DEFAULT_BAUD}", help="Baud rate of a serial port.")(func)
    func = click.option("--port", "port", default=lambda: os.environ.get(ENV_PORT),
                        help=f"Device path, socket://HOST:PORT or loop:// (default: ${ENV_PORT}, else the "
                             "single ST-LINK port).")(func)
    return func


@contextlib.contextmanager
def open_device(port: str | None, baud: int, sim: bool, timeout: float = 3.0, elf: str | None = None):
    """A connected Device, on an emulator started for the occasion when sim is set."""
    with contextlib.ExitStack() as stack:
        if sim:
            emu = stack.enter_context(Emulator(elf=elf))
            port = emu.url
        dev = stack.enter_context(Device.open(port, baud, timeout=timeout, boot_timeout=max(2.0, 2 * timeout)))
        yield dev


class ResultTable:
    """One line per result, a column per class, under a header printed once."""

    def __init__(self, names):
        self.names = list(names)
        self.widths = [max(len(n), 5) for n in self.names]
        self.pred_width = max(9, *(len(n) for n in self.names))

    def header(self) -> str:
        classes = " ".join(f"{n:>{w}}" for n, w in zip(self.names, self.widths))
        return f"{'#':>5} {'predicted':<{self.pred_width}} {classes} {'cycles':>8} {'ms':>6}"

    def row(self, rec) -> str:
        probs = " ".join(f"{p:>{w}.3f}" for p, w in zip(rec.prob, self.widths))
        mark = "" if rec.label is None else ("  ok" if rec.label == rec.predicted else f"  (true {rec.label})")
        return (f"{rec.index:>5} {rec.predicted:<{self.pred_width}} {probs} {rec.cycles:>8} "
                f"{rec.latency_ms:>6.1f}{mark}")
