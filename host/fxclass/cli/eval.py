"""fxclass eval: float versus quantized accuracy and confusion matrix on the test split."""
from __future__ import annotations

from pathlib import Path

import click

from ..data.datasets import csv_windows, split_known
from ..errors import file_error
from ..model import fxm
from ..model.openset import describe, format_open_set, open_set
from ..model.evaluate import evaluate, format_confusion, model_card
from ..model.train import FloatModel
from .params import output_file
from .data_options import dataset_options, load_split, model_windows


@click.command("eval")
@click.argument("float_model", type=click.Path(exists=True, dir_okay=False))
@click.argument("model", type=click.Path(exists=True, dir_okay=False))
@dataset_options
@click.option("--card", type=click.Path(dir_okay=False), callback=output_file(),
              help="Write a model card (Markdown) with these figures.")
@click.option("--unknown-csv", type=click.Path(dir_okay=False),
              help="A recording of movements the model was never trained on (the project's CSV format): how many of "
                   "its windows come out unknown.")
def command(float_model, model, dataset, csv_path, test_csv, window_len, hop_len, seed, card, unknown_csv):
    """Compare FLOAT_MODEL (.npz) and MODEL (.fxm, through the bit-exact reference)."""
    fm = FloatModel.load(float_model)
    blob = Path(model).read_bytes()
    qm = fxm.unpack(blob)
    window_len, hop_len = model_windows(window_len, hop_len, qm.window_len, qm.hop_len, dataset)
    # Windows of dataset classes the model lacks (train --leave-out) are windows it never saw.
    test, unseen = split_known(load_split("test", dataset, csv_path, window_len, hop_len, seed, test_csv,
                                          counts_per_unit=fm.counts_per_unit, units=fm.units), qm.class_names)
    ev = evaluate(fm, qm, test)
    click.echo(f"{ev.n_windows} test windows")
    click.echo(f"float accuracy      {100 * ev.float_accuracy:.1f} %")
    click.echo(f"quantized accuracy  {100 * ev.quantized_accuracy:.1f} %")
    click.echo(f"agreement           {100 * ev.agreement:.1f} % (float and quantized predictions)")
    if ev.quantized_accuracy < ev.float_accuracy - 0.02:
        click.echo(f"warning: the quantized model is {100 * (ev.float_accuracy - ev.quantized_accuracy):.1f} points "
                   "below the float one: quantize again with another --percentile, or train with more data",
                   err=True)
    click.echo(format_confusion(ev.quantized_confusion, ev.class_names))
    unseen_what = "unseen classes " + ", ".join(sorted({unseen.class_names[i] for i in unseen.labels}))
    if unknown_csv:
        unseen = csv_windows(unknown_csv, qm.window_len, qm.hop_len, qm.sample_rate_hz,
                             counts_per_unit=fm.counts_per_unit, units=fm.units)
        unseen_what = f"{unknown_csv}"
    if qm.decision is not None or len(unseen):
        click.echo(describe(qm))
        click.echo(format_open_set(open_set(qm, test.windows, test.labels, unseen.windows), unseen_what))
    if card:
        try:
            Path(card).write_text(model_card(ev, qm, fm, dataset, len(blob), fxm.version_of(blob)))
        except OSError as exc:
            raise file_error(card, exc) from None
        click.echo(f"model card -> {card}")
