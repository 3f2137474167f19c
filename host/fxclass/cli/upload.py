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
def command(target, model, force):
    """Upload MODEL.fxm; the old model keeps running unless the new one is accepted."""
    try:
        blob = Path(model).read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"cannot read {model}: {exc.strerror}") from exc
    if not force:
        fxm.unpack(blob)
        blob = fxm.upgrade(blob)
    with open_device(target) as dev:
        with tqdm(total=len(blob), unit="B", disable=None, leave=False) as bar:
            dev.upload(blob, progress=bar.update)
        click.echo(f"model 0x{dev.info.model_id:08x} is running ({len(blob)} bytes)")
