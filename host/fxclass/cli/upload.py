"""fxclass upload: replace the running model with a .fxm blob, validated whole by the firmware."""
from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from ..errors import ModelFormatError
from ..model import fxm
from .common import device_options, open_device


@click.command("upload")
@device_options
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Send the blob even if the host's own check refuses it.")
@click.option("--ram", is_flag=True, help="A trial: run it from RAM, not kept; a reset brings back the kept model.")
def command(target, model, force, ram):
    """Upload MODEL.fxm and keep it in flash (--ram: until a reset); the old model keeps running
    unless the new one is accepted, and a power cut while it is written leaves the old one to boot."""
    try:
        blob = Path(model).read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"cannot read {model}: {exc.strerror}") from exc
    if not force:
        fxm.unpack(blob)
        blob = fxm.upgrade(blob)
    with open_device(target) as dev:
        keep = not ram and dev.info.flash_controller
        with tqdm(total=len(blob), unit="B", disable=None, leave=False) as bar:
            dev.upload(blob, progress=bar.update, keep=keep)
        where = (f"kept in {dev.info.model_source}" if keep else "in RAM until a reset" if ram else
                 f"in RAM until a reset: {dev.info.board} has no flash controller to keep it")
        click.echo(f"model 0x{dev.info.model_id:08x} is running ({len(blob)} bytes, {where})")
