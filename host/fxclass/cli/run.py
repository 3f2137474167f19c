"""fxclass run: stream dataset windows or a CSV recording to the device and show the results."""
from __future__ import annotations

import click
import numpy as np
from tqdm import tqdm

from ..data import datasets
from ..data.recording import read_recording
from ..device.runner import ResultWriter, run_recording, run_windows, window_labels
from ..errors import DataError, LinkError
from ..model.evaluate import format_confusion
from ..model.train import confusion
from .common import ResultTable, device_options, ensure_model, load_model, open_device


@click.command("run")
@device_options
@click.option("--dataset", type=click.Choice(["basicmotions", "synthetic"]), help="Windows of a named dataset.")
@click.option("--split", default="test", show_default=True, type=click.Choice(["train", "test"]))
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="A raw recording to stream (README: CSV format).")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N windows.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False),
              help="The .fxm the device should run: uploaded to an emulator started with --sim, checked against a "
                   "board's; its counts per unit read a CSV of physical values.")
@click.option("--output", type=click.Path(dir_okay=False), help="Write results as they come (.jsonl or .csv).")
@click.option("--plot", type=click.Path(dir_okay=False), help="Draw probabilities over time and the confusion matrix (PNG).")
@click.option("--quiet", is_flag=True, help="No per-window lines, only the summary.")
def command(target, dataset, split, csv_path, limit, output, plot, quiet, model_path):
    """Classify windows on the device: a dataset split (INFER) or a recording (STREAM)."""
    if bool(dataset) == bool(csv_path):
        raise click.UsageError("give exactly one of --dataset or --csv")
    qm, blob = load_model(model_path) if model_path else (None, None)
    if csv_path:  # read the recording before touching the device: a bad file fails fast
        rec = read_recording(csv_path)
        samples = rec.counts(qm.counts_per_unit if qm is not None and rec.units is not None else None)
    with open_device(target) as dev:
        if qm is not None:
            ensure_model(dev, target, model_path, qm, blob)
        info = dev.info
        names = info.class_names
        sample_labels = None
        if csv_path and rec.labels is not None:
            lookup = {n.lower(): n for n in names}
            unknown = sorted({v for v in rec.labels if v.lower() not in lookup})
            if unknown:
                raise DataError(f"{csv_path}: labels {unknown} are not classes of the model on the device "
                                f"({', '.join(names)}); labels match class names ignoring case")
            sample_labels = [lookup[v.lower()] for v in rec.labels]
        click.echo(f"{info.board}: firmware {info.firmware_version}, model 0x{info.model_id:08x} "
                   f"({info.window_len} x {info.n_channels}, classes {', '.join(names)})")
        writer = ResultWriter(output, names) if output else None
        records = []
        table = ResultTable(names)
        try:
            if dataset:
                ws = datasets.load(dataset, split, window_len=info.window_len)
                if ws.windows.shape[1:] != (info.window_len, info.n_channels):
                    raise DataError(f"{dataset} windows are {ws.windows.shape[1:]}, the device's model takes "
                                    f"({info.window_len}, {info.n_channels}); upload a matching model")
                windows, labels = ws.windows[:limit], [ws.class_names[i] for i in ws.labels[:limit]]
                total, unit = len(windows), "window"
            else:
                if samples.shape[1] != info.n_channels:
                    raise DataError(f"{csv_path} has {samples.shape[1]} channels, the model takes {info.n_channels}")
                if limit:
                    samples = samples[:info.shape.samples_for(limit)]
                labels = window_labels(sample_labels, len(samples), info.shape)
                total, unit = info.shape.hops(len(samples)), "hop"
            if not quiet:
                click.echo(table.header())
            with tqdm(total=total, unit=unit, disable=None, leave=False) as bar:
                def show(rec):
                    records.append(rec)
                    if writer:
                        writer.write(rec)
                    bar.update(1)
                    if not quiet:
                        tqdm.write(table.row(rec))
                if dataset:
                    run_windows(dev, windows, labels, show)
                else:
                    run_recording(dev, samples, labels, show)
        except KeyboardInterrupt:
            click.echo(f"interrupted after {len(records)} results" + (f" (kept in {output})" if output else ""),
                       err=True)
            _summary(records, names, output, plot)
            raise SystemExit(130) from None
        except LinkError as exc:
            click.echo(f"error: {exc}; {len(records)} results were kept", err=True)
            _summary(records, names, output, plot)
            raise SystemExit(exc.exit_code) from None
        finally:
            if writer:
                writer.close()
        _summary(records, names, output, plot)


def _summary(records, names, output, plot):
    labelled = [r for r in records if r.label is not None]
    click.echo(f"{len(records)} results" + (f", written to {output}" if output else ""))
    if labelled:
        y_true = np.array([names.index(r.label) for r in labelled])
        y_pred = np.array([r.class_index for r in labelled])
        click.echo(f"accuracy: {100 * np.mean(y_true == y_pred):.1f} % ({int(np.sum(y_true == y_pred))}/{len(labelled)})")
        click.echo(format_confusion(confusion(y_pred, y_true, len(names)), names))
    if plot and records:
        from ..device.plot import plot_results
        plot_results(records, names, plot)
        click.echo(f"plot written to {plot}")
