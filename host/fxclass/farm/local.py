"""A local farm without a controller: exporters served by `jmp run` on local TCP ports, and their inventory.

Jumpstarter's controller matches label selectors and grants leases; with no controller, the
exporters are served standalone (`jmp run --exporter-config F --tls-grpc-listener ADDR`, its local
mode), and fxclass needs to know where each is and what labels it has: the inventory, a JSON file
that serve() writes and $FXCLASS_FARM names. One lease of an exporter at a time is a lock file
beside the inventory, held while a command uses the board."""
from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..emu.emulator import free_port, port_listening
from ..emu.process import signals_held
from ..emu.renode import find_renode
from ..errors import LeaseError
from ..firmware.build import REPO

ENV_FARM = "FXCLASS_FARM"
EXPORTERS_DIR = REPO / "farm" / "exporters"
LABELS_FILE = REPO / "farm" / "exporters.yaml"  # the exporters' labels, as a controller holds them
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


@dataclass
class Exporter:
    """One exporter of a local farm: its name (the config's metadata.name), gRPC address and labels."""

    name: str
    address: str
    labels: dict[str, str]
    config: str = ""
    process: subprocess.Popen | None = field(default=None, repr=False, compare=False)


def read_labels(path: Path = LABELS_FILE) -> dict[str, dict[str, str]]:
    """Each exporter's labels from the Kubernetes manifest of the farm's Exporter objects."""
    import yaml

    manifest = yaml.safe_load(path.read_text())
    return {item["metadata"]["name"]: dict(item["metadata"].get("labels", {})) for item in manifest["items"]}


def config_name(config: Path) -> str:
    import yaml

    return yaml.safe_load(config.read_text())["metadata"]["name"]


def labels_match(labels: dict[str, str], selector: str) -> bool:
    """Whether labels satisfy a label selector, parsed by Jumpstarter as its controller parses it."""
    from jumpstarter.client.selectors import parse_label_selector

    equal, expressions = parse_label_selector(selector)
    if any(labels.get(k) != v for k, v in equal.items()):
        return False
    tests = {"in": lambda k, vs: labels.get(k) in vs, "notin": lambda k, vs: labels.get(k) not in vs,
             "!=": lambda k, vs: labels.get(k) != vs[0], "exists": lambda k, vs: k in labels,
             "!exists": lambda k, vs: k not in labels}
    return all(tests[op](key, values) for key, op, values in expressions)


