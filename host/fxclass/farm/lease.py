"""A board leased from a Jumpstarter farm: its console as a local socket, its flasher, its emulated sensor.

Where the lease comes from, in this order:
- inside a Jumpstarter shell (`jmp shell`, $JUMPSTARTER_HOST set) without a selector: that shell's;
- a selector with $FXCLASS_FARM set: a board of the local farm it names (local.py, no controller);
- a selector otherwise: Jumpstarter's controller, through the client config `jmp config client use`
  chose (or $JMP_CLIENT_CONFIG), which matches the selector against its exporters' labels.

Every exporter lays the board out the same way (farm/exporters/*.yaml): a driver `board` with the
children `console` (a byte stream), `flasher` and, in Renode, `power` and the monitor. The console
reaches fxclass through Jumpstarter's TCP port forward, so that the device client opens it as
`socket://127.0.0.1:PORT` like any other link; an error on that link while the exporter no longer
answers is the lease lost (LeaseError), which the commands report after the results they kept."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ..device.link import Device, Link
from ..emu.emulator import REPLY_TIMEOUT_S
from ..emu.process import EmulatorTimer
from ..emu.renode import RENODE_BOARDS
from ..errors import LeaseError, LinkError
from ..firmware.build import image_dir
from . import local

JUMPSTARTER_HOST = "JUMPSTARTER_HOST"
JMP_EXPORTER_LABELS = "JMP_EXPORTER_LABELS"
INSTALL_HINT = ("Jumpstarter is not installed: `pip install 'fxclass[farm]'` (in this checkout: "
                "`.venv/bin/pip install -e 'host[farm]'`), README: Board farm")
WAIT_FOR_BOARD_S = 600.0  # how long a local lease waits while every matching board is leased
STATUS_TIMEOUT_S = 5.0  # an exporter's status, and Renode's CPU time from it
IMU_VARIABLE = "$imu_recording"  # the monitor variable a Renode exporter sets to its recording's RESD


def jumpstarter_installed() -> bool:
    try:
        import jumpstarter.client  # noqa: F401
    except ImportError:
        return False
    return True


def in_jumpstarter_shell() -> bool:
    return bool(os.environ.get(JUMPSTARTER_HOST))


def labels_from_environment() -> dict[str, str]:
    """The leased exporter's labels as `jmp shell` passes them ($JMP_EXPORTER_LABELS, k=v,k=v)."""
    pairs = (p.split("=", 1) for p in os.environ.get(JMP_EXPORTER_LABELS, "").split(",") if "=" in p)
    return {k: v for k, v in pairs}


class LeasedLink(Link):
    """A Link over a leased board's console: a failure while the exporter is gone is the lease lost."""

    def __init__(self, url: str, baud: int, board: "LeasedBoard"):
        super().__init__(url, baud)
        self.board = board

    def write(self, data: bytes) -> None:
        try:
            super().write(data)
        except LinkError as exc:
            raise self.board.lost(exc) from exc

    def poll(self) -> None:
        try:
            super().poll()
        except LinkError as exc:
            raise self.board.lost(exc) from exc


class ExporterClock:
    """A leased Renode board's own time, as Device measures reply time-outs in (link.WallClock,
    process.EmulatorClock): the wall clock slowed by the share of the CPU its Renode wanted and did
    not get, which the exporter reports (renode_driver.FxclassRenode.cpu_ns), on this machine or
    another. Two Renodes starting at once on a loaded exporter answer late, not never. Whether the
    exporter is gone is the lease's question (LeasedBoard.lost), not the clock's."""

    def __init__(self, board: "LeasedBoard"):
        self.board = board

    def dead(self) -> str | None:
        return None

    def timer(self) -> "ExporterTimer":
        return ExporterTimer(self.board)


class ExporterTimer(EmulatorTimer):
    def __init__(self, board: "LeasedBoard"):
        self.board = board
        super().__init__(group=None)

    def _schedstat(self) -> tuple[int, int]:
        """Renode's CPU time run and waited for; none while the exporter does not say (the wall
        clock then), so that a lost exporter ends a wait on time."""
        try:
            ran, waited = self.board.call_within("cpu_ns", STATUS_TIMEOUT_S)
            return int(ran), int(waited)
        except Exception:
            return 0, 0


class LeasedDevice(Device):
    """The protocol over a leased board: no reply, or no sensor frame, while the exporter is gone is
    the lease lost (the port forward may hold the local socket open after the exporter died)."""

    def __init__(self, link: LeasedLink, timeout: float, clock=None):
        super().__init__(link, timeout, clock)
        self.board = link.board

    def wait_reply(self, seq: int, expect: int, timeout: float | None = None):
        try:
            return super().wait_reply(seq, expect, timeout)
        except LinkError as exc:
            raise self.board.lost(exc) from exc

    def sensor_frames(self, timeout: float | None = None):
        yield from super().sensor_frames(timeout)
        if not self.board.alive():
            raise self.board.lost(LinkError(f"nothing from {self.link.url} for {timeout:.0f} s"))


