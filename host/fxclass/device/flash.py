"""Flashing through pyOCD, st-flash, OpenOCD or a copy onto the ST-LINK mass-storage drive."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import ToolError

# pyOCD target names and ST-LINK drive labels per board.
PYOCD_TARGETS = {"nucleo_f446re": "stm32f446retx", "nucleo_f411re": "stm32f411retx", "netduinoplus2": "stm32f405rgtx"}
DRIVE_LABELS = {"nucleo_f446re": ("NODE_F446RE",), "nucleo_f411re": ("NODE_F411RE", "NOD_F411RE")}
FLASH_BASE = 0x08000000
TOOL_TIMEOUT_S = 120


@dataclass
class Backend:
    name: str
    executable: str | None  # None: no tool, a file copy
    command: Callable[[Path, str], list[str]] | None = None
    install_hint: str = ""


BACKENDS = [
    # --no-wait: without it pyOCD waits for a probe forever. The F446 and F411 are pack targets:
    # `pyocd pack install` fetches their flash algorithms once.
    Backend("pyocd", "pyocd", lambda img, board: ["pyocd", "flash", "--no-wait", "--target",
                                                   PYOCD_TARGETS.get(board, "stm32f446retx"), str(img / "fxclass.elf")],
            "pip install pyocd, then `pyocd pack install stm32f446re` (or stm32f411re) once"),
    Backend("st-flash", "st-flash", lambda img, board: ["st-flash", "--reset", "write", str(img / "fxclass.bin"),
                                                         hex(FLASH_BASE)], "sudo apt-get install stlink-tools"),
    Backend("openocd", "openocd", lambda img, board: ["openocd", "-f", "interface/stlink.cfg", "-f", "target/stm32f4x.cfg",
                                                       "-c", f"program {img / 'fxclass.elf'} verify reset exit"],
            "sudo apt-get install openocd"),
    Backend("mass-storage", None, install_hint="plug the Nucleo in; its ST-LINK shows up as a USB drive"),
]


def default_mount_roots() -> list[Path]:
    user = os.environ.get("USER", "")
    return [Path("/media") / user, Path("/run/media") / user, Path("/media"), Path("/mnt"), Path("/Volumes")]


def find_stlink_drives(board: str, roots: list[Path] | None = None) -> list[Path]:
    """Mounted ST-LINK drives: a folder with DETAILS.TXT and MBED.HTM, preferring the board's label."""
    found = []
    for root in roots if roots is not None else default_mount_roots():
        if not root.is_dir():
            continue
        for d in sorted(p for p in root.iterdir() if p.is_dir()):
            if (d / "DETAILS.TXT").exists() and (d / "MBED.HTM").exists():
                found.append(d)
    labels = DRIVE_LABELS.get(board, ())
    preferred = [d for d in found if d.name in labels]
    return preferred or found


def copy_to_drive(image: Path, drive: Path) -> Path:
    target = drive / "fxclass.bin"
    shutil.copyfile(image / "fxclass.bin", target)
    os.sync() if hasattr(os, "sync") else None
    return target


def find_tool(name: str) -> str | None:
    """A tool on PATH, or installed beside this Python (a virtual environment's bin/, where pip puts
    pyOCD) when that is not on PATH."""
    return shutil.which(name) or shutil.which(name, path=os.path.dirname(sys.executable))


def _reason(output: str) -> str:
    """The line of a tool's output that says why it failed."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if any(word in line.lower() for word in ("error", "couldn't", "no connected", "not found", "failed")):
            return line
    return lines[-1] if lines else "failed"


def flash(board: str, image: Path, probe: str | None = None, mount_roots: list[Path] | None = None,
          run: Callable = subprocess.run) -> str:
    """Flash with the first backend that works (or only `probe`); returns the backend's name."""
    if not (image / "fxclass.bin").exists():
        raise ToolError(f"no firmware image in {image}: run `fxclass build --board {board}` first")
    chosen = [b for b in BACKENDS if probe in (None, b.name)]
    if not chosen:
        raise ToolError(f"unknown probe {probe!r}: choose from {', '.join(b.name for b in BACKENDS)}")
    tried = []
    for backend in chosen:
        if backend.executable is None:
            drives = find_stlink_drives(board, mount_roots)
            if drives:
                copy_to_drive(image, drives[0])
                return backend.name
            tried.append(f"{backend.name}: no ST-LINK drive mounted")
            continue
        executable = find_tool(backend.executable)
        if executable is None:
            tried.append(f"{backend.name}: not installed ({backend.install_hint})")
            continue
        command = [executable, *backend.command(image, board)[1:]]
        try:
            proc = run(command, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            tried.append(f"{backend.name}: no result within {TOOL_TIMEOUT_S} s")
            continue
        if proc.returncode == 0:
            return backend.name
        tried.append(f"{backend.name}: {_reason(proc.stderr + proc.stdout)}")
    raise ToolError("could not flash: no probe answered.\n  " + "\n  ".join(tried) +
                    "\nPlug the Nucleo's ST-LINK USB (CN1) in, check the cable carries data, or install one of the tools.")
