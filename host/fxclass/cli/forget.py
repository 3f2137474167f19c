"""fxclass forget: erase what the board keeps (models, configuration), back to host-driven use."""
from __future__ import annotations

import click

from .common import device_options, open_device


@click.command("forget")
@device_options
def command(target):
    """Erase the models and the configuration kept in flash: the board runs its built-in model,
    host-driven, with the defaults, now and after every reset (until the next `upload`)."""
    with open_device(target) as dev:
        info = dev.forget()
        where = "erased from flash" if info.flash_controller else "nothing was kept (no flash controller)"
        click.echo(f"kept models and configuration {where}")
        click.echo(f"model 0x{info.model_id:08x} ({info.model_source}) is running, "
                   f"{'LIVE at power-on' if info.boot_mode else 'host-driven'}")
