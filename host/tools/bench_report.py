"""`make bench`: the default model measured on Cortex-M4, written to bench/results.json and the README.

Instruction counts from QEMU's exec log, softmax error, accuracy, firmware footprint per board and
link figures.

python host/tools/bench_report.py [--output bench/results.json] [--readme README.md] [--readme-only]
"""
from __future__ import annotations

import argparse
import bisect
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from fxclass.data import datasets
from fxclass.device.link import Device
from fxclass.device.linkbench import measure, round_trips
from fxclass.emu.emulator import Emulator
from fxclass.emu.native import NATIVE_BINARY
from fxclass.emu.renode import find_renode
from fxclass.errors import FxError, ToolError
from fxclass.firmware.build import BOARDS, DEFAULT_MODEL, REPO, elf_symbols, image_dir
from fxclass.model import fxm
from fxclass.model.evaluate import evaluate
from fxclass.model.fxm import MAX_CLASSES
from fxclass.model.reference import softmax_q15
from fxclass.model.features import rocket, spectral
from fxclass.model.train import FloatModel

import rocket_bench
import spectral_bench

# The feature stage on other windows: samples, channels, segments (bench_main.c's feature_shapes).
FEATURE_SHAPES = ((100, 6, 4), (128, 3, 12), (100, 1, 4), (192, 12, 12), (24, 6, 12))
COMPACT_FEATURES = 1008  # the compact input stage's features in bench_main.c
# The spectral bench models' segments (bench_main.c, 9.): the inference, then its stages.
SPECTRAL_SEGMENTS = ("inference", "features", "scaling", "dense", "softmax")
# The spectral kernel's routines, by their symbols, whose instructions in its feature stage the report
# gives apart; the rest is its set-up per run (tables), the channels' statistics and the calls.
SPECTRAL_ROUTINES = {"pass1": "fx_spectral_pass1_m4", "deviations": "fx_spectral_deviations_m4",
                     "fft_segments": "fx_spectral_segments_m4", "bands": "fx_spectral_bands_m4"}
SPECTRAL_BUDGET_100X6 = 25_000  # instructions per inference (issue 21)
# The rocket kernel's routines (fx_rocket_m4.c, .S): the block's signal 3 y, its nine-tap sums S9, the
# pair sums Q and the counts of conv = Q + U_c above each bias; the rest is the kernel loop's own.
ROCKET_ROUTINES = {"signal": "fx_rocket_signal", "nine_tap_sums": "nine_tap_sums", "pair_sums": "fx_rocket_pairs_m4",
                   "counts": "fx_rocket_count_m4"}
ROCKET_CONVOLUTION = ("nine_tap_sums", "pair_sums", "counts")  # convolution and PPV, counted per kernel-dilation-sample
ROCKET_BUDGET_100X6 = 3.0  # convolution and PPV, instructions per kernel, dilation and sample (issue 21)
# The decision stage's segments, the bench image's last (bench_main.c, 11.): a window's distances to every
# class's centroid, and fx_decide_push on a full history of K 3 and of K 16 hops.
DECISION_SEGMENTS = ("outside", "push_k3", "push_k16")


def count_segments(elf: Path) -> list[int]:
    """Instructions executed between each fx_bench_begin and the following fx_bench_end."""
    return [count for count, _ in trace_segments(elf)]


def trace_segments(elf: Path) -> list[tuple[int, Counter]]:
    """Instructions executed between each fx_bench_begin and the following fx_bench_end, and how many
    of them each function of the image executed.

    QEMU with -singlestep -d exec,nochain logs one line per executed guest instruction; the
    count excludes the markers' own `bx lr` and the `bl` into fx_bench_end."""
    symbols = elf_symbols(elf)
    begin, end = symbols["fx_bench_begin"][0], symbols["fx_bench_end"][0]
    spans = sorted((address, address + size, name) for name, (address, size) in symbols.items() if size > 0)
    starts = [span[0] for span in spans]

    def function(pc: int) -> str:
        i = bisect.bisect_right(starts, pc) - 1
        return spans[i][2] if i >= 0 and pc < spans[i][1] else "?"
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "exec.log"
        proc = subprocess.run(["qemu-system-arm", "-M", "netduinoplus2", "-display", "none", "-monitor", "none",
                               "-serial", "null", "-semihosting-config", "enable=on,target=native", "-singlestep",
                               "-d", "exec,nochain", "-D", str(log), "-kernel", str(elf)], timeout=300)
        if proc.returncode != 0:
            raise RuntimeError("the bench image reported a failure (semihosting exit status)")
        pcs = [int(m.group(1), 16) for m in re.finditer(r"\[[0-9a-f]+/([0-9a-f]+)/", log.read_text())]
    segments, start = [], None
    for i, pc in enumerate(pcs):
        if pc == begin:
            start = i
        elif pc == end and start is not None:
            segments.append((i - start - 2, Counter(function(p) for p in pcs[start + 1:i - 1])))
            start = None
    return segments


