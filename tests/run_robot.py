"""Runs the Robot Framework suites of renode/ for `make test`: over QEMU always, and in Renode, for
each Nucleo board, wherever a Renode is found ($FXCLASS_RENODE, or `renode` on PATH).

Which Renode suites run on which board: by default every suite runs once, the console suite on each
board (its tests are the board's own: name, clock, image) and the others shared out between the two
(RENODE_SPLIT), since both boards run them on the same Renode models (USART, I2C and LSM6DSO, flash
controller, IWDG, GPIO) with the same application code, and twice the work would find nothing more.
--all-suites runs every suite on every board (`make test-robot`), as does naming a board with
--board.

The runs go side by side, each in emulators of its own (renode-test and the keywords take free
ports; every recording is written in a folder of its own), so the wall time is that of the longest
run, not their sum. Reports go to OUTPUT/qemu and OUTPUT/renode-BOARD, each run's console to
OUTPUT/<run>.log (its end is printed when the run fails). Without Renode the Renode run is reported
as not run, with how to get one, in the summary and in OUTPUT/renode-NOT-RUN.txt. Exits 1 when any
suite fails."""
from __future__ import annotations

import argparse
import fcntl
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QEMU_SUITES = ["renode/fxclass.robot"]
RENODE_SUITES = ["renode/fxclass.robot", "renode/resilience.robot", "renode/sensor.robot", "renode/standalone.robot"]
# Each suite once, the console suite on both boards; about the same Renode time for each board.
RENODE_SPLIT = {
    "nucleo_f446re": ["renode/fxclass.robot", "renode/resilience.robot", "renode/sensor.robot"],
    "nucleo_f411re": ["renode/fxclass.robot", "renode/standalone.robot"],
}
FAILED_LOG_LINES = 60


@dataclass
class Run:
    name: str
    log: Path
    process: subprocess.Popen
    started_s: float
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.process.returncode == 0


def start(name: str, log: Path, cmd: list[str], env: dict[str, str] | None = None) -> Run:
    print(f"== Robot suites, {name}: {' '.join(cmd)}\n   console: {log}", flush=True)
    with log.open("wb") as out:  # the child keeps its own descriptor
        # A process group of its own: stopping the run stops the emulators renode-test started too.
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return Run(name, log, process, time.monotonic())


def wait_all(runs: list[Run]) -> None:
    """Waits for every run, saying each one's result as it ends; on Ctrl-C (or any error here) the runs
    still going are ended, process group and all."""
    pending = list(runs)
    try:
        while pending:
            for run in [r for r in pending if r.process.poll() is not None]:
                run.seconds = time.monotonic() - run.started_s
                pending.remove(run)
                print(f"== Robot suites, {run.name}: {'passed' if run.ok else 'FAILED'} ({run.seconds:.0f} s)",
                      flush=True)
                if not run.ok:
                    tail = run.log.read_text(errors="replace").splitlines()[-FAILED_LOG_LINES:]
                    print("\n".join(f"   | {line}" for line in tail), flush=True)
            time.sleep(0.5)
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for run in pending:
                try:
                    os.killpg(run.process.pid, sig)
                except ProcessLookupError:
                    pass
            for run in list(pending):
                try:
                    run.process.wait(timeout=10)
                    pending.remove(run)
                except subprocess.TimeoutExpired:
                    pass


def main() -> int:
    sys.path.insert(0, str(ROOT / "host"))
    from fxclass.errors import ToolError
    from fxclass.emu.renode import RENODE_BOARDS, find_renode_test

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "robot")
    parser.add_argument("--backend", choices=("all", "qemu", "renode"), default="all")
    parser.add_argument("--board", action="append", choices=RENODE_BOARDS,
                        help="Renode boards, each running every suite (default: all, the suites shared out)")
    parser.add_argument("--all-suites", action="store_true", help="every Renode suite on every board")
    args = parser.parse_args()
    out = args.output.resolve()
    out.mkdir(parents=True, exist_ok=True)
    # renode-test deletes and rewrites its result files in the folder: a second run into the same
    # folder (make test-robot while make test runs) would fail both, so it waits for the first.
    lock = (out / ".lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"== Robot suites: another run is writing to {out}; waiting for it to end", flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
    runs = []
    if args.backend in ("all", "qemu"):
        runs.append(start("QEMU netduinoplus2", out / "qemu.log",
                          [sys.executable, "-m", "robot", "--outputdir", str(out / "qemu"), "--pythonpath", "renode",
                           "--variable", "BACKEND:qemu", *QEMU_SUITES]))
    not_run = out / "renode-NOT-RUN.txt"
    not_run.unlink(missing_ok=True)
    if args.backend in ("all", "renode"):
        try:
            renode_test = find_renode_test()
        except ToolError as exc:
            not_run.write_text(f"The Renode suites did not run: {exc}\n")
            print(f"== Robot suites, Renode: NOT RUN. {exc}", flush=True)
        else:
            # renode-test runs Robot in the `python3` it finds first on PATH: this one, which has fxclass.
            env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
            for board in args.board or RENODE_BOARDS:
                suites = RENODE_SUITES if args.all_suites or args.board else RENODE_SPLIT[board]
                runs.append(start(f"Renode {board}", out / f"renode-{board}.log",
                                  [str(renode_test), "-r", str(out / f"renode-{board}"), "--variable", f"BOARD:{board}",
                                   *suites], env))
    wait_all(runs)
    for run in runs:
        print(f"   {run.name}: {'passed' if run.ok else 'FAILED'} ({run.seconds:.0f} s)")
    if not_run.exists():
        print(f"   Renode: NOT RUN (see {not_run.relative_to(ROOT) if not_run.is_relative_to(ROOT) else not_run})")
    return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
