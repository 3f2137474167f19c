"""fxclass flash: write the firmware to a board through whatever probe tool works."""
from __future__ import annotations

import click

from ..device.flash import BACKENDS, flash
from ..farm.lease import LeasedBoard, in_jumpstarter_shell
from ..firmware.build import BOARDS, image_dir


@click.command("flash")
@click.option("--board", type=click.Choice(BOARDS), help="The board's image to flash (default: the leased board's, "
                                                             "else nucleo_f446re).")
@click.option("--probe", type=click.Choice([b.name for b in BACKENDS]), help="Use only this backend.")
@click.option("--lease", metavar="SELECTOR", help="Flash a board of a Jumpstarter farm through its flasher.")
def command(board, probe, lease):
    """Flash firmware/build/BOARD/fxclass.* (build it first with `fxclass build`)."""
    if lease is not None or in_jumpstarter_shell():
        with LeasedBoard(lease) as leased:
            click.echo(f"flashed {leased.name} with {leased.flash(image_dir(board or leased.board))}")
        return
    board = board or "nucleo_f446re"
    used = flash(board, image_dir(board), probe)
    click.echo(f"flashed {board} with {used}")
