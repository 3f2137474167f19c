"""A soak run (`make soak`): many INFER requests to the native port, QEMU and Renode, each checked against the reference.

Wrong answers, resets and latency deciles are reported per backend; a backend that cannot run (no
Renode) is said so, and an error is one line, never a traceback.

python host/tools/soak.py [--count N] [--backend native|qemu|renode|all]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from fxclass.data import datasets
from fxclass.device.link import Device
from fxclass.emu.emulator import Emulator
from fxclass.emu.native import NATIVE_BINARY
from fxclass.emu.renode import find_renode
from fxclass.errors import FxError, ToolError
from fxclass.firmware.build import DEFAULT_MODEL
from fxclass.model import fxm
from fxclass.model.validate import validate


def soak(dev: Device, model: fxm.Model, count: int, seed: int = 0, progress=None) -> dict:
    rng = np.random.default_rng(seed)
    test = datasets.basicmotions("test").windows
    # Half real windows, half random ones, in a fixed order; the reference answers every one.
    pool = np.concatenate([test, rng.integers(-32768, 32768, size=(len(test),) + test.shape[1:], dtype=np.int16)])
    latencies = []

    def timed_infer(window):
        t0 = time.perf_counter()
        r = dev.infer(window)
        latencies.append((time.perf_counter() - t0) * 1000)
        return r

    start_uptime = dev.stats()["uptime_ms"]
    boots = len([t for t in dev.announcements if t.endswith("ready")])
    wrong = len(validate(timed_infer, model, pool[np.arange(count) % len(pool)], on_window=progress))
    stats = dev.stats()
    resets = len([t for t in dev.announcements if t.endswith("ready")]) - boots
    if stats["uptime_ms"] < start_uptime:
        resets = max(resets, 1)
    return {"inferences": count, "wrong": wrong, "resets": resets,
            "faults": len([t for t in dev.announcements if t.startswith("FAULT")]),
            "latency_deciles_ms": [round(float(v), 3) for v in np.percentile(latencies, range(10, 100, 10))],
            "rx_overruns": stats["rx_overruns"], "framing_errors": stats["framing_errors"],
            "crc_errors": stats["crc_errors"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--backend", choices=(*BACKENDS, "all"), default="all")
    args = parser.parse_args(argv)
    model = fxm.load(DEFAULT_MODEL)
    failed = False
    for backend in BACKENDS if args.backend == "all" else (args.backend,):
        try:
            r, seconds = soak_backend(backend, model, args.count)
        except FxError as exc:
            skipped = backend == "renode" and isinstance(exc, ToolError) and "not installed" in str(exc)
            print(f"{backend}: {'not run' if skipped else 'failed'}: {exc}", file=sys.stderr)
            failed = failed or not skipped
            continue
        print(f"{backend}: {r['inferences']} inferences in {seconds:.0f} s, {r['wrong']} wrong answers, "
              f"{r['resets']} resets, {r['faults']} faults, {r['rx_overruns']} receive overruns; "
              f"latency deciles (ms) {r['latency_deciles_ms']}, median {r['latency_deciles_ms'][4]:.1f} ms "
              f"(load average {os.getloadavg()[0]:.1f})")
        slow = backend == "renode" and r["latency_deciles_ms"][4] > RENODE_ROUND_TRIP_GOAL_MS
        if slow:
            print(f"renode: the median round trip is above the {RENODE_ROUND_TRIP_GOAL_MS} ms the bench holds it to "
                  "(link.round_trip_ms_renode)", file=sys.stderr)
        failed = failed or r["wrong"] or r["resets"] or r["faults"] or slow
    return 1 if failed else 0


BACKENDS = ("native", "qemu", "renode")
RENODE_ROUND_TRIP_GOAL_MS = 200  # what bench/results.json's link.round_trip_ms_renode is held to


def soak_backend(backend: str, model: fxm.Model, count: int) -> tuple[dict, float]:
    """count inferences on one backend: its figures and the seconds they took."""
    if backend == "native":
        emu = Emulator(elf=NATIVE_BINARY, native=True)
    elif backend == "renode":
        find_renode()
        emu = Emulator("nucleo_f446re", renode=True, shield=False)
    else:
        emu = Emulator()
    started = time.perf_counter()
    with emu, emu.open_device(boot_timeout=60) as dev:
        r = soak(dev, model, count,
                 progress=lambda i: print(f"\r{backend}: {i + 1}/{count}", end="", file=sys.stderr)
                 if (i + 1) % 500 == 0 else None)
    print(file=sys.stderr)
    return r, time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
