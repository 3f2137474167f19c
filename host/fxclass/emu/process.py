"""An emulator's processes: a process group of their own, stopped whole, watched for the CPU they get.

They never outlive fxclass. Renode's `renode` is a shell script that runs mono as its child:
signalling the script alone leaves Renode running with parent 1. So every emulator runs in a session
(and process group) of its own, which stop() ends whole; a watchdog (a shell, told by the kernel when fxclass dies however it dies)
ends the group if fxclass cannot; and the CPU the group wanted and got (/proc/PID/task/*/schedstat)
tells a reply that is late because the machine starves the emulator from one that is not coming."""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PIDS_EVERY_S = 5.0
STOP_GRACE_S = 5.0  # how long a group gets to end on SIGTERM before SIGKILL
# A watchdog that sleeps until fxclass dies (the kernel sends it SIGTERM then) and kills the group.
# `kill -s KILL -- -PGID` is the POSIX form that dash (Debian's sh) takes too: it refuses `-KILL --`.
# It waits on its sleep with `wait`, which a trapped signal ends at once: a shell runs its traps only
# after a command in the foreground ends, which made every stop() wait for the `sleep 1` under way.
WATCHDOG = ('trap \'kill $nap 2>/dev/null; kill -s KILL -- -$1 2>/dev/null; exit 0\' TERM HUP INT; '
            'while :; do sleep 60 & nap=$!; wait $nap; done')


def _die_with_parent() -> None:
    """In a child before exec, on Linux: SIGTERM when the process that started it ends, however."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _session_of_its_own() -> None:
    os.setsid()
    _die_with_parent()


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


class ProcessGroup:
    """cmd in a process group of its own, with a watchdog that ends the group if fxclass dies first."""

    def __init__(self, cmd: list[str], fork_free: bool = False, **popen):
        """fork_free: started from a process whose threads hold locks across fork() (a Jumpstarter
        exporter's gRPC aborts in its fork handlers), so no code runs between fork and exec: Python
        vforks, and util-linux's setpriv sets the parent-death signal before it execs cmd."""
        setpriv = shutil.which("setpriv") if fork_free and sys.platform.startswith("linux") else None
        if setpriv:
            self.proc = subprocess.Popen([setpriv, "--pdeathsig", "TERM", *cmd], start_new_session=True, **popen)
        else:
            self.proc = subprocess.Popen(cmd, preexec_fn=_session_of_its_own, **popen)
        self.pgid = self.proc.pid
        self._pids: list[int] = [self.pgid]
        self._pids_at = 0.0
        self._watchdog = None
        if sys.platform.startswith("linux"):
            watchdog = ["sh", "-c", WATCHDOG, "fxclass-watchdog", str(self.pgid)]
            quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._watchdog = (subprocess.Popen([setpriv, "--pdeathsig", "TERM", *watchdog], **quiet) if setpriv else
                              subprocess.Popen(watchdog, preexec_fn=_die_with_parent, **quiet))

    def poll(self) -> int | None:
        return self.proc.poll()

    def pids(self) -> list[int]:
        """The group's processes, looked up again at most every PIDS_EVERY_S (a scan of /proc is slow on
        a busy machine, and an emulator's processes are all there within its first seconds)."""
        if time.monotonic() - self._pids_at > PIDS_EVERY_S:
            self._pids, self._pids_at = group_pids(self.pgid), time.monotonic()
        return self._pids

    def stop(self) -> None:
        """SIGTERM to the whole group, SIGKILL to what is left after STOP_GRACE_S; then the watchdog."""
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
        if self._watchdog is not None:
            self._watchdog.terminate()  # its trap kills an empty group: nothing
            self._watchdog.wait()
            self._watchdog = None


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
