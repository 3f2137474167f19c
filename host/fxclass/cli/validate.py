"""fxclass validate: the target against the host's bit-exact reference, window by window."""
from __future__ import annotations

import click
from tqdm import tqdm

from ..data import datasets
from ..data.recording import read_recording
from ..errors import LinkError
from ..firmware.build import DEFAULT_MODEL
from ..device import config as cfg
from ..model import decide, fxm
from ..model.validate import validate, validate_decisions
from .common import device_options, ensure_model, open_device


@click.command("validate")
@device_options
@click.option("--dataset", type=click.Choice([d for d in datasets.DATASETS if d != "csv"]),
              help="Windows of a named dataset (default: basicmotions, unless --csv).")
@click.option("--csv", "csv_path", type=click.Path(exists=True, dir_okay=False),
              help="Windows of a recording of one's own, cut with the model's window and hop.")
@click.option("--split", default="test", show_default=True, type=click.Choice(["train", "test"]))
@click.option("--model", default=None, show_default="models/default.fxm; with --csv, required",
              type=click.Path(dir_okay=False),
              help="The .fxm the device should run: uploaded to an emulator started with --sim, checked against "
                   "a board's.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N windows.")
def command(target, dataset, csv_path, split, model, limit):
    """Exit 0 when every window agrees bit for bit, 2 when any differs. A model with a DECISION section
    also has its windows streamed one after the other, and every hop's decision and every EVENT
    compared with the reference under the device's decision settings."""
    if dataset and csv_path:
        raise click.UsageError("give --dataset or --csv, not both")
    if csv_path and model is None:
        raise click.UsageError("--csv needs --model M.fxm, the model trained on such data: the built-in model takes "
                               "BasicMotions' 6 channels")
    model = model or str(DEFAULT_MODEL)
    qm, blob = fxm.read(model)
    if csv_path:
        # The model's counts per unit turn physical values into its counts; a recording of integer
        # counts is taken as it is, as `run --csv` takes it.
        physical = read_recording(csv_path).units is not None
        ws = datasets.csv_windows(csv_path, qm.window_len, qm.hop_len, class_names=qm.class_names,
                                  counts_per_unit=qm.counts_per_unit if physical else None)
    else:
        ws = datasets.load(dataset or "basicmotions", split, window_len=qm.window_len)
    if ws.windows.shape[1:] != qm.shape.window_shape:
        raise click.UsageError(f"the windows are {ws.windows.shape[1]} x {ws.windows.shape[2]}, {model} takes "
                               f"{qm.window_len} x {qm.n_channels}: give --csv with the model's channels")
    windows = ws.windows[:limit]
    diffs: list = []
    compared = 0

    def compared_one(_index):
        nonlocal compared
        compared += 1
        bar.update(1)

    with open_device(target) as dev:
        ensure_model(dev, target, model, qm, blob)
        with tqdm(total=len(windows), unit="window", disable=None, leave=False) as bar:
            try:
                validate(dev.infer, qm, windows, on_window=compared_one, diffs=diffs)
            except LinkError as exc:  # the link or the lease lost: what was compared is still reported
                _report(diffs, f"{compared} of {len(windows)} windows compared before the run stopped")
                click.echo(f"error: {exc}; {compared} results were kept", err=True)
                raise SystemExit(exc.exit_code) from None
        decisions = None
        if qm.decision is not None:
            dev.take_events()
            decisions = validate_decisions(lambda s: (list(dev.stream(s)), dev.take_events()), qm,
                                           windows.reshape(-1, qm.n_channels), cfg.decide_settings(dev.config()))
    _report(diffs, f"{len(windows)} windows")
    if decisions is not None:
        _print_decisions(decisions, qm.class_names)
    if diffs or (decisions is not None and not decisions.equal):
        raise SystemExit(2)


def _report(diffs, windows: str) -> None:
    for d in diffs:
        click.echo(f"window {d.index}: device class {d.device_class} {d.device_prob}, "
                   f"reference class {d.reference_class} {d.reference_prob}")
    click.echo(f"{windows}, {len(diffs)} differ from the reference")


def _hop_text(hop, names) -> str:
    if hop is None:
        return "no such hop"
    cls, decided, changed, outside = hop
    return (f"class {cls}{' (outside)' if outside else ''}, decision {decide.label(decided, names)}"
            f"{' (changed)' if changed else ''}")


def _event_text(event, names) -> str:
    if event is None:
        return "no such EVENT"
    hop, decided, previous, prob = event
    return f"hop {hop}: {decide.label(previous, names)} -> {decide.label(decided, names)} (p {prob})"


def _print_decisions(check, names) -> None:
    for d in check.hop_differences:
        click.echo(f"hop {d.hop}: device {_hop_text(d.device, names)}, reference {_hop_text(d.reference, names)}")
    for d in check.event_differences:
        click.echo(f"EVENT {d.position}: device {_event_text(d.device, names)}, "
                   f"reference {_event_text(d.reference, names)}")
    click.echo(f"the windows streamed: {check.hops} hops, {len(check.hop_differences)} decisions differ; "
               f"{check.events} EVENTs, {len(check.event_differences)} differ from the reference")
