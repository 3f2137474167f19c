"""Link and target measurements: cycles per inference, windows per second, framing overhead."""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass

import numpy as np

from . import protocol as p
from .link import Device

UART_BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit


@dataclass
class LinkBench:
    cycles_per_inference: int
    cycle_source: str
    windows: int
    windows_per_second_measured: float
    wire_bytes_per_window: float
    payload_bytes_per_window: float
    framing_overhead: float
    windows_per_second_115200: float
    windows_per_second_921600: float
    limit_windows_per_second_115200: float  # the same link carrying payload only, no framing
    limit_windows_per_second_921600: float
    round_trip_ms: float  # median INFER request to RESULT, on the host's clock

    def as_dict(self) -> dict:
        return asdict(self)


def measure(dev: Device, n_windows: int = 64, seed: int = 0) -> LinkBench:
    """Stream n_windows hops of random samples in frames as full as the firmware takes (as
    `fxclass run --csv` does) and count every byte in both directions; the payload is the samples
    going in and the result records coming out, everything else is framing."""
    info = dev.info
    rng = np.random.default_rng(seed)
    n_samples = info.shape.samples_for(n_windows)
    samples = rng.integers(-4000, 4000, size=(n_samples, info.n_channels), dtype=np.int16)
    cycles = [dev.infer(samples[:info.window_len]).cycles for _ in range(5)]
    round_trip_ms = round_trips(dev, samples[:info.window_len])
    link = dev.link
    w0, r0 = link.bytes_written, link.bytes_read
    start = time.perf_counter()
    results = list(dev.stream(samples))
    elapsed = time.perf_counter() - start
    wire_out, wire_in = link.bytes_written - w0, link.bytes_read - r0
    record = p.Result.RECORD.size + 2 * info.n_classes
    payload = n_samples * info.n_channels * 2 + len(results) * record
    wire = wire_out + wire_in
    # Both directions run at once on a UART; the busier one (samples in) sets the pace.
    busiest = max(wire_out, wire_in) / len(results)
    samples_in = n_samples * info.n_channels * 2 / len(results)

    def rate(baud: int, per_window: float) -> float:
        return baud / UART_BITS_PER_BYTE / per_window

    return LinkBench(int(statistics.median(cycles)), info.cycle_source, len(results), len(results) / elapsed,
                     wire / len(results), payload / len(results), (wire - payload) / wire,
                     rate(115200, busiest), rate(921600, busiest), rate(115200, samples_in), rate(921600, samples_in),
                     round_trip_ms)


def round_trips(dev: Device, window: np.ndarray, count: int = 30) -> float:
    """Median milliseconds from sending an INFER to having its RESULT."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        dev.infer(window)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
