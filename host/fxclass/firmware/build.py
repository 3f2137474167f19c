"""Firmware images: where the Makefile puts them, the model built in, building them, their symbols."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import ToolError
from ..model import fxm

REPO = Path(__file__).resolve().parents[3]  # the checkout: firmware/, models/, renode/, host/
BOARDS = ("netduinoplus2", "nucleo_f446re", "nucleo_f411re")
DEFAULT_MODEL = REPO / "models" / "default.fxm"  # built into every image unless MODEL= says otherwise


def image_dir(board: str, root: Path = REPO) -> Path:
    return root / "firmware" / "build" / board


def firmware_elf(board: str = "netduinoplus2", root: Path = REPO) -> Path:
    return image_dir(board, root) / "fxclass.elf"


def built_in_model(board: str, path: str | Path) -> tuple[Path, bool]:
    """The file to build in as the model at path, checked first so that a bad one is named: path itself,
    or for a format-1 blob its format-3 rewrite in the board's build folder; and whether it was rewritten."""
    _, blob = fxm.read(path)
    if blob == Path(path).read_bytes():
        return Path(path), False
    upgraded = image_dir(board) / "model.fxm"
    upgraded.parent.mkdir(parents=True, exist_ok=True)
    upgraded.write_bytes(blob)
    return upgraded, True


def elf_symbols(elf: str | Path) -> dict[str, tuple[int, int]]:
    """Each sized symbol of an ARM image: name -> (address without the Thumb bit, size in bytes)."""
    out = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], capture_output=True, text=True, check=True).stdout
    return {f[3]: (int(f[0], 16) & ~1, int(f[1], 16)) for f in (line.split() for line in out.splitlines()) if len(f) == 4}


def build(board: str, model: str | Path | None = None, baud: int | None = None, root: Path = REPO) -> Path:
    """make -C firmware BOARD=board [MODEL=...] [BAUD=...]; returns the folder with fxclass.{elf,bin,hex}."""
    if shutil.which("arm-none-eabi-gcc") is None:
        raise ToolError("arm-none-eabi-gcc not found: `sudo apt-get install gcc-arm-none-eabi "
                        "libnewlib-arm-none-eabi` (or run `make setup`)")
    cmd = ["make", "-C", str(root / "firmware"), f"BOARD={board}"]
    if model is not None:
        cmd.append(f"MODEL={Path(model).resolve()}")
    if baud is not None:
        cmd.append(f"BAUD={baud}")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolError(f"firmware build failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return image_dir(board, root)
