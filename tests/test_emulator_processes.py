"""No emulator outlives fxclass, whatever ends it (an error, Ctrl-C, SIGTERM, SIGKILL), Renode's mono
included (its `renode` launcher is a shell script that runs mono as a child); a reply that a starved
emulator is late with is waited for, and one from an emulator that has exited fails at once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from fxclass.device.link import Device
from fxclass.emu.emulator import Emulator
from fxclass.emu.process import EmulatorTimer, ProcessGroup, group_pids
from fxclass.emu.renode import find_renode
from fxclass.errors import LinkError, ToolError

ROOT = Path(__file__).resolve().parents[1]


def renode_or_skip():
    try:
        return find_renode()
    except ToolError as exc:
        pytest.skip(f"no Renode: {exc}")


def _sigint_as_from_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_sim(args, cwd=None) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """`fxclass sim ARGS` until it prints its URL; it and every process it started."""
    proc = subprocess.Popen([sys.executable, "-m", "fxclass", "sim", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd, preexec_fn=_sigint_as_from_a_terminal)
    for line in proc.stdout:
        if line.startswith("UART:"):
            break
    else:
        pytest.fail(f"sim ended before printing its URL: {proc.stderr.read()}")
    started = psutil.Process(proc.pid).children(recursive=True)
    assert started, "sim started no process"
    return proc, started


def assert_all_gone(processes: list[psutil.Process], within_s: float = 15) -> None:
    _, alive = psutil.wait_procs(processes, timeout=within_s)
    assert not alive, [" ".join(p.cmdline()) for p in alive]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("backend", ["--native", "qemu"])
def test_killing_fxclass_leaves_no_emulator(native_binary, firmware_elf, backend, how):
    proc, started = start_sim([backend] if backend != "qemu" else [])
    os.kill(proc.pid, how)
    proc.wait(30)
    assert_all_gone(started)
    if how != signal.SIGKILL:
        assert "Traceback" not in proc.stderr.read()


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_killing_fxclass_leaves_no_renode_from_outside_the_checkout(tmp_path, how, monkeypatch):
    """`fxclass sim --renode` from another folder with no variable set finds the Renode beside the
    checkout; SIGKILL of fxclass still ends mono, the launcher script's child."""
    renode_or_skip()
    subprocess.run(["make", "-s", "-C", str(ROOT / "firmware"), "BOARD=nucleo_f446re"], check=True,
                   stdout=subprocess.DEVNULL)
    monkeypatch.delenv("FXCLASS_RENODE", raising=False)
    proc, started = start_sim(["--renode"], cwd=tmp_path)
    assert any("mono" in " ".join(p.cmdline()) for p in started)
    os.kill(proc.pid, how)
    proc.wait(30)
    assert_all_gone(started, within_s=30)


def test_a_renode_start_up_that_fails_leaves_nothing_behind():
    renode_or_skip()
    emu = Emulator("nucleo_f446re", renode=True)
    with pytest.raises(ToolError, match="did not open port .* of its running time"):
        emu.start(timeout=0.3)
    assert emu.group is None
    time.sleep(0.5)
    assert not [p for p in psutil.process_iter(["cmdline"]) if str(emu.port) in " ".join(p.info["cmdline"] or [])]


def test_an_emulator_that_exits_is_reported_at_once(native_binary):
    with Emulator(elf=native_binary, native=True) as emu:
        dev = emu.open_device(timeout=60)
        emu.proc.kill()
        started = time.monotonic()
        with pytest.raises(LinkError, match="exited with status|read from .* failed|write to .* failed"):
            dev.request_info()
        assert time.monotonic() - started < 30  # not the 60 s time-out
        dev.close()


def test_a_starved_emulator_s_time_runs_slower_than_the_wall_clock():
    """Two processes that want the CPU all the time in a group pinned to one core with a third: the
    group gets at most two thirds of what it wants, and its time runs at most that fast."""
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("no CPU affinity here")
    spin = "import os\nos.sched_setaffinity(0, {0})\n%s\nwhile True: pass"
    group = ProcessGroup([sys.executable, "-c", spin % "os.fork()"])
    rival = subprocess.Popen([sys.executable, "-c", spin % ""])
    try:
        while len(group_pids(group.pgid)) < 2:
            time.sleep(0.05)
        timer = EmulatorTimer(group)
        started = time.monotonic()
        while time.monotonic() - started < 3:  # as a wait for a reply reads it, many times a second
            elapsed = timer.elapsed()
            time.sleep(0.02)
        assert elapsed < 3 * 0.8
    finally:
        rival.kill()
        rival.wait()
        group.stop()
    assert not group_pids(group.pgid)


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize("runnable, emulator_seconds", [(True, 1.0 / EmulatorTimer.MAX_SLOWDOWN), (False, 1.0)])
def test_a_thread_waiting_on_the_run_queue_a_whole_sample_is_starved_not_idle(monkeypatch, runnable, emulator_seconds):
    """schedstat counts a wait on the run queue once it ends: a sample in which the group neither ran
    nor finished a wait is idle time (the wall clock's) only if no thread of it is runnable."""
    clock = _Clock()
    monkeypatch.setattr("fxclass.emu.process.time.monotonic", clock)
    readings = iter([(5_000, 7_000, True), (5_000, 7_000, runnable)])
    monkeypatch.setattr(EmulatorTimer, "_schedstat", lambda self: next(readings))
    timer = EmulatorTimer(group=None)
    clock.now += 0.5
    first = timer.elapsed()  # the first sample has nothing to compare with: the wall clock's time
    clock.now += 1.0
    assert timer.elapsed() - first == pytest.approx(emulator_seconds)


def test_an_emulator_started_elsewhere_is_found_by_its_port_and_watched(native_binary):
    """The Robot keywords' clock: renode-test starts Renode, the library finds it by the port it serves."""
    from fxclass.emu.process import EmulatorClock, ServingGroup

    with Emulator(elf=native_binary, native=True) as emu:
        group = ServingGroup(emu.port)
        assert group.pid == emu.proc.pid and EmulatorClock(group).dead() is None
        dev = Device.open(emu.url, timeout=10, clock=EmulatorClock(group))
        assert dev.request_info().board == "host"
        dev.close()
    assert EmulatorClock(group).dead()


def test_a_ctrl_c_during_a_poll_or_a_stop_waits_until_it_is_done():
    """A KeyboardInterrupt raised inside Popen.poll() once its lock is taken left the lock held, and
    the stop that followed waited on it for ever; inside a stop it left part of a group running."""
    from fxclass.emu.process import signals_held

    group = ProcessGroup(["sleep", "300"])
    reached_the_end = False
    # Ctrl-C as from a terminal: a run started in the background (`make test &`) ignores SIGINT.
    ignored = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals_held():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.1)  # a handler would have run by now
                assert group.poll() is None
                reached_the_end = True
    finally:
        signal.signal(signal.SIGINT, ignored)
    assert reached_the_end
    started = time.monotonic()
    group.stop()
    assert time.monotonic() - started < STOP_BOUND_S
    assert not group_pids(group.pgid)


STOP_BOUND_S = 10
