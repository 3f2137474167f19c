"""fxclass quantize: calibrate on training data and write the int8 .fxm blob (and a C array)."""
from __future__ import annotations

from pathlib import Path

import click

from .. import fxm
from ..quantize import quantize
from ..train import FloatModel
from .data_options import dataset_options, load_split, model_windows


@click.command("quantize")
@click.argument("float_model", type=click.Path(exists=True, dir_okay=False))
@dataset_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Model blob (.fxm).")
@click.option("--c-array", type=click.Path(dir_okay=False), help="Also write the blob as a C source file.")
@click.option("--percentile", default=100.0, show_default=True, help="Activation range percentile for calibration.")
def command(float_model, dataset, csv_path, test_csv, window_len, hop_len, seed, output, c_array, percentile):
    """Quantize FLOAT_MODEL (.npz from `fxclass train`) with per-channel int8 weights."""
    fm = FloatModel.load(float_model)
    window_len, hop_len = model_windows(window_len, hop_len, fm.window_len, fm.hop_len, dataset)
    calibration = load_split("train", dataset, csv_path, window_len, hop_len, seed, test_csv,
                             class_names=fm.class_names, counts_per_unit=fm.counts_per_unit)
    qm = quantize(fm, calibration.windows, percentile)
    blob = fxm.pack(qm)
    Path(output).write_bytes(blob)
    click.echo(f"model 0x{qm.model_id:08x}: {qm.macs()} MACs, {len(blob)} bytes -> {output}")
    if c_array:
        Path(c_array).write_text(fxm.c_array(blob))
        click.echo(f"C array -> {c_array}")