def client_config():
    """The Jumpstarter client config that asks the controller: from the environment ($JMP_ENDPOINT,
    $JMP_TOKEN...), else $JMP_CLIENT_CONFIG's alias, else the one `jmp config client use` chose."""
    from jumpstarter.config.client import ClientConfigV1Alpha1
    from jumpstarter.config.user import UserConfigV1Alpha1

    config = ClientConfigV1Alpha1.try_from_env()
    if config is not None:
        return config
    try:
        alias = os.environ.get("JMP_CLIENT_CONFIG")
        if alias:
            return ClientConfigV1Alpha1.load(alias)
        current = UserConfigV1Alpha1.load_or_create().config.current_client
        if current is None:
            raise FileNotFoundError("no client config chosen")
        return current
    except Exception as exc:
        raise LeaseError(f"no Jumpstarter client config to ask a controller for a lease ({exc}): log in with "
                         f"`jmp login`, or set ${local.ENV_FARM} to a local farm (`make farm-local`); README: Board "
                         "farm") from None


def matching_exporters(selector: str) -> list[tuple[str, dict[str, str]]]:
    """(name, labels) of each exporter of the farm whose labels match selector."""
    if not jumpstarter_installed():
        raise LeaseError(INSTALL_HINT)
    if os.environ.get(local.ENV_FARM):
        return [(e.name, e.labels) for e in local.read_inventory(os.environ[local.ENV_FARM])
                if local.labels_match(e.labels, selector)]
    config = client_config()
    try:
        found = config.list_exporters(filter=selector)
    except Exception as exc:
        raise LeaseError(f"the controller did not list the exporters matching {selector!r}: {exc}") from exc
    return [(e.name, dict(e.labels)) for e in found.exporters]


