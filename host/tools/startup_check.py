"""Start-up check (`make startup-check`): `fxclass sim`, `record` and `live` with --renode, ROUNDS times each.

Each runs as a user would: from a fresh folder outside the checkout, with no FXCLASS_* variable set (Renode
is found beside the checkout). A run passes when the command starts, does its work and exits 0, and no
process it started is left once it has exited (Renode's launcher and mono, a watchdog: any process with
the run's STARTUP_CHECK_RUN in its environment). Prints one line per run and a summary per command; exit 1 if any failed.

python host/tools/startup_check.py [--rounds N] [--seconds S]
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fxclass.device.link import Device
from fxclass.firmware.build import REPO

RECORDING = REPO / "farm" / "recordings" / "imu-basicmotions.csv"
FXCLASS = Path(sys.executable).parent / "fxclass"
# Wall-clock limits for a whole run: Renode takes 20-30 s to start at a load average of 15 on 2 cores.
RUN_LIMIT_S = 600
STOP_LIMIT_S = 60
LEFTOVER_GRACE_S = 10


# Set in each run's environment, which every process the command starts inherits (Renode's launcher
# changes its working folder): how the processes a run left behind are told from other users'. fxclass
# does not read it.
MARKER = "STARTUP_CHECK_RUN"


def clean_environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FXCLASS_")}
    env[MARKER] = str(folder)
    return env


def processes_in(folder: Path) -> list[str]:
    """The live processes started by the run in folder: what it left behind."""
    marker = f"{MARKER}={folder}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == str(os.getpid()):
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{entry.name} {command[:120]}")
        except OSError:
            continue
    return found


def _ctrl_c_as_in_a_terminal() -> None:
    """A check run in the background (`make startup-check &`, nohup) inherits SIGINT ignored, and so
    would the command, which then never sees its Ctrl-C: give it the default a terminal gives."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_sim(folder: Path, seconds: float) -> str | None:
    """sim --renode: up until it prints its UART, INFO answered on it, then Ctrl-C: None or what failed."""
    proc = subprocess.Popen([str(FXCLASS), "sim", "--renode"], cwd=folder, env=clean_environment(folder),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=_ctrl_c_as_in_a_terminal)
    url, lines = None, []
    try:
        for line in proc.stdout:
            lines.append(line.rstrip())
            if line.startswith("UART: "):
                url = line.split()[1]
                break
        if url is None:
            proc.wait(STOP_LIMIT_S)
            return f"exit {proc.returncode} before its UART: {' | '.join(lines[-3:])}"
        with Device.open(url, timeout=60, boot_timeout=RUN_LIMIT_S) as dev:
            dev.request_info()
        time.sleep(seconds)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            rest, _ = proc.communicate(timeout=STOP_LIMIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            rest, _ = proc.communicate()
    if proc.returncode != 0:
        return f"exit {proc.returncode} after Ctrl-C: {rest.strip()[-200:]}"
    return None


def run_command(folder: Path, args: list[str]) -> str | None:
    proc = subprocess.run([str(FXCLASS), *args], cwd=folder, env=clean_environment(folder), capture_output=True,
                          text=True, timeout=RUN_LIMIT_S)
    if proc.returncode != 0:
        return f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-300:]}"
    return None


def one_run(command: str, seconds: float) -> tuple[str | None, float]:
    folder = Path(tempfile.mkdtemp(prefix=f"fxclass-startup-{command}-")).resolve()
    recording = folder / RECORDING.name
    shutil.copy(RECORDING, recording)
    started = time.perf_counter()
    try:
        if command == "sim":
            failed = run_sim(folder, seconds)
        elif command == "record":
            failed = run_command(folder, ["record", "--renode", "--imu-recording", recording.name, "--label", "walking",
                                          "--seconds", str(seconds), "-o", "recorded.csv"])
            if failed is None and len((folder / "recorded.csv").read_text().splitlines()) < 5:
                failed = "recorded.csv holds no samples"
        else:
            failed = run_command(folder, ["live", "--renode", "--imu-recording", recording.name, "--seconds",
                                          str(seconds), "--quiet"])
    except Exception as exc:  # a time-out or a link error of the check itself: a failed run, reported
        failed = f"{type(exc).__name__}: {exc}"
    took = time.perf_counter() - started
    left = processes_in(folder)
    if left and failed:  # a command killed by the check: its watchdog ends its emulator within a second or two
        time.sleep(LEFTOVER_GRACE_S)
        left = processes_in(folder)
    if left:
        failed = (failed + "; " if failed else "") + f"left behind: {'; '.join(left)}"
        for line in left:
            try:
                os.kill(int(line.split()[0]), signal.SIGKILL)
            except ProcessLookupError:
                pass
    shutil.rmtree(folder, ignore_errors=True)
    return failed, took


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=3.0, help="Sensor seconds per record/live run.")
    parser.add_argument("--commands", default="sim,record,live")
    args = parser.parse_args(argv)
    commands = args.commands.split(",")
    results: dict[str, list[tuple[str | None, float]]] = {c: [] for c in commands}
    for round_no in range(1, args.rounds + 1):
        for command in commands:
            load = os.getloadavg()[0]
            failed, took = one_run(command, args.seconds)
            results[command].append((failed, took))
            print(f"{command} {round_no}/{args.rounds}: {'ok' if failed is None else 'FAILED: ' + failed} in "
                  f"{took:.0f} s (load average {load:.1f})", flush=True)
    bad = 0
    for command, runs in results.items():
        times = [t for _, t in runs]
        passed = sum(f is None for f, _ in runs)
        bad += len(runs) - passed
        print(f"{command} --renode: {passed}/{len(runs)} started and finished, nothing left behind; "
              f"{statistics.median(times):.0f} s median, {max(times):.0f} s longest")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
