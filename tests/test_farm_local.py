"""A local Jumpstarter farm of the two Renode boards, served here: two leases at once, and a lease lost.

`fxclass validate --lease` on both boards at the same time, each 0 windows different; then the
exporter of one board killed while `fxclass run --lease ... --output` streams to it: the command
ends with the lease-lost error and its exit code, and the results received before are in --output.
Needs Jumpstarter (`make farm-setup`) and Renode; `make farm-test` runs it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jumpstarter.config.exporter", reason="Jumpstarter is not installed (make farm-setup)")

from fxclass.data import datasets  # noqa: E402
from fxclass.emu.renode import find_renode  # noqa: E402
from fxclass.errors import LeaseError, ToolError  # noqa: E402
from fxclass.farm import local  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host" / "tools"))
import farm_local  # noqa: E402


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    try:
        find_renode()
    except ToolError as exc:
        pytest.skip(f"no Renode on this machine ({exc})")
    farm_local.prepare()
    inventory = tmp_path_factory.mktemp("farm") / "local.json"
    exporters = local.serve(sorted(local.EXPORTERS_DIR.glob("renode-*.yaml")), inventory)
    yield inventory, {e.labels["board"]: e for e in exporters}
    for e in exporters:
        local.stop(e)


def fxclass(inventory: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "fxclass", *args], env={**os.environ, local.ENV_FARM: str(inventory)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, **kw)


def test_two_leases_at_once_each_validate_bit_exact(farm):
    inventory, _ = farm
    # 30 s per reply, as the Robot suites give Renode: a bound on a lost reply, not the emulator's pace
    # on a loaded host, where two Renodes start at once.
    runs = {board: fxclass(inventory, "validate", "--lease", f"board={board}", "--dataset", "basicmotions",
                           "--timeout", "30")
            for board in ("nucleo_f446re", "nucleo_f411re")}
    for board, proc in runs.items():
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, f"{board}: {err}"
        assert "40 windows, 0 differ from the reference" in out


def long_recording(path: Path, repeats: int) -> Path:
    """BasicMotions' test windows one after another, repeats times: thousands of hops to stream."""
    samples = np.concatenate(list(datasets.basicmotions("test").windows) * repeats)
    with path.open("w") as f:
        f.write("acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n")
        f.writelines(",".join(str(v) for v in row) + "\n" for row in samples)
    return path


def test_a_lease_lost_mid_run_is_its_own_error_and_the_results_received_stay(farm, tmp_path):
    inventory, exporters = farm
    output = tmp_path / "results.jsonl"
    proc = fxclass(inventory, "run", "--lease", "board=nucleo_f446re", "--csv",
                   str(long_recording(tmp_path / "long.csv", 25)), "--output", str(output), "--quiet")
    deadline = time.monotonic() + 600
    while not (output.exists() and len(output.read_text().splitlines()) >= 20):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no results after 10 minutes"
        time.sleep(0.2)
    local.kill(exporters["nucleo_f446re"])
    out, err = proc.communicate(timeout=120)
    kept = [json.loads(line) for line in output.read_text().splitlines()]
    assert proc.returncode == LeaseError.exit_code == 8, err
    assert "the lease of renode-nucleo-f446re was lost: its exporter no longer answers" in err
    assert f"{len(kept)} results were kept" in err
    assert 20 <= len(kept) < 25 * 40 * 2, "the run was cut short, after the results seen"
    assert [r["index"] for r in kept] == list(range(len(kept)))
    assert f"{len(kept)} results, written to {output}" in out
