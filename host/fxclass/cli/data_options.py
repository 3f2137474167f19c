"""Dataset options shared by train, quantize and eval."""
from __future__ import annotations

import click

from .. import datasets


def dataset_options(func):
    func = click.option("--seed", default=0, show_default=True, help="Seed for the split and the synthetic data.")(func)
    func = click.option("--hop-len", default=64, show_default=True, help="CSV and synthetic: samples between windows.")(func)
    func = click.option("--window-len", default=128, show_default=True, help="CSV and synthetic: samples per window.")(func)
    func = click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="With --dataset csv: the recording.")(func)
    func = click.option("--dataset", default="basicmotions", show_default=True,
                        type=click.Choice(["basicmotions", "synthetic", "csv"]))(func)
    return func


def load_split(split, dataset, csv_path, window_len, hop_len, seed):
    return datasets.load(dataset, split, csv_path=csv_path, window_len=window_len, hop_len=hop_len, seed=seed)
