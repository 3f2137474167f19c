"""The fxclass command line: one module per command, each a thin layer over the library."""
from __future__ import annotations

import signal
import sys
import threading
import traceback

import click

from .. import __version__
from ..errors import FxError, file_error
from . import (bench, build, config, eval as eval_cmd, flash, forget, info, live, ports, quantize, record, run, sim,
               train, upload, validate)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fxclass")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an error (for reporting a bug).")
def cli(debug):
    """Train, quantize and run fixed-point sensor classifiers on STM32F4 boards and in QEMU."""


for module in (ports, build, flash, sim, info, upload, config, forget, run, validate, bench, record, live, train, quantize,
               eval_cmd):
    cli.add_command(module.command)


def _terminated(signum, frame):
    """SIGTERM (`kill`, a CI runner's cancel): leave as Ctrl-C does, through every finally, which stops
    the emulators this command started."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    try:
        cli.main(args=args, prog_name="fxclass", standalone_mode=False)
    except FxError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except OSError as exc:  # a file no writer of the library wrapped: a full disk, a missing folder, /proc
        if debug:
            traceback.print_exc()
        error = file_error(exc.filename or "a file", exc, "use")
        click.echo(f"error: {error}", err=True)
        return error.exit_code
    except Exception as exc:  # a bug, not bad input: say so in one line, the traceback on request
        if debug:
            traceback.print_exc()
        click.echo(f"error: internal error ({type(exc).__name__}: {exc}); run with --debug for the traceback "
                   "and report it", err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
