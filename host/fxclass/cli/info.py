"""fxclass info: what the firmware reports about itself and its model."""
from __future__ import annotations

import json
import click

from .common import device_options, open_device


@click.command("info")
@device_options
@click.option("--json", "as_json", is_flag=True, help="Print the INFO reply as JSON.")
def command(target, as_json):
    """Ask the firmware for its version, board, clock, limits and model."""
    with open_device(target) as dev:
        info = dev.info
        if as_json:
            click.echo(json.dumps(info.as_dict(), indent=2))
            return
        click.echo(f"board          {info.board}")
        click.echo(f"firmware       {info.firmware_version} (protocol {info.protocol_version})")
        click.echo(f"clock          {info.sysclk_hz / 1e6:.0f} MHz, cycles from {info.cycle_source}")
        source = info.model_source + (f", record {info.model_seq}" if info.model_seq else "")
        click.echo(f"model          0x{info.model_id:08x} ({source}), {info.n_layers} dense layers")
        click.echo(f"window         {info.window_len} samples x {info.n_channels} channels at "
                   f"{info.sample_rate_hz} Hz, hop {info.hop_len}")
        click.echo(f"classes        {', '.join(info.class_names)}")
        click.echo(f"limits         frame payload {info.max_payload} B, model {info.max_model_bytes} B, "
                   f"window {info.max_window_values} values, {info.max_classes} classes")
        modes = [name for flag, name in ((1, "LIVE"), (2, "RECORD")) if info.mode & flag] or ["host-driven"]
        click.echo(f"flash          {'controller present: uploads and the configuration are kept' if info.flash_controller else 'no controller: uploads last until a reset'}")
        click.echo(f"boot           {'LIVE at power-on' if info.boot_mode else 'host-driven'} (configuration: "
                   f"{'defaults' if info.config_source == 'built-in' else info.config_source})")
        click.echo(f"sensor         {info.sensor or 'none found (LIVE and RECORD are refused)'}; mode "
                   f"{' + '.join(modes)}")