def model_stages(segments: list[tuple[int, Counter]], k: int, routine_symbols: dict) -> tuple[int, dict, dict]:
    """Bench model k's segments (inference, then its stages: SPECTRAL_SEGMENTS): its instructions per
    inference, per stage, and per routine of its feature stage (routine_symbols), the rest apart."""
    counts = dict(zip(SPECTRAL_SEGMENTS, segments[k * len(SPECTRAL_SEGMENTS):(k + 1) * len(SPECTRAL_SEGMENTS)]))
    stages = {stage: counts[stage][0] for stage in SPECTRAL_SEGMENTS[1:]}
    stages["rest"] = counts["inference"][0] - sum(stages.values())
    functions = counts["features"][1]
    routines = {key: functions[symbol] for key, symbol in routine_symbols.items()}
    routines["rest"] = stages["features"] - sum(routines.values())
    return counts["inference"][0], stages, routines


def spectral_figures(segments: list[tuple[int, Counter]], built) -> dict:
    """feature_sets.spectral: each bench model's inference, stages and feature-stage routines."""
    figures = {}
    for k, (name, what, qm, blob, acc) in enumerate(built):
        params = qm.feature_params
        inference, stages, routines = model_stages(segments, k, SPECTRAL_ROUTINES)
        ffts = params.n_channels * params.n_segments
        figures[name] = {
            "model": {"window": f"{params.window_len}x{params.n_channels}", "fft_len": params.fft_len,
                      "hop_len": params.hop_len, "n_bands": params.n_bands, "n_segments": params.n_segments,
                      "n_features": spectral.n_features(params), "classes": qm.n_classes,
                      "layers": [f"{l.in_len}x{l.out_len}" for l in qm.layers], "data": what,
                      "blob_bytes": len(blob), "quantized_accuracy": acc},
            "instructions_per_inference": inference,
            "stage_instructions": stages,
            "feature_stage_instructions": routines,
            "fft_segment_instructions": round(routines["fft_segments"] / ffts, 1),
            "feature_instructions_per_value": round(stages["features"] / (params.window_len * params.n_channels), 2),
            "working_memory_bytes": spectral.working_memory(params, dsp=True),
        }
    return figures


def rocket_figures(segments: list[tuple[int, Counter]], built) -> dict:
    """feature_sets.rocket: each bench model's inference, stages and feature-stage routines, and the
    convolution and PPV (nine-tap sums, pair sums and counts) per kernel, dilation and sample: those
    routines' instructions divided by kernels x blocks (each a dilation and a channel combination) x the
    window's samples."""
    figures = {}
    for k, (name, what, qm, blob, acc) in enumerate(built):
        p = qm.feature_params
        inference, stages, routines = model_stages(segments, k, ROCKET_ROUTINES)
        kds = len(p.kernels) * len(p.blocks) * p.window_len
        convolution = sum(routines[key] for key in ROCKET_CONVOLUTION)
        figures[name] = {
            "model": {"window": f"{p.window_len}x{p.n_channels}", "kernels": len(p.kernels), "blocks": len(p.blocks),
                      "dilations": sorted({b.dilation for b in p.blocks}),
                      "biases_per_kernel_and_block": sorted({b.n_biases for b in p.blocks}),
                      "n_features": rocket.n_features(p), "classes": qm.n_classes,
                      "layers": [f"{l.in_len}x{l.out_len}" for l in qm.layers], "data": what,
                      "blob_bytes": len(blob), "quantized_accuracy": acc},
            "instructions_per_inference": inference,
            "stage_instructions": stages,
            "feature_stage_instructions": routines,
            "convolution_ppv_instructions_per_kernel_dilation_sample": round(convolution / kds, 3),
            "feature_instructions_per_kernel_dilation_sample": round(stages["features"] / kds, 3),
            "working_memory_bytes": rocket.working_memory(p, dsp=True),
        }
    return figures


