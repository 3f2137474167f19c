"""fxclass train: fit a float model (softmax regression or MLP) with numpy."""
from __future__ import annotations

import click
import numpy as np
from tqdm import tqdm

from ..data import datasets
from ..errors import DataError, ModelFormatError, UsageError, file_error
from ..model import select as selecting
from ..model import train as training
from ..model.fxm import MAX_MODEL_BYTES, check_firmware_limits
from ..model.quantize import model_bytes, widest_that_fits
from ..model.features import BY_NAME as FEATURE_SETS
from .params import FiniteFloatRange, output_file
from .data_options import dataset_options, load_split, scale_options


DEFAULT_HIDDEN = "32"


def _widths(kind: str, hidden: str) -> tuple[int, ...]:
    if kind == "softmax":
        return ()
    try:
        widths = tuple(int(w) for w in hidden.split(",") if w.strip())
    except ValueError:
        raise click.BadParameter(f"{hidden!r}: give hidden widths as numbers separated by commas, such as 24 or 32,16",
                                 param_hint="--hidden") from None
    if not widths or any(w < 1 for w in widths):
        raise click.BadParameter(f"{hidden!r}: every hidden layer needs at least one unit (--model softmax has none)",
                                 param_hint="--hidden")
    return widths


def _fitting(data, widths: tuple[int, ...], feature_set: int, hop_len: int, given: str | None) -> tuple[int, ...]:
    """The hidden widths to train: the default narrowed until the blob fits the firmware's model buffer;
    widths that were given, checked, so that no time goes into training a model `quantize` refuses."""
    if given is None:
        return widest_that_fits(data, widths, feature_set, hop_len)
    size = model_bytes(data, widths, feature_set, hop_len)
    if size > MAX_MODEL_BYTES:
        raise ModelFormatError(f"hidden layers {','.join(map(str, widths))} on these features make a {size}-byte "
                               f"model, the firmware holds {MAX_MODEL_BYTES}: give a smaller --hidden (or fewer "
                               "features: --features, --window-len)")
    return widths


@click.command("train")
@dataset_options
@scale_options
@click.option("--model", "kind", default="mlp", show_default=True, type=click.Choice(["mlp", "softmax"]))
@click.option("--hidden", default=None, show_default="32, or the widest under it that fits the firmware",
              help="MLP hidden widths, comma-separated.")
@click.option("--epochs", default=400, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--lr", default=0.01, show_default=True, type=FiniteFloatRange(1e-9, 10))
@click.option("--features", default="stats8", show_default=True, type=click.Choice([*sorted(FEATURE_SETS), "auto"]),
              help="A feature set (README: Your own data), or auto: each set, its options and a softmax, 16- or "
                   "32-unit head compared by cross-validation on the training data, within the board's limits "
                   "(--model and --hidden are then not used).")
@click.option("--instr-budget", type=click.IntRange(1), default=None,
              help="With --features auto: at most this many estimated Cortex-M4 instructions per inference.")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 50),
              help="With --features auto: cross-validation folds.")
@click.option("--leave-out", multiple=True, metavar="CLASS",
              help="Train without the windows of CLASS (repeatable): `eval` then counts how many of them come out "
                   "unknown (README: Steady decisions and unknown).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), callback=output_file(),
              help="Float model file (.npz).")
def command(dataset, csv_path, test_csv, window_len, hop_len, seed, counts_per_unit, units, sample_rate_hz, kind,
            hidden, epochs, lr, features, instr_budget, folds, leave_out, output):
    """Train on the train split (or --csv) and report train and test accuracy."""
    widths = _widths(kind, hidden or DEFAULT_HIDDEN)
    if dataset in datasets.WHOLE_WINDOW_DATASETS and (window_len or hop_len):
        raise click.UsageError(f"{dataset} comes in whole windows: --window-len and --hop-len are for csv and synthetic")
    if instr_budget is not None and features != "auto":
        raise click.UsageError("--instr-budget goes with --features auto")
    window_len = window_len or 128
    hop_len = hop_len or max(1, window_len // 2)
    auto = features == "auto"
    feature_set = None if auto else FEATURE_SETS[features].number
    try:  # what the options alone decide, before any data is read or generated
        check_firmware_limits(window_len, 1, feature_set, () if auto else widths, 2)
    except ModelFormatError as exc:
        raise UsageError(str(exc)) from None
    train_ws = load_split("train", dataset, csv_path, window_len, hop_len, seed, test_csv,
                          counts_per_unit=counts_per_unit, sample_rate_hz=sample_rate_hz, units=units)
    if leave_out:
        train_ws = datasets.leave_out(train_ws, list(leave_out))
    check_firmware_limits(train_ws.windows.shape[1], train_ws.windows.shape[2], feature_set, () if auto else widths,
                          len(train_ws.class_names), train_ws.class_names)
    window_hop = hop_len if dataset not in datasets.WHOLE_WINDOW_DATASETS else train_ws.windows.shape[1] // 2
    if not auto:
        widths = _fitting(train_ws, widths, feature_set, window_hop, hidden)
    present = sorted(set(train_ws.labels.tolist()))
    if len(present) < 2:
        name = train_ws.class_names[present[0]] if present else "none"
        raise DataError(f"all {len(train_ws)} training windows are of one class ({name}): a classifier needs windows "
                        "of at least two classes")
    test_ws = load_split("test", dataset, csv_path, window_len, hop_len, seed, test_csv,
                         class_names=None if leave_out else train_ws.class_names,
                         counts_per_unit=train_ws.counts_per_unit, sample_rate_hz=sample_rate_hz, units=train_ws.units)
    if leave_out:
        test_ws = datasets.split_known(test_ws, train_ws.class_names)[0]
    if auto:
        fm, selection = selecting.train_auto(train_ws, n_folds=folds, seed=seed, epochs=epochs, lr=lr,
                                             instr_budget=instr_budget, hop_len=window_hop,
                                             progress=lambda line: click.echo(line, err=True))
        click.echo(selection.table())
        click.echo(f"chosen: {selection.summary()['chosen']}: {selection.reason}")
        widths, kind = selection.chosen.candidate.hidden, "mlp" if selection.chosen.candidate.hidden else "softmax"
    else:
        with tqdm(total=epochs, unit="epoch", disable=None, leave=False) as bar:
            fm = training.train(train_ws, widths, epochs, lr, seed=seed, hop_len=window_hop,
                                progress=lambda step: bar.update(1), feature_set=feature_set)
    fm.meta["dataset"] = dataset
    if leave_out:
        fm.meta["left out"] = ", ".join(leave_out)
    try:
        fm.save(output)
    except OSError as exc:
        raise file_error(output, exc) from None
    scale = ""
    if fm.units:
        scale = ", inputs " + ", ".join(sorted({f"{u} x {c:g}" for u, c in zip(fm.units, fm.counts_per_unit)}))
    click.echo(f"{kind} {list(widths)} on {dataset} ({len(train_ws)} train / {len(test_ws)} test windows of "
               f"{fm.window_len} samples, hop {fm.hop_len}, {fm.sample_rate_hz} Hz{scale}): train accuracy "
               f"{100 * training.accuracy(fm.predict(train_ws.windows), train_ws.labels):.1f} %, test accuracy "
               f"{100 * training.accuracy(fm.predict(test_ws.windows), test_ws.labels):.1f} % -> {output}")
