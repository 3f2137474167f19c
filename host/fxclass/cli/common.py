"""Options and helpers shared by the commands that talk to a device."""
from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass

import click

from ..device import runner
from ..device.link import DEFAULT_BAUD, ENV_BAUD, ENV_PORT, Device
from ..emu.emulator import Emulator
from ..emu.renode import ENV_RENODE, RENODE_BOARDS
from ..farm.lease import LeasedBoard, in_jumpstarter_shell
from ..model import fxm
from .params import FiniteFloatRange


@dataclass
class Target:
    """Where a command's device is: a port, or an emulator started for the command."""

    port: str | None
    baud: int
    timeout: float | None  # None: the default of the backend (BOARD_TIMEOUT_S, Emulator.reply_timeout)
    sim: bool = False
    renode: bool = False
    native: bool = False
    board: str | None = None
    imu_recording: str | None = None
    renode_path: str | None = None
    emulator: Emulator | LeasedBoard | None = None  # set while open_device runs one or holds a lease
    lease: str | None = None  # a Jumpstarter label selector

    def describe(self) -> str:
        if self.lease:
            return f"the board leased for {self.lease}"
        return "Renode" if self.renode else "the native port" if self.native else "QEMU" if self.sim else self.port

    @property
    def leased(self) -> bool:
        """A lease: --lease, or the Jumpstarter shell's when neither a port nor an emulator is given."""
        return self.lease is not None or (not self.sim and not self.port and in_jumpstarter_shell())


MIN_BAUD, MAX_BAUD = 300, 10_000_000
BOARD_TIMEOUT_S = 3.0  # a reply from a board, by default
BOOT_TIMEOUT_S = 10.0  # the firmware's announcement or first INFO reply, at least


def _baud_from_env() -> int:
    value = os.environ.get(ENV_BAUD, str(DEFAULT_BAUD))
    try:
        baud = int(value)
    except ValueError:
        baud = 0
    if not MIN_BAUD <= baud <= MAX_BAUD:
        raise click.BadParameter(f"${ENV_BAUD}={value!r} is not a baud rate: give a number from {MIN_BAUD} to "
                                 f"{MAX_BAUD}, such as 115200", param_hint="--baud")
    return baud


def device_options(func):
    """--port, --baud, --timeout and the emulators (--sim, --renode, --native, --board,
    --imu-recording), handed to the command as one `target` (FXCLASS_PORT and FXCLASS_BAUD are the
    defaults of --port and --baud)."""

    @functools.wraps(func)
    def wrapper(*args, port, baud, timeout, sim, renode, native, board, imu_recording, renode_path, lease, **kwargs):
        if lease is not None and (sim or renode or native or board or imu_recording):
            raise click.UsageError("--lease takes a board of a farm: leave out --sim, --renode, --native, --board "
                                   "and --imu-recording")
        if renode and native:
            raise click.UsageError("--renode and --native exclude each other")
        if imu_recording and not (renode or native):
            raise click.UsageError("--imu-recording plays a recording to an emulated sensor: add --renode or --native")
        if renode_path and not renode:
            raise click.UsageError("--renode-path says where Renode is: add --renode")
        if board and not renode:
            raise click.UsageError("--board chooses the Renode platform: add --renode (QEMU runs netduinoplus2)")
        sim = sim or renode or native
        target = Target(None if sim else port, baud if baud is not None else _baud_from_env(), timeout, sim, renode,
                        native, board or ("nucleo_f446re" if renode else None), imu_recording, renode_path,
                        lease=lease)
        if lease is not None:
            target.port = None  # the lease's console, whatever $FXCLASS_PORT says
        return func(*args, target=target, **kwargs)

    opts = [
        click.option("--port", default=lambda: os.environ.get(ENV_PORT),
                     help=f"Device path, socket://HOST:PORT or loop:// (default: ${ENV_PORT}, else the single "
                          "ST-LINK port)."),
        click.option("--baud", type=click.IntRange(MIN_BAUD, MAX_BAUD), default=None,
                     show_default=f"${ENV_BAUD} or {DEFAULT_BAUD}", help="Baud rate of a serial port."),
        click.option("--timeout", default=None, type=FiniteFloatRange(0.1, 3600),
                     show_default="3 for a board; native 3, QEMU 5, Renode 10, of the emulator's running time",
                     help="Seconds to wait for each reply (an emulator's: they stretch while a busy machine "
                          "starves it; a reply on its way is waited for, an emulator that exits fails at once)."),
        click.option("--sim", is_flag=True, help="Boot the firmware in an emulator for this command (QEMU unless "
                                                  "--renode or --native)."),
        click.option("--renode", is_flag=True, help="Boot it in Renode: a Nucleo with the X-NUCLEO-IKS01A3's "
                                                    "LSM6DSO."),
        click.option("--renode-path", type=click.Path(), help=f"With --renode: where Renode is, its folder or its "
                     f"`renode` launcher (default: ${ENV_RENODE}, else PATH, else ../renode or ../shared/renode "
                     "beside the checkout)."),
        click.option("--native", is_flag=True, help="Run it natively (`make native`), with a simulated LSM6DSO "
                                                    "when --imu-recording is given."),
        click.option("--board", type=click.Choice(RENODE_BOARDS), help="With --renode: the Nucleo (default "
                                                                        "nucleo_f446re)."),
        click.option("--imu-recording", type=click.Path(exists=True, dir_okay=False),
                     help="With --renode or --native: a CSV recording (accelerometer then gyroscope, units "
                          "declared) that the emulated sensor plays."),
        click.option("--lease", metavar="SELECTOR", help="A board of a Jumpstarter farm whose labels match, such as "
                                                         "board=nucleo_f411re (README: Board farm)."),
    ]
    for opt in reversed(opts):
        wrapper = opt(wrapper)
    return wrapper


@contextlib.contextmanager
def open_device(target: Target, elf: str | None = None):
    """A connected Device, on an emulator started for the occasion when the target is one."""
    with contextlib.ExitStack() as stack:
        timeout = target.timeout or BOARD_TIMEOUT_S
        if target.leased:
            board = stack.enter_context(LeasedBoard(target.lease))
            target.emulator = board
            timeout = target.timeout or board.reply_timeout or timeout  # a Renode board's in its own time
            dev = stack.enter_context(board.open_device(target.baud, timeout, max(30.0, 2 * timeout)))
            yield dev
            return
        port, clock = target.port, None
        if target.sim:
            board = target.board or "netduinoplus2"
            emu = stack.enter_context(Emulator(board, elf, target.renode, native=target.native,
                                               renode_path=target.renode_path, imu_recording=target.imu_recording))
            target.emulator = emu
            port, clock, timeout = emu.url, emu.clock, target.timeout or emu.reply_timeout
        boot = max(BOOT_TIMEOUT_S, 2 * timeout)
        dev = stack.enter_context(Device.open(port, target.baud, timeout=timeout, boot_timeout=boot, clock=clock))
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
        event = f"  -> decision: {rec.decision}" if rec.event else ""
        return (f"{rec.index:>5} {rec.predicted:<{self.pred_width}} {probs} {rec.cycles:>8} "
                f"{rec.latency_ms:>6.1f}{mark}{event}")


def ensure_model(dev: Device, target: Target, path: str, model: fxm.Model, blob: bytes) -> None:
    """The device runs model: an emulator started for the command gets it uploaded (runner.ensure_model)."""
    if runner.ensure_model(dev, model, blob, path, may_upload=target.sim):
        click.echo(f"uploaded {path} (model 0x{model.model_id:08x}) to {target.describe()}")
