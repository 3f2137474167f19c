"""fxclass bench: cycles per inference on the target and the link's throughput."""
from __future__ import annotations

import json

import click

from ..device.linkbench import measure
from .common import device_options, open_device


@click.command("bench")
@device_options
@click.option("--windows", default=64, show_default=True, type=click.IntRange(1, 100_000),
              help="Hops to stream for the throughput figures.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def command(target, windows, as_json):
    """Measure cycles per inference and windows per second over the link."""
    with open_device(target) as dev:
        r = measure(dev, windows)
    if as_json:
        click.echo(json.dumps(r.as_dict(), indent=2))
        return
    click.echo(f"cycles per inference   {r.cycles_per_inference} ({r.cycle_source})")
    click.echo(f"windows per second     {r.windows_per_second_measured:.1f} measured over {r.windows} hops")
    click.echo(f"round trip             {r.round_trip_ms:.1f} ms per INFER (median of 30, request to result)")
    click.echo(f"bytes per window       {r.wire_bytes_per_window:.0f} on the wire, {r.payload_bytes_per_window:.0f} payload "
               f"({100 * r.framing_overhead:.2f} % framing)")
    click.echo(f"UART, with framing     {r.windows_per_second_115200:.1f} windows/s at 115200, "
               f"{r.windows_per_second_921600:.1f} at 921600 baud")
    click.echo(f"UART, payload only     {r.limit_windows_per_second_115200:.1f} windows/s at 115200, "
               f"{r.limit_windows_per_second_921600:.1f} at 921600 baud (the link's limit)")
