"""fxclass build: compile the firmware for a board."""
from __future__ import annotations

import click

from ..build import BOARDS, build


@click.command("build")
@click.option("--board", default="netduinoplus2", show_default=True, type=click.Choice(BOARDS))
@click.option("--model", type=click.Path(exists=True, dir_okay=False), help="Built-in model (default: models/default.fxm).")
def command(board, model):
    """Build firmware/build/BOARD/fxclass.{elf,bin,hex}."""
    out = build(board, model)
    elf = out / "fxclass.elf"
    click.echo(f"built {elf} ({(out / 'fxclass.bin').stat().st_size} bytes of flash image)")
