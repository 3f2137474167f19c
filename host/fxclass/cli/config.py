"""fxclass config: show, set or reset the device configuration the board keeps in flash."""
from __future__ import annotations

import click

from ..device import config as cfg
from .common import device_options, open_device


def _print(reply) -> None:
    kept = {"built-in": "defaults", "RAM": "set since the reset, not kept (no flash controller)"}.get(
        reply.source, f"kept in {reply.source}, record {reply.seq}")
    for s in cfg.settings(reply):
        click.echo(f"{s.name:<12} {s.value}")
    click.echo(f"({kept})")


@click.group("config")
def command():
    """The board's configuration: boot mode, LED, class pins (kept in flash, survives a reset)."""


@command.command("show")
@device_options
def show(target):
    """Print every key and its value."""
    with open_device(target) as dev:
        _print(cfg.show(dev))


@command.command("set")
@device_options
@click.argument("assignments", nargs=-1, metavar="KEY=VALUE...")
def set_(target, assignments):
    """Set keys, all or none: boot_mode=host|live, led=off|heartbeat|class, pin.CLASS=D2..D12|none,
    decision_hops=1..16|model, decision_votes=1..255|model, decision_dwell=1..255|model."""
    with open_device(target) as dev:
        _print(cfg.set_values(dev, list(assignments)))


@command.command("reset")
@device_options
def reset(target):
    """Back to the defaults (boot_mode=host, led=class, no pins, the model's decision settings);
    the kept configuration is erased."""
    with open_device(target) as dev:
        _print(cfg.reset(dev))