def read_inventory(path: str | Path) -> list[Exporter]:
    try:
        data = json.loads(Path(path).read_text())
        return [Exporter(e["name"], e["address"], dict(e["labels"]), e.get("config", "")) for e in data["exporters"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LeaseError(f"${ENV_FARM}={path} is not a local farm's inventory ({exc}): start the farm with "
                         "`make farm-local`, which writes it") from None


def write_inventory(path: Path, exporters: list[Exporter]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"exporters": [{"name": e.name, "address": e.address, "labels": e.labels, "config": e.config}
                          for e in exporters]}
    path.write_text(json.dumps(data, indent=2) + "\n")


class Claim:
    """An exclusive hold on one exporter of a local farm, between commands and processes alike."""

    def __init__(self, inventory: Path, exporter: Exporter):
        self.exporter = exporter
        self._file = open(inventory.with_name(f"{inventory.stem}.{exporter.name}.lock"), "w")

    def try_take(self) -> bool:
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def release(self) -> None:
        self._file.close()  # closing the file drops the lock


def claim(inventory: str | Path, selector: str, timeout_s: float, name: str | None = None) -> Claim:
    """The first free exporter of the local farm whose labels match selector (and named name, when
    given), waiting up to timeout_s for one while all that match are leased."""
    inventory = Path(inventory)
    matching = [e for e in read_inventory(inventory) if labels_match(e.labels, selector) and name in (None, e.name)]
    if not matching:
        known = "; ".join(f"{e.name}: " + ",".join(f"{k}={v}" for k, v in e.labels.items())
                          for e in read_inventory(inventory))
        raise LeaseError(f"no board of the local farm ({inventory}) matches {selector!r}; it has {known}")
    deadline = time.monotonic() + timeout_s
    while True:
        for exporter in matching:
            held = Claim(inventory, exporter)
            if held.try_take():
                return held
            held.release()
        if time.monotonic() > deadline:
            raise LeaseError(f"every board matching {selector!r} stayed leased for {timeout_s:.0f} s: "
                             f"{', '.join(e.name for e in matching)}")
        time.sleep(0.5)


def _environment() -> dict[str, str]:
    """The exporter's environment: the Renode that fxclass finds first on PATH, as the Renode driver
    looks for it there."""
    env = dict(os.environ)
    try:
        env["PATH"] = f"{find_renode().parent}{os.pathsep}{env.get('PATH', '')}"
    except Exception:  # no Renode: the real boards' exporters need none
        pass
    return env


def jmp_command() -> str:
    beside = Path(sys.executable).with_name("jmp")
    return str(beside) if beside.is_file() else "jmp"


def start(config: Path, labels: dict[str, str], log_dir: Path) -> Exporter:
    """`jmp run` serving config standalone on a free local port (paths in it are the repository's)."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    name = config_name(config)
    with open(log_dir / f"{name}.log", "w") as log:
        proc = subprocess.Popen([jmp_command(), "run", "--exporter-config", str(config), "--tls-grpc-listener",
                                 f"127.0.0.1:{port}", "--tls-grpc-insecure"], cwd=REPO, env=_environment(),
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    return Exporter(name, f"127.0.0.1:{port}", labels, str(config), proc)


def wait_listening(exporters: list[Exporter], timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    for e in exporters:
        port = int(e.address.rpartition(":")[2])
        while not port_listening(port):
            with signals_held():
                status = e.process.poll()
            if status is not None or time.monotonic() > deadline:
                raise LeaseError(f"the exporter {e.name} did not start (`jmp run` exited with "
                                 f"{status}); see its log in the farm's folder")
            time.sleep(0.2)


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def exporter_pids(exporter: Exporter) -> list[int]:
    """`jmp run` and the child it serves from (which forks it, in a process group of its own)."""
    return [exporter.process.pid, *children(exporter.process.pid)]


def renode_groups(exporter: Exporter) -> list[int]:
    """The process groups of the Renodes the exporter runs: its children that lead a group of their
    own (renode_driver.FxclassRenodePower starts each so)."""
    return [pid for server in exporter_pids(exporter)[1:] for pid in children(server) if _leads_a_group(pid)]


def _leads_a_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def kill(exporter: Exporter) -> None:
    """End an exporter's processes at once (SIGKILL), as a crash or the OOM killer would: nothing of
    it ends what it started, which must end by itself (Renode does: renode_driver.py)."""
    for pid in exporter_pids(exporter):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    with signals_held():
        exporter.process.wait()


def stop(exporter: Exporter) -> None:
    """End an exporter the way its service manager would (SIGTERM), and kill it if it lingers."""
    with signals_held():  # a Ctrl-C here would leave Popen's lock held, and every later wait() stuck
        if exporter.process.poll() is None:
            exporter.process.terminate()
            try:
                exporter.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                kill(exporter)


def serve(configs: list[Path], inventory: Path) -> list[Exporter]:
    """Serve each exporter config standalone and write the inventory that $FXCLASS_FARM names."""
    labels = read_labels()
    exporters = []
    try:
        for config in configs:
            name = config_name(config)
            if name not in labels:
                raise LeaseError(f"{config}: exporter {name!r} has no labels in {LABELS_FILE}")
            exporters.append(start(config, labels[name], inventory.parent))
        wait_listening(exporters)
    except BaseException:
        for e in exporters:
            stop(e)
        raise
    write_inventory(inventory, exporters)
    return exporters
