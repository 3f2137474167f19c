"""A local Jumpstarter farm of the Renode boards, without a controller, for `make farm-local` and `make farm-test`.

Writes the exporters' IMU recording (build/farm/imu.resd, from farm/recordings/imu-basicmotions.csv),
serves farm/exporters/renode-*.yaml with `jmp run --tls-grpc-listener` (Jumpstarter's standalone
mode) and writes the inventory build/farm/local.json that $FXCLASS_FARM names. `serve` runs until
Ctrl-C; `run -- COMMAND...` runs one command with $FXCLASS_FARM set, then stops the farm."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FARM_BUILD = ROOT / "build" / "farm"
INVENTORY = FARM_BUILD / "local.json"
RECORDING = ROOT / "farm" / "recordings" / "imu-basicmotions.csv"


def prepare() -> None:
    """The images the exporters boot and the recording they play."""
    from fxclass.data.recording import read_recording
    from fxclass.emu.imu import write_resd
    from fxclass.emu.renode import RENODE_BOARDS, tools_dir

    for board in RENODE_BOARDS:
        subprocess.run(["make", "-s", "-C", str(ROOT / "firmware"), f"BOARD={board}"], check=True,
                       stdout=subprocess.DEVNULL)
    FARM_BUILD.mkdir(parents=True, exist_ok=True)
    write_resd(read_recording(RECORDING), FARM_BUILD / "imu.resd", tools_dir())


def main() -> int:
    sys.path.insert(0, str(ROOT / "host"))
    from fxclass.errors import FxError
    from fxclass.farm import local

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=("serve", "run"))
    parser.add_argument("--exporter", action="append", type=Path,
                        help="exporter configs (default: farm/exporters/renode-*.yaml)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    configs = args.exporter or sorted(local.EXPORTERS_DIR.glob("renode-*.yaml"))
    try:
        prepare()
        started = time.monotonic()
        exporters = local.serve(configs, INVENTORY)
    except (FxError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 7
    print(f"local farm: {', '.join(f'{e.name} at {e.address}' for e in exporters)} "
          f"({time.monotonic() - started:.0f} s); {local.ENV_FARM}={INVENTORY}", flush=True)
    try:
        if args.action == "serve":
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            try:
                signal.pause()
            except KeyboardInterrupt:
                return 0
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        return subprocess.run(command, env={**os.environ, local.ENV_FARM: str(INVENTORY)}).returncode
    finally:
        for e in exporters:
            local.stop(e)


if __name__ == "__main__":
    sys.exit(main())
