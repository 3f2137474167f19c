"""fxclass validate: the target against the host's bit-exact reference, window by window."""
from __future__ import annotations

import click
from tqdm import tqdm

from .. import datasets, fxm
from ..sim import REPO
from ..validate import validate
from .common import device_options, open_device


@click.command("validate")
@device_options
@click.option("--dataset", default="basicmotions", show_default=True, type=click.Choice(["basicmotions", "synthetic"]))
@click.option("--split", default="test", show_default=True, type=click.Choice(["train", "test"]))
@click.option("--model", default=str(REPO / "models" / "default.fxm"), show_default="models/default.fxm",
              type=click.Path(dir_okay=False), help="The .fxm the device runs.")
@click.option("--limit", type=int, help="Only the first N windows.")
def command(target, dataset, split, model, limit):
    """Exit 0 when every window agrees bit for bit, 2 when any differs."""
    qm = fxm.load(model)
    with open_device(target) as dev:
        if dev.info.model_id != qm.model_id:
            click.echo(f"warning: the device runs model 0x{dev.info.model_id:08x}, {model} is "
                       f"0x{qm.model_id:08x}; upload it first", err=True)
        ws = datasets.load(dataset, split, window_len=qm.window_len)
        windows = ws.windows[:limit]
        with tqdm(total=len(windows), unit="window", disable=None, leave=False) as bar:
            diffs = validate(dev, qm, windows, on_window=lambda i: bar.update(1))
    for d in diffs:
        click.echo(f"window {d.index}: device class {d.device_class} {d.device_prob}, "
                   f"reference class {d.reference_class} {d.reference_prob}")
    click.echo(f"{len(windows)} windows, {len(diffs)} differ from the reference")
    if diffs:
        raise SystemExit(2)
