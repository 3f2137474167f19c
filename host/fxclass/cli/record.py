"""fxclass record: labelled samples from the board's own sensor, appended to a CSV recording."""
from __future__ import annotations

import time

import click
from tqdm import tqdm

from ..data.recording import RecordingWriter
from ..device import protocol as p
from ..device.sensor import IMU_CHANNEL_NAMES, SensorSession
from ..errors import DataError, LinkError
from .common import device_options, open_device
from .params import FiniteFloatRange, class_label, output_file


@click.command("record")
@device_options
@click.option("--label", required=True, help="The class of what the sensor sees while recording.")
@click.option("--seconds", required=True, type=FiniteFloatRange(0.1, 86400), help="How long to record.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), callback=output_file(".csv"),
              help="CSV recording to append to (created with its rate, units and scale declared).")
@click.option("--recording", "recording_id", help="Id of this recording in the file (default: date and time).")
def command(target, label, seconds, output, recording_id):
    """Record the board's sensor for SECONDS as the model on the board sees it: its sample rate, its
    units and counts per unit, so that `fxclass train` reads the file back sample for sample."""
    label = class_label(label)
    recording_id = recording_id or time.strftime("%Y%m%d-%H%M%S")
    with open_device(target) as dev:
        session = SensorSession(dev, target.emulator)
        setup = session.start(p.MODE_RECORD)
        model = session.model_info
        rate = dev.info.sample_rate_hz
        writer = RecordingWriter(output, IMU_CHANNEL_NAMES, rate, [c.unit for c in setup.channels],
                                 [c.counts_per_unit for c in setup.channels], recording_id)
        wanted = int(round(seconds * rate))
        click.echo(f"recording {label!r} for {seconds:g} s: {dev.info.sensor} at "
                   f"{setup.sensor_rate_millihertz / 1000:g} Hz, written at the model's {rate} Hz in "
                   f"{', '.join(sorted(set(c.unit for c in setup.channels)))} -> {output} (recording {recording_id})")
        try:
            with tqdm(total=wanted, unit="sample", disable=None, leave=False) as bar:
                for block in session.model_blocks(model, wanted, max(5.0, 2 * dev.timeout)):
                    writer.write(label, block)
                    bar.update(len(block))
        except KeyboardInterrupt:
            click.echo(f"interrupted: {writer.rows} samples were written to {output}", err=True)
            raise
        except (LinkError, DataError) as exc:
            click.echo(f"error: {exc}; {writer.rows} samples were written to {output}", err=True)
            raise SystemExit(exc.exit_code) from None
        finally:
            writer.close()
            session.stop()
        click.echo(f"{writer.rows} samples of {label!r} written to {output}"
                   + (f"; the sensor's FIFO lost {session.lost} samples" if session.lost else ""))
