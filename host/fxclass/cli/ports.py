"""fxclass ports: serial ports, with ST-LINK virtual COM ports marked."""
from __future__ import annotations

import click

from ..device.ports import list_serial_ports


@click.command("ports")
def command():
    """List serial ports; an ST-LINK port is what --port defaults to."""
    ports = list_serial_ports()
    if not ports:
        click.echo("no serial ports found (plug the board's ST-LINK USB in, or use `fxclass sim`)")
        return
    for p in ports:
        ids = f"{p.vid:04x}:{p.pid:04x}" if p.vid is not None else "-"
        mark = f"  <- {p.stlink}" if p.stlink else ""
        click.echo(f"{p.device:<20} {ids:<10} {p.description}{mark}")
