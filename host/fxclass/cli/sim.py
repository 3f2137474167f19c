"""fxclass sim: boot the firmware in an emulator with its console UART on a local socket."""
from __future__ import annotations

import signal
import sys
import time

import click

from ..emu.emulator import Emulator
from ..emu.renode import ENV_RENODE


@click.command("sim")
@click.option("--board", help="Image to boot (default: netduinoplus2, which QEMU emulates; nucleo_f446re with "
                              "--renode, which also runs nucleo_f411re).")
@click.option("--renode", is_flag=True, help="Use Renode (renode/fxclass.resc) instead of QEMU.")
@click.option("--renode-path", type=click.Path(),
              help=f"Where Renode is: its folder or its `renode` launcher (default: ${ENV_RENODE}, else PATH, else "
                   "../renode or ../shared/renode beside the checkout).")
@click.option("--native", is_flag=True, help="Run the application natively on hal/host (`make native`) instead.")
@click.option("--elf", type=click.Path(dir_okay=False), help="Firmware ELF (default: firmware/build/BOARD/fxclass.elf).")
@click.option("--tcp-port", type=click.IntRange(1, 65535), help="Local TCP port for the UART (default: a free one).")
@click.option("--no-shield", is_flag=True, help="With --renode: the Nucleo alone, without the X-NUCLEO-IKS01A3.")
@click.option("--imu-recording", type=click.Path(exists=True, dir_okay=False),
              help="With --renode or --native: a CSV recording the emulated sensor plays (Renode: from the "
                   "start; native: from when LIVE or RECORD starts).")
def command(board, renode, renode_path, native, elf, tcp_port, no_shield, imu_recording):
    """Run until stopped (Ctrl-C); connect with --port socket://127.0.0.1:PORT."""
    if renode and native:
        raise click.UsageError("--renode and --native exclude each other")
    board = board or ("nucleo_f446re" if renode else "netduinoplus2")
    if imu_recording and not (renode or native):
        raise click.UsageError("--imu-recording plays to an emulated sensor: add --renode or --native")
    emu = Emulator(board, elf, renode, tcp_port, native=native, renode_path=renode_path, shield=not no_shield,
                   imu_recording=imu_recording).start()
    # `kill` (SIGTERM) stops it as cleanly as Ctrl-C: the emulator is stopped in the finally below,
    # whichever line the signal comes at.
    try:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        emu.play_imu()
        click.echo(f"{emu.program} is running {emu.elf}")
        click.echo(f"UART: {emu.url}")
        click.echo("the firmware boots when the first client connects; Ctrl-C stops" if not renode else "Ctrl-C stops")
        while emu.group.poll() is None:
            time.sleep(0.2)
        click.echo(f"emulator exited with status {emu.proc.returncode}", err=True)
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