def feature_set_figures(segments: list[tuple[int, Counter]]) -> dict:
    """feature_sets: the spectral bench models' segments, then the rocket ones' (bench_main.c 9, 10)."""
    spectral_built, rocket_built = spectral_bench.models(), rocket_bench.models()
    expected = (len(spectral_built) + len(rocket_built)) * len(SPECTRAL_SEGMENTS)
    if len(segments) != expected:
        raise SystemExit(f"the bench image measured {len(segments)} segments of bench models, not {expected} "
                         f"({len(SPECTRAL_SEGMENTS)} for each of {len(spectral_built)} spectral and "
                         f"{len(rocket_built)} rocket models)")
    split = len(spectral_built) * len(SPECTRAL_SEGMENTS)
    return {"spectral": spectral_figures(segments[:split], spectral_built),
            "rocket": rocket_figures(segments[split:], rocket_built)}


def footprint(board: str, model_bytes: int) -> dict[str, int]:
    elf = image_dir(board) / "fxclass.elf"
    out = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    sections = {f[0]: int(f[1]) for f in (line.split() for line in out.splitlines()) if len(f) >= 3 and f[0].startswith(".")}
    flash = sum(sections.get(s, 0) for s in (".isr_vector", ".text", ".ARM.exidx", ".data"))
    ram = sum(sections.get(s, 0) for s in (".data", ".bss", ".stack"))
    return {"flash_bytes": flash, "flash_bytes_without_model": flash - model_bytes, "ram_bytes": ram}


