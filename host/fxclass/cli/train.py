"""fxclass train: fit a float model (softmax regression or MLP) with numpy."""
from __future__ import annotations

import click
from tqdm import tqdm

from .. import train as training
from ..reference import FEATURE_SET_NAMES
from .data_options import dataset_options, load_split


@click.command("train")
@dataset_options
@click.option("--model", "kind", default="mlp", show_default=True, type=click.Choice(["mlp", "softmax"]))
@click.option("--hidden", default="32", show_default=True, help="MLP hidden widths, comma-separated.")
@click.option("--epochs", default=400, show_default=True)
@click.option("--lr", default=0.01, show_default=True)
@click.option("--features", default="stats8", show_default=True, type=click.Choice(sorted(FEATURE_SET_NAMES)),
              help="stats8: 4 segment sums + 4 statistics per channel; stats16: 12 + 4.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Float model file (.npz).")
def command(dataset, csv_path, window_len, hop_len, seed, kind, hidden, epochs, lr, features, output):
    """Train on the train split and report train and test accuracy."""
    train_ws = load_split("train", dataset, csv_path, window_len, hop_len, seed)
    test_ws = load_split("test", dataset, csv_path, window_len, hop_len, seed)
    widths = () if kind == "softmax" else tuple(int(w) for w in hidden.split(",") if w.strip())
    window_hop = hop_len if dataset != "basicmotions" else train_ws.windows.shape[1] // 2
    with tqdm(total=epochs, unit="epoch", disable=None, leave=False) as bar:
        fm = training.train(train_ws, widths, epochs, lr, seed=seed, hop_len=window_hop,
                            progress=lambda step: bar.update(1), feature_set=FEATURE_SET_NAMES[features])
    fm.meta["dataset"] = dataset
    fm.save(output)
    click.echo(f"{kind} {list(widths)} on {dataset}: train accuracy "
               f"{100 * training.accuracy(fm.predict(train_ws.windows), train_ws.labels):.1f} %, test accuracy "
               f"{100 * training.accuracy(fm.predict(test_ws.windows), test_ws.labels):.1f} % -> {output}")
