"""The exporter's Renode driver for fxclass boards: jumpstarter-driver-renode, fitted to Renode 1.15.

Imported by a Jumpstarter exporter only (farm/exporters/renode-*.yaml name it as their driver type),
never by the fxclass library. Three things differ from the driver it extends:

- Renode 1.15's telnet monitor opens with four option requests and takes the client's first bytes
  as their answers, writing no prompt until a line follows them: the monitor here answers them (and
  sends that line), else the driver's first command is cut and it waits for a prompt that never
  comes, and `power on` fails.
- The console is the project's block terminal (renode/BlockSocketTerminal.cs) on a local TCP port,
  served by Jumpstarter's TCP network driver, rather than Renode's UART pty terminal: 1.15's own
  terminals hand the USART one byte per synchronised event, 0.2-0.45 s of host time for an INFER
  where the block terminal takes 5-20 ms (README: Renode).
- Renode runs in a process group of its own with a watchdog (fxclass.emu.process.ProcessGroup, as
  fxclass's own emulators do), ended whole when the board is powered off, when the driver closes
  (a lease's session ends, the exporter stops) and when the exporter dies however it dies. The stock
  driver signals the `renode` launcher script only, which leaves mono running Renode.exe with
  parent 1; and the CPU the group got and waited for is exported (cpu_ns), so that a client
  measures its reply time-outs in Renode's own time, as for a local emulator."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from subprocess import DEVNULL, STDOUT

from anyio import connect_tcp, fail_after, move_on_after, sleep, to_thread
from jumpstarter_driver_network.driver import TcpNetwork
from jumpstarter_driver_renode.driver import Renode, RenodeFlasher, RenodePower, _find_free_port, _find_renode
from jumpstarter_driver_renode.monitor import RenodeMonitor

from jumpstarter.driver import export

from ..emu.process import EmulatorTimer, ProcessGroup, cpu_ns

# In Renode's own time (process.EmulatorTimer). Mono's start and the first C# compilation take
# seconds on a quiet host, ten times that on a loaded one.
MONITOR_CONNECT_TIMEOUT_S = 120
COMMAND_TIMEOUT_S = 30  # the stock monitor's, per command
LOG_TAIL_CHARS = 600  # of Renode's output, in the error when it does not start
STOP_QUIT_TIMEOUT_S = 5  # Renode's `quit` answered, else its group is ended without it
BLOCK_TERMINAL = Path(__file__).resolve().parents[3] / "renode" / "BlockSocketTerminal.cs"


# IAC WILL BINARY, IAC DO ECHO, IAC DO SUPPRESS-GO-AHEAD, IAC DONT LINEMODE: the answers to what
# Renode's telnet server asks on connection (IAC DO BINARY, WILL ECHO, WILL SGA, WONT LINEMODE).
TELNET_ANSWERS = bytes([255, 251, 0, 255, 253, 1, 255, 253, 3, 255, 254, 34])


class PromptingMonitor(RenodeMonitor):
    """Renode's telnet monitor, its option requests answered and its prompt asked for on connection,
    each wait measured in Renode's own time (process.EmulatorTimer) as fxclass's emulators' are: the
    stock monitor's 10 s to connect and 30 s per command, on the wall clock, end while two Renodes
    starting at once on a loaded host are still loading their platforms."""

    def __init__(self, group: ProcessGroup):
        super().__init__()
        self.group = group
        self._own_timeout = float(COMMAND_TIMEOUT_S)

    async def connect(self, host: str, port: int, timeout: float = MONITOR_CONNECT_TIMEOUT_S) -> None:
        starting = EmulatorTimer(self.group)
        while True:
            try:
                self._stream = await connect_tcp(host, port)
                break
            except OSError:
                if self.group.poll() is not None:
                    raise ConnectionError(f"Renode exited with status {self.group.poll()} before its monitor "
                                          f"listened on port {port}") from None
                if starting.elapsed() > timeout:
                    raise TimeoutError(f"Renode's monitor did not listen on port {port} within {timeout:.0f} s "
                                       "of its running time") from None
                await sleep(0.5)
        self._buffer = b""
        await self._stream.send(TELNET_ANSWERS + b"\n")
        self._own_timeout = timeout
        await self._read_until_prompt()

    async def execute(self, command: str, timeout: float = COMMAND_TIMEOUT_S) -> str:
        """The stock command, its time-out in Renode's own time (the wall clock's bound is the most a
        starved Renode may take for it)."""
        self._own_timeout = timeout
        return await super().execute(command, timeout * EmulatorTimer.MAX_SLOWDOWN)

    async def _read_until_prompt(self) -> str:
        waiting = EmulatorTimer(self.group)
        while True:
            with move_on_after(EmulatorTimer.SAMPLE_S):
                return await super()._read_until_prompt()  # resumable: what it read stays in _buffer
            if waiting.elapsed() > self._own_timeout:
                raise TimeoutError(f"no prompt from Renode's monitor within {self._own_timeout:.0f} s of its "
                                   "running time")


@dataclass(kw_only=True)
class FxclassRenodePower(RenodePower):
    """RenodePower with Renode in a process group of its own, the prompting monitor and the block
    terminal on the console's port."""

    _group: ProcessGroup | None = field(init=False, default=None, repr=False)

    @export
    async def on(self) -> None:
        if self._process is not None:
            self.logger.warning("already powered on, ignoring request")
            return
        port = self.parent.monitor_port or _find_free_port()
        self.parent._active_monitor_port = port
        cmdline = [_find_renode(), "--disable-xwt", "--plain", "--port", str(port)]
        self.logger.info("starting Renode: %s", " ".join(cmdline))
        # Started from the exporter's event loop thread, which lives as long as the exporter: the
        # leader's parent-death signal follows that thread (the watchdog follows the process).
        # ProcessGroup starts it without a fork of the exporter, whose gRPC threads abort in gRPC's
        # fork handler now and then.
        # Its output goes to a file, read when it fails to start: a pipe nobody reads would stall it.
        log = Path(self.parent._tmp_dir.name) / "renode.log"
        with open(log, "wb") as out:
            self._group = ProcessGroup(cmdline, stdin=DEVNULL, stdout=out, stderr=STDOUT)
        self._process = self._group.proc
        self._monitor = PromptingMonitor(self._group)
        try:
            await self._monitor.connect("127.0.0.1", port)
            await self._configure_simulation()
            await self._monitor.execute("start")
        except BaseException as exc:
            await self.off()
            if isinstance(exc, (TimeoutError, ConnectionError)):  # the client's message says what Renode said
                printed = log.read_text(errors="replace").strip()[-LOG_TAIL_CHARS:]
                raise type(exc)(f"{exc}; Renode printed: {printed or 'nothing'}") from exc
            raise

    @export
    async def off(self) -> None:
        """Quit Renode through its monitor, then end its process group whole."""
        if self._group is None:
            self.logger.warning("already powered off, ignoring request")
            return
        if self._monitor is not None:
            try:
                with fail_after(STOP_QUIT_TIMEOUT_S):
                    await self._monitor.execute("quit")
            except Exception:
                pass  # the group is ended below either way
            await self._monitor.disconnect()
            self._monitor = None
        group, self._group, self._process = self._group, None, None
        await to_thread.run_sync(group.stop)

    def close(self) -> None:
        """The driver's teardown (a lease's session ended, the exporter stopping): Renode's group ended."""
        if self._monitor is not None:
            self._monitor.close_sync()
            self._monitor = None
        if self._group is not None:
            group, self._group, self._process = self._group, None, None
            group.stop()

    def cpu_ns(self) -> list[int]:
        """[run, waited for a CPU] in ns, summed over Renode's threads; [0, 0] while it is off."""
        return list(cpu_ns(self._group.pids())) if self._group is not None else [0, 0]

    async def _configure_simulation(self) -> None:
        parent = self.parent
        self._monitor.add_expected_prompt(parent.machine_name)
        await self._monitor.execute(f'mach create "{parent.machine_name}"')
        await self._monitor.execute(f"machine LoadPlatformDescription @{parent.platform}")
        await self._monitor.execute(f"include @{BLOCK_TERMINAL}", timeout=MONITOR_CONNECT_TIMEOUT_S)
        await self._monitor.execute(f'emulation CreateBlockSocketTerminal {parent.console_port} "console"')
        await self._monitor.execute(f"connector Connect {parent.uart} console")
        for command in parent.extra_commands:
            await self._monitor.execute(command, timeout=MONITOR_CONNECT_TIMEOUT_S)
        if parent._firmware_path:
            await self._monitor.execute(f'{parent._load_command or "sysbus LoadELF"} @{parent._firmware_path}')


@dataclass(kw_only=True)
class FxclassRenode(Renode):
    """A Nucleo in Renode: power (the Renode process), flasher (loads the image) and console (TCP)."""

    console_port: int = 0  # 0: a free port, chosen when the exporter starts

    def __post_init__(self):
        super().__post_init__()
        self.console_port = self.console_port or _find_free_port()
        self.children["power"] = FxclassRenodePower(parent=self)
        self.children["flasher"] = RenodeFlasher(parent=self)
        self.children["console"] = TcpNetwork(host="127.0.0.1", port=self.console_port)

    @export
    def cpu_ns(self) -> list[int]:
        """The CPU time Renode ran and waited for, in ns (process.EmulatorTimer's measure): a client
        on the same or another machine measures its reply time-outs in Renode's own time with it."""
        return self.children["power"].cpu_ns()

    @classmethod
    def client(cls) -> str:
        return "jumpstarter_driver_renode.client.RenodeClient"
