"""fxclass quantize: calibrate on training data and write the int8 .fxm blob (and a C array)."""
from __future__ import annotations

import zlib
from pathlib import Path

import click

from ..errors import DataError, ModelFormatError, file_error
from ..model import fxm
from ..data.datasets import split_known
from ..model.decide import MAX_DECISION_HOPS, Decision
from ..model.openset import calibrate, describe
from ..model.quantize import agreement, quantize, quantize_best
from ..model.train import FloatModel
from .params import FiniteFloatRange, output_file
from .data_options import dataset_options, load_split, model_windows


def _calibration_source(dataset: str, csv_path: str | None, test_csv: str | None, seed: int) -> str:
    """Where the calibration windows come from, when that is not plain: the train side of a split."""
    if dataset == "csv" and test_csv is None:
        return (f": the train side of {csv_path}'s seeded split (--seed {seed}), the windows train used; "
                "--test-csv FILE makes all of --csv the calibration data")
    return ""


@click.command("quantize")
@click.argument("float_model", type=click.Path(exists=True, dir_okay=False))
@dataset_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), callback=output_file(),
              help="Model blob (.fxm).")
@click.option("--c-array", type=click.Path(dir_okay=False), callback=output_file(), help="Also write the blob as a C source file.")
@click.option("--percentile", type=FiniteFloatRange(50, 100), default=None,
              help="Activation range percentile for calibration (default: the one of 100, 99.99 .. 95 whose integer "
                   "model agrees best with the float model on the calibration windows).")
@click.option("--unknown", is_flag=True,
              help="Calibrate per-class thresholds and radii on the training windows, so that the firmware calls "
                   "a window unknown when it lies outside every class or the model hesitates (README: Steady "
                   "decisions and unknown).")
@click.option("--unknown-percentile", type=click.FloatRange(50, 100), default=99.0, show_default=True,
              help="With --unknown: the share of each class's training windows that the radii and thresholds let "
                   "through.")
@click.option("--hops", type=click.IntRange(1, MAX_DECISION_HOPS), default=None,
              help=f"Decisions: average the probabilities over this many hops, 1 .. {MAX_DECISION_HOPS} (default 1, "
                   "or 3 with --unknown).")
@click.option("--votes", type=click.IntRange(1, MAX_DECISION_HOPS), default=None,
              help="Decisions: wins of the last --hops a class needs (default: a majority of them).")
@click.option("--dwell", type=click.IntRange(1, 255), default=None,
              help="Decisions: hops a new decision must hold before it is reported (default 1, or 2 with --unknown).")
def command(float_model, dataset, csv_path, test_csv, window_len, hop_len, seed, output, c_array, percentile, unknown,
            unknown_percentile, hops, votes, dwell):
    """Quantize FLOAT_MODEL (.npz from `fxclass train`) with per-channel int8 weights."""
    fm = FloatModel.load(float_model)
    window_len, hop_len = model_windows(window_len, hop_len, fm.window_len, fm.hop_len, dataset)
    # Windows of classes the model was trained without (train --leave-out) calibrate nothing.
    calibration = split_known(load_split("train", dataset, csv_path, window_len, hop_len, seed, test_csv,
                                         counts_per_unit=fm.counts_per_unit, units=fm.units), fm.class_names)[0]
    if len(calibration) == 0:
        raise DataError("no calibration windows: give the data the model was trained on")
    try:
        if percentile is None:
            qm, percentile, agree = quantize_best(fm, calibration.windows)
        else:
            qm = quantize(fm, calibration.windows, percentile)
            agree = agreement(fm, qm, calibration.windows)
    except ValueError as exc:
        raise ModelFormatError(f"{float_model} cannot be quantized: {exc} (is the float model trained on data of "
                               "at least two classes?)") from None
    settings = decision_settings(unknown, hops, votes, dwell)
    if settings is not None:
        hops, votes, dwell = settings
        qm.decision = calibrate(qm, calibration.windows, calibration.labels, unknown_percentile, hops, votes, dwell) \
            if unknown else Decision(hops, votes, dwell)
        qm.model_id = 0
        qm.model_id = zlib.crc32(fxm.pack(qm)[:-4])
    blob = fxm.pack(qm)
    if len(blob) > fxm.MAX_MODEL_BYTES:
        raise ModelFormatError(f"the model takes {len(blob)} bytes, the firmware's model buffer holds "
                               f"{fxm.MAX_MODEL_BYTES}: train with fewer hidden units or features")
    try:
        Path(output).write_bytes(blob)
    except OSError as exc:
        raise file_error(output, exc) from None
    source = _calibration_source(dataset, csv_path, test_csv, seed)
    click.echo(f"model 0x{qm.model_id:08x}: {qm.macs()} MACs, {len(blob)} bytes, calibrated at the "
               f"{percentile:g}th percentile ({100 * agree:.1f} % agreement with the float model on "
               f"{len(calibration)} calibration windows{source}) -> {output}")
    if qm.decision is not None:
        click.echo(describe(qm))
    if c_array:
        try:
            Path(c_array).write_text(fxm.c_array(blob))
        except OSError as exc:
            raise file_error(c_array, exc) from None
        click.echo(f"C array -> {c_array}")


def decision_settings(unknown: bool, hops, votes, dwell) -> tuple[int, int, int] | None:
    """The DECISION section's hops, votes and dwell from the options, or None for no section."""
    if not unknown and hops is None and votes is None and dwell is None:
        return None
    hops = hops or (3 if unknown else 1)
    votes = votes or hops // 2 + 1
    if votes > hops:
        raise click.BadParameter(f"{votes} votes of {hops} hops: a class can win at most --hops of them",
                                 param_hint="--votes")
    return hops, votes, dwell or (2 if unknown else 1)
