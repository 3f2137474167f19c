"""A local Jumpstarter farm of the two Renode boards, served here: two leases at once, leases lost, nothing left.

`fxclass validate --lease` on both boards at the same time, each 0 windows different, with the
default reply time-out (in Renode's own time, which the exporter reports); then the exporter of one
board killed (SIGKILL) while `fxclass run --lease ... --output` streams to it, and the other's while
`fxclass validate --lease` compares: each command ends with the lease-lost error and its exit code,
the results received before kept, and no Renode process of the dead exporter is left. And the
Renode driver's teardown, which ends a lease's session, ends its Renode whole.
Needs Jumpstarter (`make farm-setup`) and Renode; `make farm-test` runs it."""
from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

pytest.importorskip("jumpstarter.config.exporter", reason="Jumpstarter is not installed (make farm-setup)")

from fxclass.data import datasets  # noqa: E402
from fxclass.emu.process import group_pids  # noqa: E402
from fxclass.emu.renode import find_renode  # noqa: E402
from fxclass.errors import LeaseError, ToolError  # noqa: E402
from fxclass.farm import local  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GONE_WITHIN_S = 10.0  # a dead exporter's Renode: its watchdog wakes every second, then SIGKILL
sys.path.insert(0, str(ROOT / "host" / "tools"))
import farm_local  # noqa: E402


@pytest.fixture(scope="module")
def prepared():
    """Renode, the images the exporters boot and the recording they play."""
    try:
        find_renode()
    except ToolError as exc:
        pytest.skip(f"no Renode on this machine ({exc})")
    farm_local.prepare()


@pytest.fixture(scope="module")
def farm(prepared, tmp_path_factory):
    inventory = tmp_path_factory.mktemp("farm") / "local.json"
    exporters = local.serve(sorted(local.EXPORTERS_DIR.glob("renode-*.yaml")), inventory)
    yield inventory, {e.labels["board"]: e for e in exporters}
    for e in exporters:
        local.stop(e)


def fxclass(inventory: Path, *args: str, **kw) -> subprocess.Popen:
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kw}
    return subprocess.Popen([sys.executable, "-m", "fxclass", *args], env={**os.environ, local.ENV_FARM: str(inventory)},
                            text=True, cwd=ROOT, **pipes)


def test_two_leases_at_once_each_validate_bit_exact(farm):
    inventory, _ = farm
    # Both Renodes power up at once here, each slow on a loaded host: the default reply time-out is
    # measured in Renode's own time (lease.ExporterClock), so none is given.
    runs = {board: fxclass(inventory, "validate", "--lease", f"board={board}", "--dataset", "basicmotions")
            for board in ("nucleo_f446re", "nucleo_f411re")}
    for board, proc in runs.items():
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, f"{board}: {err}"
        assert "40 windows, 0 differ from the reference" in out


def renode_processes(exporter) -> list[int]:
    groups = local.renode_groups(exporter)
    assert groups, f"{exporter.name} runs no Renode"
    return [pid for pgid in groups for pid in group_pids(pgid)]


def kill_and_check_nothing_is_left(exporter) -> None:
    """SIGKILL to the exporter's processes: its Renode (the launcher script, mono) ends by itself."""
    renode = renode_processes(exporter)
    assert any("Renode.exe" in Path(f"/proc/{pid}/cmdline").read_text() for pid in renode)
    local.kill(exporter)
    deadline = time.monotonic() + GONE_WITHIN_S
    while (left := [pid for pid in renode if Path(f"/proc/{pid}").exists() and not zombie(pid)]):
        assert time.monotonic() < deadline, f"Renode processes of the dead {exporter.name} left: {left}"
        time.sleep(0.2)


def zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"


def long_recording(path: Path, repeats: int) -> Path:
    """BasicMotions' test windows one after another, repeats times, each sample labelled with its
    window's class: thousands of hops to stream, windows to validate."""
    ws = datasets.basicmotions("test")
    with path.open("w") as f:
        f.write("acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z,label\n")
        for _ in range(repeats):
            for window, label in zip(ws.windows, ws.labels):
                f.writelines(",".join(str(v) for v in row) + f",{ws.class_names[label]}\n" for row in window)
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
    kill_and_check_nothing_is_left(exporters["nucleo_f446re"])
    out, err = proc.communicate(timeout=120)
    kept = [json.loads(line) for line in output.read_text().splitlines()]
    assert proc.returncode == LeaseError.exit_code == 8, err
    assert "the lease of renode-nucleo-f446re was lost: its exporter no longer answers" in err
    assert f"{len(kept)} results were kept" in err
    assert 20 <= len(kept) < 25 * 40 * 2, "the run was cut short, after the results seen"
    assert [r["index"] for r in kept] == list(range(len(kept)))
    assert f"{len(kept)} results, written to {output}" in out


def read_terminal(terminal: int) -> bytes:
    try:
        return os.read(terminal, 65536)
    except OSError:  # EIO: the command ended, closing its side
        return b""


def test_validate_keeps_the_windows_compared_when_the_lease_is_lost(farm, tmp_path):
    """Killed once its progress bar (on a terminal, as a user sees it) shows 200 windows compared."""
    inventory, exporters = farm
    terminal, its_end = pty.openpty()
    fcntl.ioctl(its_end, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a bar needs columns
    proc = fxclass(inventory, "validate", "--lease", "board=nucleo_f411re", "--model", str(ROOT / "models" / "default.fxm"),
                   "--csv", str(long_recording(tmp_path / "long.csv", 25)), stderr=its_end)
    os.close(its_end)
    shown = b""
    deadline = time.monotonic() + 600
    while not (bars := re.findall(rb"(\d+)/(\d+) \[", shown)) or int(bars[-1][0]) < 200:
        assert proc.poll() is None, (proc.communicate(), shown)
        assert time.monotonic() < deadline, "no windows compared after 10 minutes"
        if select.select([terminal], [], [], 0.5)[0]:
            shown += read_terminal(terminal)
    kill_and_check_nothing_is_left(exporters["nucleo_f411re"])
    out, _ = proc.communicate(timeout=120)
    while chunk := read_terminal(terminal):
        shown += chunk
    os.close(terminal)
    err = shown.decode(errors="replace")
    total = int(bars[-1][1])
    assert proc.returncode == LeaseError.exit_code == 8, err
    assert "the lease of renode-nucleo-f411re was lost: its exporter no longer answers" in err
    compared = int(re.search(r"(\d+) results were kept", err).group(1))
    assert 200 <= compared < total, "the comparison was cut short, after the windows seen"
    assert f"{compared} of {total} windows compared before the run stopped, 0 differ from the reference" in out


def test_the_renode_drivers_teardown_ends_its_renode_whole(prepared, monkeypatch):
    """What Jumpstarter does when a lease's session ends (Session closes its root driver)."""
    import anyio
    from jumpstarter.config.exporter import ExporterConfigV1Alpha1

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PATH", f"{find_renode().parent}{os.pathsep}{os.environ['PATH']}")
    config = ExporterConfigV1Alpha1.load_path(local.EXPORTERS_DIR / "renode-nucleo-f411re.yaml")
    driver = config.export["board"].instantiate()
    power = driver.children["power"]
    anyio.run(power.on)
    pgid = power._group.pgid
    assert len(group_pids(pgid)) >= 2, "the launcher script and mono"
    assert driver.cpu_ns()[0] > 0
    driver.close()
    assert group_pids(pgid) == []
