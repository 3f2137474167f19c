"""Emulators: the firmware in QEMU's netduinoplus2, in Renode or natively on hal/host, with its console
UART on a local TCP socket."""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .errors import ToolError

REPO = Path(__file__).resolve().parents[2]
QEMU_MACHINES = {"netduinoplus2": "netduinoplus2"}
NATIVE_BINARY = REPO / "build" / "host" / "fxclass_native"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def firmware_elf(board: str = "netduinoplus2", root: Path = REPO) -> Path:
    return root / "firmware" / "build" / board / "fxclass.elf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_command(elf: Path, port: int, machine: str = "netduinoplus2", extra: tuple[str, ...] = ()) -> list[str]:
    """USART2 is QEMU's second -serial; the first (USART1) is discarded. With -icount shift=3 each
    instruction takes 8 ns of virtual time, so SysTick-derived cycle counts repeat exactly."""
    return ["qemu-system-arm", "-M", machine, "-display", "none", "-monitor", "none",
            "-serial", "null", "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on",
            "-icount", "shift=3", "-kernel", str(elf), *extra]


def port_listening(port: int) -> bool:
    """Whether something listens on the local TCP port. QEMU with wait=on blocks until the first
    client connects, and probing with connect() would be that client: read the socket table."""
    try:
        with open("/proc/net/tcp") as f:
            return any(line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"
                       for line in f.readlines()[1:])
    except OSError:  # no /proc: assume it is up after a short wait
        time.sleep(0.5)
        return True


def _die_with_parent() -> None:
    """In the emulator's process before exec: on Linux, end it when the Python process that started
    it ends, however that happens, so that no emulator outlives a killed command or test run."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Emulator:
    """A running emulator; use as a context manager, or start() and stop()."""

    def __init__(self, board: str = "netduinoplus2", elf: str | Path | None = None, renode: bool = False,
                 port: int | None = None, native: bool = False):
        self.board = "host" if native else board
        self.elf = Path(elf) if elf else (NATIVE_BINARY if native else firmware_elf(board))
        self.renode = renode
        self.native = native
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self._script: Path | None = None

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.native:
            return [str(self.elf)]  # the port travels in FXCLASS_NATIVE_PORT
        if self.renode:
            # A small script of our own sets the variables fxclass.resc reads and includes it:
            # Renode takes either a script file or -e commands, not both.
            return ["renode", "--disable-xwt", "--console", str(self._renode_script())]
        if self.board not in QEMU_MACHINES:
            raise ToolError(f"QEMU emulates only {sorted(QEMU_MACHINES)}; build with BOARD=netduinoplus2 "
                            f"(board {self.board!r} runs on hardware or in Renode)")
        return qemu_command(self.elf, self.port, QEMU_MACHINES[self.board])

    def _renode_script(self) -> Path:
        if self._script is None:
            fd, name = tempfile.mkstemp(prefix="fxclass-", suffix=".resc")
            with os.fdopen(fd, "w") as f:
                f.write(f"$elf=@{self.elf.resolve()}\n$port={self.port}\n"
                        f"include @{REPO / 'renode' / 'fxclass.resc'}\nstart\n")
            self._script = Path(name)
        return self._script

    def start(self, timeout: float = 20.0) -> "Emulator":
        if not self.elf.exists():
            make = "make native" if self.native else f"make firmware BOARD={self.board}"
            raise ToolError(f"firmware image {self.elf} not found: run `{make}`")
        program = str(self.elf) if self.native else "renode" if self.renode else "qemu-system-arm"
        if not self.native and shutil.which(program) is None:
            hint = ("Renode is not installed (see renode.io)" if self.renode else
                    "install it with `sudo apt-get install qemu-system-arm` (or run `make setup`)")
            raise ToolError(f"{program} not found: {hint}")
        cmd = self.command()
        # Renode's monitor console reads stdin: an open pipe, so that it never sees end of file.
        env = {**os.environ, "FXCLASS_NATIVE_PORT": str(self.port)} if self.native else None
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if self.renode else subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                                     preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while not self._listening():
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace").strip()
                status = self.proc.returncode
                self.stop()
                raise ToolError(f"{program} exited with status {status}: {err}")
            if time.monotonic() > deadline:
                self.stop()
                raise ToolError(f"{program} did not open port {self.port} within {timeout:.0f} s")
            time.sleep(0.05)
        return self

    def _listening(self) -> bool:
        return port_listening(self.port)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc = None
        if self._script is not None:
            self._script.unlink(missing_ok=True)
            self._script = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
