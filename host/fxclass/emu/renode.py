"""Renode: finding it, and the script that boots a Nucleo image with the X-NUCLEO-IKS01A3's LSM6DSO.

The platform is renode/BOARD.repl; the console UART goes to a local TCP socket."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import ToolError
from ..firmware.build import REPO

RENODE_DIR = REPO / "renode"
RENODE_BOARDS = ("nucleo_f446re", "nucleo_f411re")
ENV_RENODE = "FXCLASS_RENODE"
RENODE_HINT = (f"install Renode (1.15.3 is what fxclass is tested with) from its releases at "
               f"https://github.com/renode/renode/releases, then put `renode` on PATH, set {ENV_RENODE} to "
               "the folder it was unpacked in, or pass --renode-path")


def find_renode(path: str | Path | None = None) -> Path:
    """The `renode` launcher: path (a Renode folder, such as an unpacked portable release, or the
    launcher itself), else $FXCLASS_RENODE, else `renode` on PATH, else one beside the checkout."""
    given, source = (path, "--renode-path") if path else (os.environ.get(ENV_RENODE), f"${ENV_RENODE}")
    if given:
        candidate = Path(given).expanduser()
        launcher = candidate / "renode" if candidate.is_dir() else candidate
        if not launcher.is_file() or not os.access(launcher, os.X_OK):
            what = "is not an executable file" if launcher.is_file() else "does not exist"
            raise ToolError(f"no Renode at {source}={given} ({launcher} {what}): give the folder a Renode release "
                            "was unpacked in (it holds the `renode` launcher) or the launcher itself")
        return launcher.resolve()
    found = shutil.which("renode") or beside_checkout()
    if found is None:
        raise ToolError(f"Renode is not installed: {RENODE_HINT}")
    return Path(found)


def beside_checkout() -> Path | None:
    """A portable Renode unpacked beside the checkout, where `make test` finds it too (../renode or
    ../shared/renode), so that commands run from any folder with no variable set find it."""
    for folder in (REPO.parent / "renode", REPO.parent / "shared" / "renode"):
        launcher = folder / "renode"
        if launcher.is_file() and os.access(launcher, os.X_OK):
            return launcher
    return None


def find_renode_test(path: str | Path | None = None) -> Path:
    """renode-test, Renode's Robot Framework runner, from the same install as find_renode's launcher."""
    launcher = find_renode(path)
    beside = launcher.parent / "renode-test"
    if beside.is_file():
        return beside
    found = shutil.which("renode-test")
    if found is None:
        raise ToolError(f"renode-test not found beside {launcher}: {RENODE_HINT}")
    return Path(found)


def tools_dir(path: str | Path | None = None) -> Path:
    """The tools/ folder of the Renode find_renode finds (csv2resd is there)."""
    return find_renode(path).resolve().parent / "tools"


def platform(board: str) -> Path:
    if board not in RENODE_BOARDS:
        raise ToolError(f"no Renode platform for board {board!r}: renode/ has {', '.join(RENODE_BOARDS)}")
    return RENODE_DIR / f"{board}.repl"


def write_script(board: str, elf: Path, port: int, shield: bool) -> Path:
    """A small script of our own that sets the variables fxclass.resc reads and includes it (Renode
    takes either a script file or -e commands, not both); the caller deletes it."""
    lines = [f"$platform=@{platform(board)}", f"$elf=@{elf}", f"$port={port}",
             f"include @{RENODE_DIR / 'fxclass.resc'}"]
    if shield:
        lines.append(f"include @{RENODE_DIR / 'iks01a3.resc'}")
    # Virtual time runs ahead while the core sleeps (WFI) instead of keeping pace with the host's
    # clock: a 12 s recording plays in the seconds the firmware computes, not in 12 s or more.
    lines += ["emulation SetAdvanceImmediately true", "start"]
    fd, name = tempfile.mkstemp(prefix="fxclass-", suffix=".resc")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    return Path(name)


def play_commands(resd: Path | str) -> list[str]:
    """Monitor commands that start the LSM6DSO playing resd (a file, or a monitor variable such as
    "$imu_recording" that holds one) now. Paused, so that both streams start at the same virtual
    time: between two commands to a running emulation time goes on, and a rate stream a sample late
    would pair each acceleration with the previous angular rate."""
    source = resd if isinstance(resd, str) else f"@{resd}"
    feeds = [f"sysbus.i2c1.lsm6dso Feed{kind}SamplesFromRESD {source} 0 0 CurrentVirtualTime"
             for kind in ("Acceleration", "AngularRate")]
    return ["pause", *feeds, "start"]