class LeasedBoard:
    """A context manager: the lease taken, the board powered (Renode) and its console forwarded.

    exporter_name narrows the selector to one exporter (the farm tests lease each board in turn)."""

    def __init__(self, selector: str | None = None, wait_s: float = WAIT_FOR_BOARD_S, exporter_name: str | None = None):
        self.selector = selector
        self.exporter_name = exporter_name
        self.wait_s = wait_s
        self.name = "the leased board"
        self.labels: dict[str, str] = {}
        self.url: str | None = None
        self._client = None
        self._stack = contextlib.ExitStack()

    # -- taking the lease -------------------------------------------------------------------------

    def __enter__(self) -> "LeasedBoard":
        if not jumpstarter_installed():
            raise LeaseError(INSTALL_HINT)
        try:
            self._lease()
            self._start()
        except BaseException as exc:
            self._stack.close()
            if isinstance(exc, LeaseError) or not isinstance(exc, Exception):
                raise
            raise LeaseError(f"could not lease {self._wanted()}: {type(exc).__name__}: {exc}") from exc
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def _wanted(self) -> str:
        return f"a board matching {self.selector!r}" if self.selector else "the Jumpstarter shell's board"

    def _lease(self) -> None:
        if self.selector is None:
            if not in_jumpstarter_shell():
                raise LeaseError("no lease: give --lease SELECTOR (such as board=nucleo_f446re), or run inside "
                                 "`jmp shell`")
            from jumpstarter.common.utils import env

            self._client = self._stack.enter_context(env())
            self.labels = labels_from_environment()
            self.name = os.environ.get("JMP_EXPORTER") or "the Jumpstarter shell's board"
        elif os.environ.get(local.ENV_FARM):
            self._lease_local(Path(os.environ[local.ENV_FARM]))
        else:
            self._lease_from_controller()

    def _lease_local(self, inventory: Path) -> None:
        from anyio.from_thread import start_blocking_portal
        from jumpstarter.client import client_from_path

        held = local.claim(inventory, self.selector, self.wait_s, self.exporter_name)
        self._stack.callback(held.release)
        self.name, self.labels = held.exporter.name, held.exporter.labels
        portal = self._stack.enter_context(start_blocking_portal())
        inner = contextlib.ExitStack()
        self._stack.enter_context(inner)
        self._client = self._stack.enter_context(portal.wrap_async_context_manager(
            client_from_path(held.exporter.address, portal, inner, allow=[], unsafe=True, insecure=True)))

    def _lease_from_controller(self) -> None:
        lease = self._stack.enter_context(client_config().lease(selector=self.selector,
                                                                exporter_name=self.exporter_name))
        self.name = lease.exporter_name
        self.labels = dict(lease.exporter_labels)
        self._client = self._stack.enter_context(lease.connect())

    # -- the board ----------------------------------------------------------------------------------

    @property
    def board_client(self):
        try:
            return self._client.children["board"]
        except (AttributeError, KeyError):
            raise LeaseError(f"{self.name} exports no driver named `board`: fxclass leases exporters laid out "
                             "as farm/exporters/*.yaml are") from None

    @property
    def emulated(self) -> bool:
        """Renode's driver answers monitor commands; a real board's exporter has no monitor."""
        return hasattr(self.board_client, "monitor_cmd")

    @property
    def board(self) -> str:
        """The board's name, for its image: the `board` label, else the Renode platform's name."""
        if "board" in self.labels:
            return self.labels["board"]
        if self.emulated:
            stem = Path(self.board_client.platform).stem
            if stem in RENODE_BOARDS:
                return stem
        raise LeaseError(f"{self.name} has no `board` label: label its exporter (farm/exporters.yaml)")

    def _running(self) -> bool:
        try:
            self.board_client.monitor_cmd("version")
            return True
        except Exception:  # the driver says Renode is not running
            return False

    def _start(self) -> None:
        """Power an emulated board up with the board's image when it is off, and forward the console."""
        from jumpstarter_driver_network.adapters import TcpPortforwardAdapter

        if self.emulated and not self._running():
            self.flash()
            self.board_client.power.on()
        host, port = self._stack.enter_context(TcpPortforwardAdapter(client=self.board_client.console))
        self.url = f"socket://{host}:{port}"

    def flash(self, image: Path | None = None) -> str:
        """Write the board's image through the lease's flasher: the ELF into Renode (reset if it runs),
        the .bin onto a real board's ST-LINK drive. Returns what was flashed."""
        image = image or image_dir(self.board)
        name = "fxclass.elf" if self.emulated else "fxclass.bin"
        if not (image / name).is_file():
            raise LeaseError(f"no {name} in {image}: run `make firmware BOARD={self.board}`")
        try:
            if self.emulated:
                self.board_client.flasher.flash(str(image / name))
            else:
                self.board_client.flasher.flash(str(image / name), target=name)
        except Exception as exc:
            if not self.alive():
                raise LeaseError(f"the lease of {self.name} was lost while flashing: {exc}") from exc
            raise LeaseError(f"the flasher of {self.name} failed: {exc}") from exc
        return str(image / name)

    def lost(self, exc: LinkError) -> LinkError:
        """exc as it stands while the exporter answers, else the lease lost."""
        if isinstance(exc, LeaseError) or self.alive():
            return exc
        return LeaseError(f"the lease of {self.name} was lost: its exporter no longer answers ({exc})")

    def alive(self) -> bool:
        """Whether the exporter still answers (its status, within a few seconds)."""
        import anyio

        async def status(client):
            with anyio.fail_after(STATUS_TIMEOUT_S):
                return await client.get_status_async()

        try:
            self._client.portal.call(status, self._client)
            return True
        except Exception:
            return False

    def call_within(self, method: str, timeout_s: float, *args):
        """The board driver's exported method, its answer awaited timeout_s at most (a gRPC call to
        an exporter that died may otherwise wait for the connection's own time-outs)."""
        import anyio

        async def call(client):
            with anyio.fail_after(timeout_s):
                return await client.call_async(method, *args)

        return self._client.portal.call(call, self.board_client)

    @property
    def reply_timeout(self) -> float | None:
        """The default time a reply may take: a Renode board's as for a local Renode, in its own time;
        None for a real board (the CLI's default for boards)."""
        return REPLY_TIMEOUT_S["renode"] if self.emulated else None

    @property
    def clock(self):
        """A Renode board's own time (ExporterClock); a real board's is the wall clock (Device's default)."""
        return ExporterClock(self) if self.emulated else None

    def play_imu(self) -> None:
        """Renode: start the exporter's IMU recording ($imu_recording, farm/exporters/renode-*.yaml)
        now, both streams at one virtual time; a real board's sensor needs nothing."""
        if not self.emulated:
            return
        from ..emu.renode import play_commands

        try:
            self.board_client.monitor_cmd(IMU_VARIABLE)
        except Exception:
            return  # this exporter plays no recording: the part reads its default values
        for command in play_commands(IMU_VARIABLE):
            self.board_client.monitor_cmd(command)

    def open_device(self, baud: int, timeout: float, boot_timeout: float) -> Device:
        dev = LeasedDevice(LeasedLink(self.url, baud, self), timeout, self.clock)
        try:
            dev.connect(boot_timeout)
        except Exception:
            dev.close()
            raise
        return dev
