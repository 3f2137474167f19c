"""fxclass sim: boot the firmware in an emulator with its console UART on a local socket."""
from __future__ import annotations

import signal
import sys
import time

import click

from ..sim import Emulator, ENV_RENODE


@click.command("sim")
@click.option("--board", help="Image to boot (default: netduinoplus2, which QEMU emulates; nucleo_f446re with "
                              "--renode, which also runs nucleo_f411re).")
@click.option("--renode", is_flag=True, help="Use Renode (renode/fxclass.resc) instead of QEMU.")
@click.option("--renode-path", type=click.Path(),
              help=f"Where Renode is: its folder or its `renode` launcher (default: ${ENV_RENODE}, else PATH).")
@click.option("--native", is_flag=True, help="Run the application natively on hal/host (`make native`) instead.")
@click.option("--elf", type=click.Path(dir_okay=False), help="Firmware ELF (default: firmware/build/BOARD/fxclass.elf).")
@click.option("--tcp-port", type=click.IntRange(1, 65535), help="Local TCP port for the UART (default: a free one).")
def command(board, renode, renode_path, native, elf, tcp_port):
    """Run until stopped (Ctrl-C); connect with --port socket://127.0.0.1:PORT."""
    if renode and native:
        raise click.UsageError("--renode and --native exclude each other")
    board = board or ("nucleo_f446re" if renode else "netduinoplus2")
    emu = Emulator(board, elf, renode, tcp_port, native=native, renode_path=renode_path).start()
    click.echo(f"{emu.program} is running {emu.elf}")
    click.echo(f"UART: {emu.url}")
    click.echo("the firmware boots when the first client connects; Ctrl-C stops" if not renode else "Ctrl-C stops")
    # `kill` (SIGTERM) stops it as cleanly as Ctrl-C: the emulator is stopped in the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while emu.proc.poll() is None:
            time.sleep(0.2)
        click.echo(f"emulator exited with status {emu.proc.returncode}", err=True)
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
