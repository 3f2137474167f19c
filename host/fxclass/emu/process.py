"""An emulator's processes: a process group of their own, stopped whole, watched for the CPU they get.

They never outlive fxclass. Renode's `renode` is a shell script that runs mono as its child:
signalling the script alone leaves Renode running with parent 1. So every emulator runs in a session
(and process group) of its own, which stop() ends whole; a watchdog shell, in a session of its own too,
holds the read end of a pipe that only fxclass can write: when fxclass ends, however (SIGKILL
included), the kernel closes its end and the watchdog kills the group. The CPU the group wanted and got
(/proc/PID/task/*/schedstat) tells a reply that is late because the machine starves the emulator from
one that is not coming.

No Python code runs between fork() and exec() in any of these children (no preexec_fn): Python
vforks, so a Ctrl-C to fxclass's process group cannot land in a half-made child (it printed
"Exception ignored in: _after_fork" tracebacks), and a Jumpstarter exporter, whose gRPC threads hold
locks across fork(), can start emulators too."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

PIDS_EVERY_S = 5.0
STOP_GRACE_S = 5.0  # how long a group gets to end on SIGTERM before SIGKILL
# The watchdog reads the group's id, then waits for a second line: "stopped" from stop(), or the end
# of the pipe when fxclass has died, and then it kills the group. `kill -s KILL -- -PGID` is the
# POSIX form that dash (Debian's sh) takes too: it refuses `-KILL --`.
WATCHDOG = 'read pgid || exit 0; read stopped || kill -s KILL -- "-$pgid" 2>/dev/null; exit 0'


def group_pids(pgid: int) -> list[int]:
    """The live processes of process group pgid (zombies excluded), from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after the command name, which may hold spaces
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


_HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def signals_held():
    """Ctrl-C and SIGTERM wait until the block ends, then act as usual (on the main thread, where
    Python runs its signal handlers; elsewhere nothing is held, as nothing is raised there).

    Popen.poll() and wait() take a lock that a KeyboardInterrupt raised just after it is taken leaves
    held: every later wait() then blocks for ever, and fxclass hung on Ctrl-C in its clean-up. A stop
    is not to be broken off half way either, leaving part of a group running. The handlers are
    swapped for ones that only note the signal (a thread mask would not do: a signal for the process
    goes to any thread that does not block it, and Python then raises it in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for signum in _HELD:
        handler = signal.getsignal(signum)
        if handler is not None:  # None: a handler not set from Python, left alone
            previous[signum] = signal.signal(signum, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(caught):
            signal.raise_signal(signum)


class ProcessGroup:
    """cmd in a process group of its own, with a watchdog that ends the group if fxclass dies first."""

    def __init__(self, cmd: list[str], **popen):
        """popen: as subprocess.Popen takes (stdin, stdout, stderr, env, cwd)."""
        read_end, self._lifeline = os.pipe()  # both close on exec: no other child holds them
        try:
            self._watchdog = subprocess.Popen(["sh", "-c", WATCHDOG, "fxclass-watchdog"], stdin=read_end,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                              start_new_session=True)
        except BaseException:
            os.close(self._lifeline)
            raise
        finally:
            os.close(read_end)
        # On Linux the kernel also sends the group's leader SIGTERM when fxclass ends (util-linux's
        # setpriv sets that before it execs cmd): it covers the instant before the watchdog knows
        # the group's id.
        setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
        try:
            self.proc = subprocess.Popen([setpriv, "--pdeathsig", "TERM", *cmd] if setpriv else cmd,
                                         start_new_session=True, **popen)
        except BaseException:
            self._end_watchdog()
            raise
        self.pgid = self.proc.pid
        try:
            os.write(self._lifeline, b"%d\n" % self.pgid)
        except OSError:  # the watchdog was killed at once: the leader's parent-death signal remains
            pass
        self._pids: list[int] = [self.pgid]
        self._pids_at = 0.0

    def poll(self) -> int | None:
        """The leader's exit status, None while it runs (safe from Ctrl-C: signals_held)."""
        with signals_held():
            return self.proc.poll()

    def pids(self) -> list[int]:
        """The group's processes, looked up again at most every PIDS_EVERY_S (a scan of /proc is slow on
        a busy machine, and an emulator's processes are all there within its first seconds)."""
        if time.monotonic() - self._pids_at > PIDS_EVERY_S:
            self._pids, self._pids_at = group_pids(self.pgid), time.monotonic()
        return self._pids

    def stop(self) -> None:
        """SIGTERM to the whole group, SIGKILL to what is left after STOP_GRACE_S; then the watchdog.
        Ctrl-C and SIGTERM wait until it is done."""
        with signals_held():
            self._stop()

    def _stop(self) -> None:
        try:
            os.killpg(self.pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + STOP_GRACE_S
        try:
            self.proc.wait(STOP_GRACE_S)  # the leader first (reaped, so it does not count as alive):
        except subprocess.TimeoutExpired:  # its end is seen at once, and a scan of /proc is slow
            pass
        while time.monotonic() < deadline:
            if not group_pids(self.pgid):
                break
            time.sleep(0.05)
        else:
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self._end_watchdog()

    def _end_watchdog(self) -> None:
        """Tell the watchdog the group has stopped, so that it exits without a kill."""
        if self._lifeline is None:
            return
        try:
            os.write(self._lifeline, b"stopped\n")
        except OSError:  # it has died (someone killed it): nothing to tell
            pass
        os.close(self._lifeline)
        self._lifeline = None
        self._watchdog.wait()


class ServingGroup:
    """The process group of an emulator fxclass did not start (renode-test's Renode), found by the
    local TCP port it serves: watched as a ProcessGroup is, never stopped."""

    def __init__(self, port: int):
        self.pid = serving_pid(port)
        self.pgid = os.getpgid(self.pid)
        self._pids: list[int] = [self.pid]
        self._pids_at = 0.0

    pids = ProcessGroup.pids

    def poll(self) -> int | None:
        """None while the serving process lives; its status is not ours to know, so -1 after."""
        try:
            os.kill(self.pid, 0)
            return None
        except ProcessLookupError:
            return -1


def serving_pid(port: int) -> int:
    """The process that listens on local TCP port: its socket's inode in /proc/net/tcp, found among
    the processes' open files."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if os.path.exists(table):
            with open(table) as f:
                inodes |= {row[9] for row in (line.split() for line in f.readlines()[1:])
                           if row[1].endswith(f":{port:04X}") and row[3] == "0A"}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return int(entry.name)
    raise ProcessLookupError(f"no process listens on port {port}")


def _threads(pids: list[int]):
    """The /proc task folders of every thread of pids still alive."""
    for pid in pids:
        try:
            yield from Path(f"/proc/{pid}/task").iterdir()
        except OSError:
            continue


def cpu_ns(pids: list[int]) -> tuple[int, int]:
    """CPU time run and waited for on a run queue, in ns, summed over the threads of pids."""
    ran = waited = 0
    for task in _threads(pids):
        try:
            run_ns, wait_ns, _ = (int(v) for v in (task / "schedstat").read_text().split())
        except (OSError, ValueError):
            continue
        ran += run_ns
        waited += wait_ns
    return ran, waited


def any_runnable(pids: list[int]) -> bool:
    """Whether a thread of pids is running or waiting on a run queue (state R)."""
    for task in _threads(pids):
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2] == "R":
            return True
    return False


class EmulatorClock:
    """Time as a process group running an emulator sees it: the wall clock, slowed by the share of the
    CPU the group wanted and did not get. A time-out measured on it waits for a starved emulator (on
    a machine at a load of 10, an emulator runs a fifth of the time it wants) and still ends on time
    for one that idles, as a firmware that lost a request does; a group whose leader exited is dead."""

    def __init__(self, group: "ProcessGroup | ServingGroup", describe_exit=None):
        self.group = group
        self.describe_exit = describe_exit or (lambda status: f"the emulator exited with status {status}")

    def dead(self) -> str | None:
        """Why the emulator will never answer (it exited), or None."""
        status = self.group.poll()
        return None if status is None else self.describe_exit(status)

    def timer(self) -> "EmulatorTimer":
        return EmulatorTimer(self.group)


class EmulatorTimer:
    """Seconds of an emulator's own time since it was started or restarted."""

    SAMPLE_S = 0.25
    # Wanting the CPU more than this share of the wall time, the emulator is working and its time is
    # what it got of what it wanted. QEMU hands each received byte between two threads: a machine at
    # a load of 15 starves it at every hand-over though it wants less than half a core.
    WORKING = 0.05
    # Never more than this many wall seconds per emulator second. QEMU at a load average of 16-26 on
    # 2 cores got 5 % or less of what it wanted in a fifth of the 0.25 s samples (a received byte is
    # two hand-overs between its threads, each a wait on a crowded run queue): a cap of 20 there made
    # its time run faster than it did. An emulator that exits is still detected at once.
    MAX_SLOWDOWN = 100.0
    own_time = True

    def __init__(self, group: "ProcessGroup | ServingGroup"):
        self.group = group
        self.restart()

    def restart(self) -> None:
        self._elapsed = 0.0
        self._wall = time.monotonic()
        self._demand = None  # sampled at the first SAMPLE_S: a request answered sooner costs no look-up

    def _schedstat(self) -> tuple[int, int, bool]:
        """cpu_ns of the group, and whether one of its threads is runnable now (state R)."""
        pids = self.group.pids()
        return (*cpu_ns(pids), any_runnable(pids))

    def elapsed(self) -> float:
        now = time.monotonic()
        wall = now - self._wall
        if wall < self.SAMPLE_S:
            return self._elapsed + wall
        ran, waited, runnable = self._schedstat()
        share = 1.0
        if self._demand is not None:
            d_ran, d_waited = max(0, ran - self._demand[0]), max(0, waited - self._demand[1])
            if (d_ran + d_waited) / 1e9 > self.WORKING * wall:
                share = d_ran / (d_ran + d_waited)
            elif runnable:
                # The kernel adds a wait on the run queue to schedstat when the wait ends: a thread
                # that waited the whole sample and waits still shows nothing. Starved, not idle.
                share = 0.0
        self._elapsed += wall * max(share, 1 / self.MAX_SLOWDOWN)
        self._wall, self._demand = now, (ran, waited)
        return self._elapsed


def serving_clock(url: str) -> EmulatorClock | None:
    """The time of the emulator that serves socket://127.0.0.1:PORT (one that another process started:
    renode-test's Renode, `fxclass sim`'s), or None for the wall clock when it cannot be found (another
    user's process, no /proc)."""
    try:
        return EmulatorClock(ServingGroup(int(url.rsplit(":", 1)[1])), lambda status: "the emulator exited")
    except (ProcessLookupError, PermissionError, ValueError, OSError):
        return None
