"""fxclass flash: write the firmware to a board through whatever probe tool works."""
from __future__ import annotations

import click

from ..device.flash import BACKENDS, flash
from ..firmware.build import BOARDS, image_dir


@click.command("flash")
@click.option("--board", default="nucleo_f446re", show_default=True, type=click.Choice(BOARDS))
@click.option("--probe", type=click.Choice([b.name for b in BACKENDS]), help="Use only this backend.")
def command(board, probe):
    """Flash firmware/build/BOARD/fxclass.* (build it first with `fxclass build`)."""
    used = flash(board, image_dir(board), probe)
    click.echo(f"flashed {board} with {used}")
