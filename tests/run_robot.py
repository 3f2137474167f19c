"""Runs the Robot Framework suites of renode/ for `make test`: over QEMU always, and in Renode, for
each Nucleo board, wherever a Renode is found ($FXCLASS_RENODE, or `renode` on PATH). Reports go to
OUTPUT/qemu and OUTPUT/renode-BOARD. Without Renode the Renode run is reported as not run, with how to
get one, in the summary and in OUTPUT/renode-NOT-RUN.txt. Exits 1 when any suite fails."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QEMU_SUITES = ["renode/fxclass.robot"]
RENODE_SUITES = ["renode/fxclass.robot", "renode/resilience.robot", "renode/sensor.robot", "renode/standalone.robot"]


def run(name: str, cmd: list[str], env: dict[str, str] | None = None) -> tuple[str, bool, float]:
    print(f"== Robot suites, {name}: {' '.join(cmd)}", flush=True)
    start = time.monotonic()
    ok = subprocess.run(cmd, cwd=ROOT, env=env).returncode == 0
    return name, ok, time.monotonic() - start


def main() -> int:
    sys.path.insert(0, str(ROOT / "host"))
    from fxclass.errors import ToolError
    from fxclass.emu.renode import RENODE_BOARDS, find_renode_test

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "robot")
    parser.add_argument("--backend", choices=("all", "qemu", "renode"), default="all")
    parser.add_argument("--board", action="append", choices=RENODE_BOARDS, help="Renode boards (default: all)")
    args = parser.parse_args()
    out = args.output.resolve()
    out.mkdir(parents=True, exist_ok=True)
    results = []
    if args.backend in ("all", "qemu"):
        results.append(run("QEMU netduinoplus2", [sys.executable, "-m", "robot", "--outputdir", str(out / "qemu"),
                                                  "--pythonpath", "renode", "--variable", "BACKEND:qemu",
                                                  *QEMU_SUITES]))
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
                results.append(run(f"Renode {board}", [str(renode_test), "-r", str(out / f"renode-{board}"),
                                                       "--variable", f"BOARD:{board}", *RENODE_SUITES], env))
    for name, ok, seconds in results:
        print(f"   {name}: {'passed' if ok else 'FAILED'} ({seconds:.0f} s)")
    if not_run.exists():
        print(f"   Renode: NOT RUN (see {not_run.relative_to(ROOT) if not_run.is_relative_to(ROOT) else not_run})")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
