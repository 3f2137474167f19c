"""fxclass build: compile the firmware for a board."""
from __future__ import annotations

import click

from ..firmware.build import BOARDS, build, built_in_model
from ..model.fxm import FORMAT_VERSION


@click.command("build")
@click.option("--board", default="netduinoplus2", show_default=True, type=click.Choice(BOARDS))
@click.option("--model", type=click.Path(exists=True, dir_okay=False), help="Built-in model (default: models/default.fxm).")
@click.option("--baud", type=click.IntRange(1200, 4_000_000), default=115200, show_default=True,
              help="Console baud rate built into the image (use the same --baud on the host).")
def command(board, model, baud):
    """Build firmware/build/BOARD/fxclass.{elf,bin,hex}."""
    if model is not None:
        built_in, upgraded = built_in_model(board, model)
        if upgraded:
            click.echo(f"{model}: model format 1, built in as format {FORMAT_VERSION}")
        model = built_in
    out = build(board, model, baud)
    elf = out / "fxclass.elf"
    click.echo(f"built {elf} ({(out / 'fxclass.bin').stat().st_size} bytes of flash image)")