def softmax_error(rng: np.random.Generator, cases: int = 20000) -> float:
    worst = 0.0
    for n in (2, 4, 8, 32):
        logits = np.round(rng.normal(0, 4, size=(cases, n)) * 65536).astype(np.int64)
        prob, _ = softmax_q15(logits)
        x = logits / 65536.0
        p = np.exp(x - x.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        worst = max(worst, float(np.abs(prob / 32768.0 - p).max()))
    return worst


def link_figures() -> dict:
    with Emulator() as emu, Device.open(emu.url, timeout=10) as dev:
        figures = measure(dev, 64).as_dict()
    figures["round_trip_ms_qemu"] = figures.pop("round_trip_ms")
    with Emulator(elf=NATIVE_BINARY, native=True) as emu, Device.open(emu.url, timeout=10) as dev:
        window = np.zeros((dev.info.window_len, dev.info.n_channels), dtype=np.int16)
        figures["round_trip_ms_native"] = round_trips(dev, window, 200)
    figures.update(renode_round_trip())
    return figures


def renode_round_trip(count: int = 100) -> dict:
    """round_trip_ms_renode: the INFER round trip's median in Renode (nucleo_f446re, the console on
    renode/BlockSocketTerminal.cs), when a Renode is found; nothing otherwise."""
    try:
        find_renode()
    except ToolError as exc:
        print(f"Renode round trip not measured: {exc}", file=sys.stderr)
        return {}
    with Emulator("nucleo_f446re", renode=True, shield=False) as emu, \
            emu.open_device(boot_timeout=60) as dev:
        window = np.zeros((dev.info.window_len, dev.info.n_channels), dtype=np.int16)
        return {"round_trip_ms_renode": round_trips(dev, window, count)}


README_BEGIN, README_END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _window_text(model: dict) -> str:
    """A bench model's window as the README writes it: "1,460 x 1"."""
    return " x ".join(f"{int(v):,}" for v in model["window"].split("x"))


def _stage_row(figures: dict) -> tuple[str, str, str]:
    """The README's row of a feature-set bench model's instructions per stage and its accuracy."""
    m, stages = figures["model"], figures["stage_instructions"]
    return ("of which: features / scaling / dense / softmax / rest",
            " / ".join(f"{stages[k]:,}" for k in ("features", "scaling", "dense", "softmax", "rest")),
            f"quantized accuracy {100 * m['quantized_accuracy']:.1f} % (trained on {m['data']})")


def spectral_rows(figures: dict) -> list[tuple[str, str, str]]:
    """The README's rows of the spectral bench models (feature_sets.spectral)."""
    rows = []
    for name, f in figures.items():
        m, routines = f["model"], f["feature_stage_instructions"]
        window = _window_text(m)
        goal = f"at most {SPECTRAL_BUDGET_100X6:,}" if name == "100x6" else ""
        rows += [
            (f"spectral, {window} (N {m['fft_len']}, hop {m['hop_len']}, {m['n_segments']} segments, {m['n_bands']} "
             f"bands; {m['n_features']} features, dense {', '.join(m['layers'])}): instructions per inference",
             f"{f['instructions_per_inference']:,}", goal),
            _stage_row(f),
            (f"spectral feature stage, {window}: pass 1 / deviations / FFT segments / bands / tables and statistics",
             " / ".join(f"{routines[k]:,}" for k in ("pass1", "deviations", "fft_segments", "bands", "rest")),
             f"{f['fft_segment_instructions']:,} per FFT segment; working memory {f['working_memory_bytes']:,} B"),
        ]
    return rows


def rocket_rows(figures: dict) -> list[tuple[str, str, str]]:
    """The README's rows of the rocket bench models (feature_sets.rocket)."""
    rows = []
    for name, f in figures.items():
        m, routines = f["model"], f["feature_stage_instructions"]
        window = _window_text(m)
        goal = f"at most {ROCKET_BUDGET_100X6:g}" if name == "100x6" else ""
        rows += [
            (f"rocket, {window} ({m['kernels']} kernels, {m['blocks']} blocks, dilations "
             f"{', '.join(map(str, m['dilations']))}; {m['n_features']} features, dense {', '.join(m['layers'])}): "
             "instructions per inference", f"{f['instructions_per_inference']:,}", ""),
            _stage_row(f),
            (f"rocket feature stage, {window}: signal / nine-tap sums / pair sums / counts / kernel loop",
             " / ".join(f"{routines[k]:,}" for k in ("signal", "nine_tap_sums", "pair_sums", "counts", "rest")),
             f"working memory {f['working_memory_bytes']:,} B"),
            (f"rocket convolution and PPV, {window}: instructions per kernel, dilation and sample (whole feature stage)",
             f"{f['convolution_ppv_instructions_per_kernel_dilation_sample']:.2f} "
             f"({f['feature_instructions_per_kernel_dilation_sample']:.2f})", goal),
        ]
    return rows


def decision_figures(segments: list[int], model: fxm.Model) -> dict:
    """decision_stage: the instructions of a hop's decision stage on the default model (K 3: per_hop)."""
    counts = dict(zip(DECISION_SEGMENTS, segments))
    return {"classes": model.n_classes, "first_layer_inputs": model.layers[0].in_len, **counts,
            "per_hop": counts["outside"] + counts["push_k3"]}


def decision_row(d: dict) -> tuple[str, str, str]:
    return (f"decision stage per hop, K 3: distances to {d['classes']} centroids over {d['first_layer_inputs']} "
            "inputs + fx_decide_push (its push alone at K 16)",
            f"{d['per_hop']:,} ({d['outside']:,} + {d['push_k3']:,}; {d['push_k16']:,})",
            "every class's distance computed (a window outside all)")


def markdown(results: dict) -> str:
    """The README's table of results, with each goal next to its figure."""
    link = results["link"]
    stages = results["stage_instructions"]
    rows = [
        ("instructions per inference (features, scaling, 2 dense layers, softmax)",
         f"{results['instructions_per_inference']:,}", "at most 10,000"),
        ("of which: features / scaling / dense layers / softmax / rest",
         " / ".join(f"{stages[k]:,}" for k in ("features", "scaling")) + " / "
         + " + ".join(f"{v:,}" for k, v in stages.items() if k.startswith("dense_")) + " / "
         + f"{stages['softmax']:,} / {stages['rest']:,}", "measured between markers (bench_main.c)"),
        ("feature stage, instructions per value (sample x channel)", f"{results['feature_instructions_per_value']:.2f}",
         "at most 8 (CMSIS-DSP q15 statistics: 45.5)"),
        ("feature stage per value on other windows (samples x channels / segments)",
         ", ".join(f"{k}: {v:.2f}" for k, v in results["feature_instructions_per_value_by_shape"].items()),
         "at most 8 on any window (the goal)"),
        ("feature scaling, instructions per feature", f"{results['feature_scaling_instructions_per_feature']:.2f}",
         "at most 14"),
        ("compact input stage (model format 3), instructions per feature",
         f"{results['compact_input_instructions_per_feature']:.2f}",
         "Cortex-M4 variant, 32-bit steps (the portable C's 64-bit arithmetic: 42.8)"),
        ("dense layers, instructions per multiply-accumulate", f"{results['dense_instructions_per_mac']:.3f}",
         "at most 1.35 (CMSIS-NN arm_fully_connected_s8: 2.57 on these layers)"),
        ("softmax, instructions per class + fixed",
         f"{results['softmax_instructions_per_class']:.1f} + {results['softmax_instructions_fixed']:.0f}",
         "at most 40 + 100 (CMSIS-NN arm_softmax_s8: 2,219 for 4 classes)"),
        ("softmax, max abs error against float64", f"{results['softmax_max_abs_error']:.2e}", "at most 1e-4"),
        ("accuracy on the BasicMotions test split, float / quantized",
         f"{100 * results['float_accuracy']:.1f} % / {100 * results['quantized_accuracy']:.1f} %", "within 1 point"),
    ]
    rows.append(decision_row(results["decision_stage"]))
    rows += spectral_rows(results["feature_sets"]["spectral"])
    rows += rocket_rows(results["feature_sets"]["rocket"])
    for board, fp in results["footprint"].items():
        rows.append((f"{board}: flash without the model / RAM", f"{fp['flash_bytes_without_model']:,} B / {fp['ram_bytes']:,} B",
                     "flash at most 32 KiB; RAM, 2 KiB stack included, within the F411's 128 KiB"))
    rows += [
        ("cycles per inference on the target (INFER reply)", f"{link['cycles_per_inference']:,}", f"source: {link['cycle_source']}"),
        ("bytes on the wire per streamed window, both ways / payload",
         f"{link['wire_bytes_per_window']:.1f} / {link['payload_bytes_per_window']:.1f}", ""),
        ("framing overhead when streaming", f"{100 * link['framing_overhead']:.2f} %", "at most 3 %"),
        ("INFER round trip, median: native port / QEMU / Renode", f"{link['round_trip_ms_native']:.2f} / "
         f"{link['round_trip_ms_qemu']:.1f} / {link.get('round_trip_ms_renode', float('nan')):.1f} ms",
         "at most 2 / 45 / 200 ms"),
        ("windows per second at 115200 baud: with framing / the link's limit (payload only)",
         f"{link['windows_per_second_115200']:.1f} / {link['limit_windows_per_second_115200']:.1f}", ""),
        ("windows per second at 921600 baud: with framing / the link's limit (payload only)",
         f"{link['windows_per_second_921600']:.1f} / {link['limit_windows_per_second_921600']:.1f}", ""),
    ]
    lines = ["| measure | figure | goal or note |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def update_readme(readme: Path, results: dict) -> None:
    text = readme.read_text()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        raise SystemExit(f"{readme}: no {README_BEGIN} ... {README_END} block for the results")
    readme.write_text(text[:begin + len(README_BEGIN)] + "\n" + markdown(results) + "\n" + text[end:])


def main(argv=None) -> int:
    """The figures, or one line saying what is missing (a tool, an image) and the fxclass exit code."""
    try:
        return measure_all(argv)
    except FxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except subprocess.CalledProcessError as exc:
        print(f"error: {' '.join(map(str, exc.cmd))} failed with status {exc.returncode}", file=sys.stderr)
        return ToolError.exit_code


def measure_all(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--output", default=str(REPO / "bench" / "results.json"))
    ap.add_argument("--readme", default=str(REPO / "README.md"), help="README whose results table to rewrite")
    ap.add_argument("--readme-only", action="store_true", help="rewrite the README table from --output, measure nothing")
    args = ap.parse_args(argv)
    if args.readme_only:
        update_readme(Path(args.readme), json.loads(Path(args.output).read_text()))
        return 0
    for board in BOARDS:
        subprocess.run(["make", "-s", "-C", str(REPO / "firmware"), f"BOARD={board}"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["make", "-s", "-C", str(REPO / "firmware"), "BOARD=netduinoplus2", "bench"], check=True)
    blob = DEFAULT_MODEL.read_bytes()
    model = fxm.unpack(blob)
    traced = trace_segments(image_dir("netduinoplus2") / "fxclass_bench.elf")
    seg = [count for count, _ in traced]
    n_dense = len(model.layers)
    inference, features, scaling = seg[0], seg[1], seg[2]
    dense, soft_n, soft_max = seg[3:3 + n_dense], seg[3 + n_dense], seg[4 + n_dense]
    shapes = seg[5 + n_dense:5 + n_dense + len(FEATURE_SHAPES)]
    if len(seg) < 6 + n_dense + len(FEATURE_SHAPES):
        raise SystemExit(f"the bench image measured {len(seg)} segments, at least {6 + n_dense + len(FEATURE_SHAPES)} "
                         "expected (bench_main.c and FEATURE_SHAPES disagree)")
    compact = seg[5 + n_dense + len(FEATURE_SHAPES)]
    per_class = (soft_max - soft_n) / (MAX_CLASSES - model.n_classes)
    stages = {"features": features, "scaling": scaling,
              **{f"dense_{k}": d for k, d in enumerate(dense)}, "softmax": soft_n}
    stages["rest"] = inference - sum(stages.values())
    ev = evaluate(FloatModel.load(REPO / "models" / "default.npz"), model, datasets.basicmotions("test"))
    results = {
        "model": {"id": f"0x{model.model_id:08x}", "macs": model.macs(), "classes": model.n_classes,
                  "layers": [f"{l.in_len}x{l.out_len}" for l in model.layers], "blob_bytes": len(blob)},
        "method": "QEMU 7.2 netduinoplus2 (Cortex-M4), -singlestep -d exec,nochain: guest instructions "
                  "between fx_bench_begin and fx_bench_end in firmware/app/bench_main.c",
        "instructions_per_inference": inference,
        "stage_instructions": stages,
        "feature_instructions_per_value": round(features / (model.window_len * model.n_channels), 2),
        "feature_instructions_per_value_by_shape": {
            f"{n}x{c}/{k}": round(count / (n * c), 2) for (n, c, k), count in zip(FEATURE_SHAPES, shapes)},
        "feature_scaling_instructions_per_feature": round(scaling / model.n_features, 2),
        "compact_input_instructions_per_feature": round(compact / COMPACT_FEATURES, 2),
        "dense_instructions": dense,
        "dense_instructions_per_mac": round(sum(dense) / model.macs(), 3),
        "softmax_instructions": {str(model.n_classes): soft_n, str(MAX_CLASSES): soft_max},
        "softmax_instructions_per_class": round(per_class, 2),
        "softmax_instructions_fixed": round(soft_n - per_class * model.n_classes, 1),
        "softmax_max_abs_error": softmax_error(np.random.default_rng(0)),
        "float_accuracy": ev.float_accuracy,
        "quantized_accuracy": ev.quantized_accuracy,
        "footprint": {board: footprint(board, len(blob)) for board in BOARDS},
        "link": link_figures(),
        "feature_sets": feature_set_figures(traced[6 + n_dense + len(FEATURE_SHAPES):-len(DECISION_SEGMENTS)]),
        "decision_stage": decision_figures(seg[-len(DECISION_SEGMENTS):], model),
    }
    for board, fp in results["footprint"].items():
        results[f"flash_bytes_without_model_{board}"] = fp["flash_bytes_without_model"]
        results[f"ram_bytes_{board}"] = fp["ram_bytes"]
    results["decision_instructions_per_hop"] = results["decision_stage"]["per_hop"]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    update_readme(Path(args.readme), results)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
