"""The fxclass command line: one module per command, each a thin layer over the library."""
from __future__ import annotations

import sys

import click

from .. import __version__
from ..errors import FxError
from . import (bench, build, eval as eval_cmd, flash, info, live, ports, quantize, record, run, sim, train, upload,
               validate)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fxclass")
def cli():
    """Train, quantize and run fixed-point sensor classifiers on STM32F4 boards and in QEMU."""


for module in (ports, build, flash, sim, info, upload, run, validate, bench, record, live, train, quantize, eval_cmd):
    cli.add_command(module.command)


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="fxclass", standalone_mode=False)
    except FxError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
