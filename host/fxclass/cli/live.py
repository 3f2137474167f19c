"""fxclass live: the board classifies its own sensor's samples; a line per hop as results come."""
from __future__ import annotations

import click

from ..device import protocol as p
from ..device.plot import PLOT_SUFFIXES, plot_results
from ..device.runner import Record, ResultWriter
from ..device.sensor import SensorSession
from ..errors import LinkError
from ..model import fxm
from .common import ResultTable, device_options, open_device
from .params import FiniteFloatRange, output_file


@click.command("live")
@device_options
@click.option("--seconds", type=FiniteFloatRange(0.1, 86400), help="Stop after this much sensor time (default: Ctrl-C).")
@click.option("--output", type=click.Path(dir_okay=False), callback=output_file(".jsonl", ".csv"), help="Write results as they come (.jsonl or .csv).")
@click.option("--plot", type=click.Path(dir_okay=False), callback=output_file(*PLOT_SUFFIXES),
              help="Draw the probabilities over time at the end (.png, .svg or .pdf).")
@click.option("--quiet", is_flag=True, help="No per-hop lines, only the summary.")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False),
              help="Upload this model first unless the board runs it already.")
def command(target, seconds, output, plot, quiet, model_path):
    """Classify what the board's sensor sees, with the model on the board: a result per hop."""
    model, blob = fxm.read(model_path) if model_path else (None, None)
    with open_device(target) as dev:
        if model is not None and dev.info.model_id != model.model_id:
            dev.upload(blob)
            click.echo(f"uploaded model 0x{model.model_id:08x} from {model_path}")
        info = dev.info
        names = info.class_names
        session = SensorSession(dev, target.emulator)
        setup = session.start(p.MODE_LIVE)
        click.echo(f"{info.board}: {info.sensor} at {setup.sensor_rate_millihertz / 1000:g} Hz -> model "
                   f"0x{info.model_id:08x} at {info.sample_rate_hz} Hz, a result every {info.hop_len} samples "
                   f"({info.shape.hop_seconds:g} s)")
        writer = ResultWriter(output, names) if output else None
        table = ResultTable(names)
        records: list[Record] = []
        if not quiet:
            click.echo(table.header())
        wanted = None if seconds is None else int(round(seconds * info.sample_rate_hz))
        try:
            for live in session.live_results(wanted, max(10.0, 2 * dev.timeout + info.shape.hop_seconds)):
                rec = session.record(live)
                records.append(rec)
                if writer:
                    writer.write(rec)
                if not quiet:
                    click.echo(table.row(rec))
                for message in session.take_messages():
                    click.echo(message, err=True)
        except KeyboardInterrupt:
            click.echo(f"interrupted after {len(records)} results", err=True)
            raise
        except LinkError as exc:
            click.echo(f"error: {exc}; {len(records)} results were kept", err=True)
            raise SystemExit(exc.exit_code) from None
        finally:
            if writer:
                writer.close()
            session.stop()
        missing = session.missing_hops
        click.echo(f"{len(records)} results" + (f", written to {output}" if output else "")
                   + (f"; {missing} hops missing" if missing else ""))
        if plot and records:
            plot_results(records, names, plot)
            click.echo(f"plot written to {plot}")
