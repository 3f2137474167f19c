"""Emulators: the firmware in QEMU, in Renode or natively, its console UART on a local TCP socket.

One process, started, watched and stopped the same way for each; qemu.py, renode.py and native.py
hold what differs."""
from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from ..data.recording import read_recording
from ..errors import ToolError
from ..firmware.build import firmware_elf
from . import native as native_port, qemu, renode as renode_backend
from .imu import write_native_imu, write_resd
from .process import EmulatorClock, ProcessGroup

# Start-up limits, in seconds of the emulator's own time (process.EmulatorTimer): what each takes on
# a quiet 2-core machine, about ten times over. Renode compiles C# and loads a platform first.
START_LIMIT_S = {"native": 10.0, "qemu": 20.0, "renode": 90.0}
# What a reply may take by default (--timeout), in the same time: a request a busy emulator takes
# longest over (an upload chunk, an INFER of 1.2 KB) is answered well within it.
REPLY_TIMEOUT_S = {"native": 3.0, "qemu": 5.0, "renode": 10.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_listening(port: int) -> bool:
    """Whether something listens on the local TCP port. QEMU with wait=on blocks until the first
    client connects, and probing with connect() would be that client: read the socket tables."""
    tables = [t for t in ("/proc/net/tcp", "/proc/net/tcp6") if os.path.exists(t)]
    if not tables:  # no /proc: assume it is up after a short wait
        time.sleep(0.5)
        return True
    for table in tables:
        with open(table) as f:
            rows = [line.split() for line in f.readlines()[1:]]
        if any(r[1].endswith(f":{port:04X}") and r[3] == "0A" for r in rows):
            return True
    return False


class Emulator:
    """A running emulator; use as a context manager, or start() and stop().

    QEMU boots the netduinoplus2 image; Renode a Nucleo image on renode/BOARD.repl (renode_path or
    $FXCLASS_RENODE says where Renode is when it is not on PATH); native runs `make native`'s program.
    """

    def __init__(self, board: str = "netduinoplus2", elf: str | Path | None = None, renode: bool = False,
                 port: int | None = None, native: bool = False, renode_path: str | Path | None = None,
                 shield: bool = True, imu_recording: str | Path | None = None, imu_speedup: float | None = None):
        self.board = "host" if native else board
        self.elf = Path(elf).resolve() if elf else (native_port.NATIVE_BINARY if native else firmware_elf(board))
        self.renode = renode
        self.native = native
        self.renode_path = renode_path
        self.port = port or free_port()
        # Renode: the X-NUCLEO-IKS01A3's LSM6DSO on I2C1 (renode/iks01a3.resc). Native: the simulated
        # part answers only when it has a recording to play. The recording is a CSV (data/recording.py).
        self.shield = shield and renode
        self.imu_recording = Path(imu_recording) if imu_recording else None
        self.imu_speedup = imu_speedup
        self.proc: subprocess.Popen | None = None
        self.group: ProcessGroup | None = None
        self._script: Path | None = None
        self._log: Path | None = None
        self._imu_file: Path | None = None

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    @property
    def program(self) -> str:
        return "the native firmware" if self.native else "Renode" if self.renode else "QEMU"

    @property
    def backend(self) -> str:
        return "native" if self.native else "renode" if self.renode else "qemu"

    @property
    def reply_timeout(self) -> float:
        """The default time a reply may take, in the emulator's own time."""
        return REPLY_TIMEOUT_S[self.backend]

    @property
    def clock(self) -> EmulatorClock:
        """The emulator's own time, for Device: slowed while the machine starves it; dead once it exits."""
        return EmulatorClock(self.group, lambda status: f"{self.program} exited with status {status}"
                                                        f"{': ' + self.output(300) if self.output(300) else ''}")

    def open_device(self, timeout: float | None = None, boot_timeout: float = 10.0) -> "Device":
        """The device it serves, with replies timed on its own clock; timeout defaults to reply_timeout."""
        from ..device.link import Device

        return Device.open(self.url, timeout=self.reply_timeout if timeout is None else timeout,
                           boot_timeout=boot_timeout, clock=self.clock)

    def command(self) -> list[str]:
        if self.native:
            return [str(self.elf)]  # the port travels in FXCLASS_NATIVE_PORT
        if self.renode:
            launcher = renode_backend.find_renode(self.renode_path)
            return [str(launcher), "--disable-xwt", "--console", str(self._renode_script())]
        return qemu.command(self.board, self.elf, self.port)

    def _prepare_imu(self) -> None:
        """The recording in the form the emulated sensor plays: a RESD file, or the native port's."""
        if self.imu_recording is None or self._imu_file is not None:
            return
        if not (self.renode or self.native):
            raise ToolError("QEMU has no sensor to play an IMU recording: use --renode or --native")
        if self.renode and not self.shield:
            raise ToolError("an IMU recording needs the sensor shield in Renode")
        rec = read_recording(self.imu_recording)
        fd, name = tempfile.mkstemp(prefix="fxclass-imu-", suffix=".resd" if self.renode else ".txt")
        os.close(fd)
        self._imu_file = Path(name)
        if self.renode:
            write_resd(rec, self._imu_file, renode_backend.tools_dir(self.renode_path))
        else:
            write_native_imu(rec, self._imu_file)

    def play_imu(self) -> None:
        """Renode: start playing the recording to the sensor now (virtual time), as LIVE or RECORD
        starts; the native part starts playing when its FIFO starts by itself."""
        if self.renode and self._imu_file is not None and self.proc is not None and self.proc.stdin is not None:
            for command in renode_backend.play_commands(self._imu_file):
                self.monitor(command)

    def monitor(self, command: str) -> None:
        """A command for Renode's monitor (its console reads stdin)."""
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()

    def _renode_script(self) -> Path:
        if self._script is None:
            self._script = renode_backend.write_script(self.board, self.elf, self.port, self.shield)
        return self._script

    def start(self, timeout: float | None = None) -> "Emulator":
        """Start it and wait until its socket listens: at most timeout seconds of its own time (by
        default START_LIMIT_S of the backend), however slowly a busy machine lets it run."""
        timeout = timeout or START_LIMIT_S[self.backend]
        if not self.elf.exists():
            how = ("`make native` in the checkout" if self.native else
                   f"`fxclass build --board {self.board}` (or `make firmware BOARD={self.board}` in the checkout)")
            raise ToolError(f"firmware image {self.elf} not found: build it with {how}")
        self._prepare_imu()
        cmd = self.command()
        env = native_port.environment(self.port, self._imu_file, self.imu_speedup) if self.native else None
        # The emulator's output goes to a file, read only when it fails: a pipe nobody reads would
        # stall it once full. Renode's monitor reads stdin: an open pipe, so it never sees its end.
        fd, log = tempfile.mkstemp(prefix="fxclass-emulator-", suffix=".log")
        self._log = Path(log)
        with os.fdopen(fd, "w") as out:
            try:
                self.group = ProcessGroup(cmd, stdin=subprocess.PIPE if self.renode else subprocess.DEVNULL,
                                          stdout=out, stderr=subprocess.STDOUT, env=env)
            except OSError as exc:
                self.stop()
                raise ToolError(f"cannot start {self.program} ({cmd[0]}): {exc.strerror or exc}") from None
        self.proc = self.group.proc
        try:
            self._wait_listening(timeout)
        except BaseException:  # a time-out, an exit, Ctrl-C: nothing may stay behind
            self.stop()
            raise
        return self

    def _wait_listening(self, timeout: float) -> None:
        starting = self.clock.timer()
        while not port_listening(self.port):
            if self.group.poll() is not None:
                raise ToolError(f"{self.program} exited with status {self.proc.returncode}: {self.output()}")
            if starting.elapsed() > timeout:
                raise ToolError(f"{self.program} did not open port {self.port} within {timeout:.0f} s of its running "
                                f"time: {self.output() or 'it printed nothing'}")
            time.sleep(0.05)

    def output(self, max_chars: int = 1500) -> str:
        """The end of what the emulator printed, for error messages."""
        if self._log is None or not self._log.exists():
            return ""
        text = self._log.read_text(errors="replace").strip()
        return ("..." + text[-max_chars:]) if len(text) > max_chars else text

    def stop(self) -> None:
        if self.group is not None:
            self.group.stop()
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        self.proc = self.group = None
        for path in (self._script, self._log, self._imu_file):
            if path is not None:
                path.unlink(missing_ok=True)
        self._script = self._log = self._imu_file = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
