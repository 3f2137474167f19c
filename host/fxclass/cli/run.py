"""fxclass run: stream dataset windows or a CSV recording to the device and show the results."""
from __future__ import annotations

import click
from tqdm import tqdm

from ..data import datasets
from ..data.recording import read_recording
from ..device.plot import PLOT_SUFFIXES, plot_results
from ..device.runner import ResultWriter, dataset_windows, recording_hops, run_recording, run_windows, score
from ..errors import DataError, LinkError
from ..model import fxm
from ..model.evaluate import format_confusion
from .common import ResultTable, device_options, ensure_model, open_device
from .params import output_file


@click.command("run")
@device_options
@click.option("--dataset", type=click.Choice([d for d in datasets.DATASETS if d != "csv"]), help="Windows of a named dataset.")
@click.option("--split", default="test", show_default=True, type=click.Choice(["train", "test"]))
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="A raw recording to stream (README: CSV format).")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N windows.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False),
              help="The .fxm the device should run: uploaded to an emulator started with --sim, checked against a "
                   "board's; its counts per unit read a CSV of physical values.")
@click.option("--output", type=click.Path(dir_okay=False), callback=output_file(".jsonl", ".csv"),
              help="Write results as they come (.jsonl or .csv).")
@click.option("--plot", type=click.Path(dir_okay=False), callback=output_file(*PLOT_SUFFIXES),
              help="Draw probabilities over time and the confusion matrix (.png, .svg or .pdf).")
@click.option("--quiet", is_flag=True, help="No per-window lines, only the summary.")
def command(target, dataset, split, csv_path, limit, output, plot, quiet, model_path):
    """Classify windows on the device: a dataset split (INFER) or a recording (STREAM)."""
    if bool(dataset) == bool(csv_path):
        raise click.UsageError("give exactly one of --dataset or --csv")
    qm, blob = fxm.read(model_path) if model_path else (None, None)
    if csv_path:  # read the recording before touching the device: a bad file fails fast
        rec = read_recording(csv_path)
        if qm is None and rec.units is not None and rec.counts_per_unit is None:
            raise DataError(f"{csv_path} holds physical values ({', '.join(rec.units)}) but no counts per unit: declare "
                            "`# counts_per_unit: ...` in the file, or give --model M.fxm, whose counts per unit turn "
                            "them into the model's counts")
        samples = rec.counts(qm.counts_per_unit if qm is not None and rec.units is not None else None)
    with open_device(target) as dev:
        if qm is not None:
            ensure_model(dev, target, model_path, qm, blob)
        info = dev.info
        names = info.class_names
        sample_labels = None
        if csv_path and rec.labels is not None:
            sample_labels = datasets.match_labels(rec.labels, names, csv_path, "the model on the device")
        click.echo(f"{info.board}: firmware {info.firmware_version}, model 0x{info.model_id:08x} "
                   f"({info.window_len} x {info.n_channels}, classes {', '.join(names)})")
        writer = ResultWriter(output, names) if output else None
        records = []
        table = ResultTable(names)
        try:
            if dataset:
                ws = datasets.load(dataset, split, window_len=info.window_len)
                windows, labels = dataset_windows(info.shape, ws, dataset, limit)
                total, unit = len(windows), "window"
            else:
                samples, labels, total = recording_hops(info.shape, samples, sample_labels, csv_path, limit)
                unit = "hop"
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
            _summary(records, names, output, plot, partial=True)
            raise SystemExit(130) from None
        except LinkError as exc:
            click.echo(f"error: {exc}; {len(records)} results were kept", err=True)
            _summary(records, names, output, plot, partial=True)
            raise SystemExit(exc.exit_code) from None
        finally:
            if writer:
                writer.close()
        _summary(records, names, output, plot)


def _summary(records, names, output, plot, partial=False):
    click.echo(f"{len(records)} results" + (f", written to {output}" if output else ""))
    scored = score(records, names)
    if scored:
        click.echo(f"accuracy{' of the results received before the run stopped (incomplete)' if partial else ''}: "
                   f"{100 * scored.accuracy:.1f} % ({scored.correct}/{scored.labelled})")
        click.echo(format_confusion(scored.confusion, names))
    if plot and records:
        plot_results(records, names, plot)
        click.echo(f"plot written to {plot}")
