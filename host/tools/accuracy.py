"""`make accuracy`: every feature set and `--features auto` trained, quantized and evaluated on the official
splits of five archive problems, beside aeon's MiniRocketClassifier on the same splits, in one run.

For each dataset, one cross-validation on the training split (model/select.py) scores every
registered feature set with each of its options and heads. A feature set's row takes its own best
candidate by the same rule as auto (best mean; then lowest log loss; then the cheapest), auto's the
best over all sets that fit the board; each is then trained on the whole training split, quantized
(calibrated on it) and evaluated on the test split, float and bit-exact integer. Nothing is chosen
on the test split. Writes bench/accuracy.json and the README table between its markers.

python host/tools/accuracy.py [--output bench/accuracy.json] [--readme README.md] [--datasets a,b]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from fxclass.data import archive, datasets
from fxclass.errors import FxError
from fxclass.model import features, select
from fxclass.model.evaluate import evaluate
from fxclass.model.fxm import pack
from fxclass.model.quantize import quantize_best
from fxclass.model.train import train

DATASETS = ("basicmotions", "gunpoint", "arrowhead", "osuleaf", "acsf1")
README_BEGIN, README_END = "<!-- accuracy:begin -->", "<!-- accuracy:end -->"
# The goals for auto's quantized accuracy against MiniRocket's, in points.
GOAL_BELOW_MINIROCKET = 3.0
GOAL_QUANTIZATION_COST = 1.0


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def minirocket(name: str, seed: int) -> dict | None:
    """aeon's MiniRocketClassifier (its defaults: 10,000 features, ridge regression with
    cross-validated regularization) on the dataset's float series, as the archive gives them; None
    without aeon."""
    try:
        from aeon.classification.convolution_based import MiniRocketClassifier
    except ImportError:
        return None
    x_train, y_train = archive.load_series(name, "train")
    x_test, y_test = archive.load_series(name, "test")
    start = time.monotonic()
    clf = MiniRocketClassifier(random_state=seed, n_jobs=1)
    clf.fit(x_train, y_train)
    acc = float(np.mean(clf.predict(x_test) == y_test))
    return {"accuracy": acc, "seconds": round(time.monotonic() - start, 1)}


def fitted(train_ws, test_ws, row: select.Row, epochs: int, seed: int) -> dict:
    """A candidate trained on the whole training split, quantized, and evaluated on the test split."""
    c = row.candidate
    fm = train(train_ws, c.hidden, epochs, l2=c.l2, seed=seed, feature_set=c.feature_set,
               feature_options=dict(c.options), hop_len=max(1, train_ws.windows.shape[1] // 2))
    fm.meta["input_stage"] = row.input_stage
    qm, percentile, _ = quantize_best(fm, train_ws.windows)
    ev = evaluate(fm, qm, test_ws)
    return {"set": c.set_name, "options": dict(c.options), "head": c.head_text(),
            "cv_accuracy": row.mean, "cv_sd": row.sd, "float_accuracy": ev.float_accuracy,
            "quantized_accuracy": ev.quantized_accuracy, "model_bytes": len(pack(qm)),
            "input_stage": row.input_stage, "percentile": percentile,
            "est_instructions": None if row.instructions is None else round(row.instructions)}


def run_dataset(name: str, *, folds: int, repeats: int | None, epochs: int, seed: int, heads, with_minirocket: bool) -> dict:
    start = time.monotonic()
    train_ws = datasets.load(name, "train")
    test_ws = datasets.load(name, "test")
    log(f"{name}: {len(train_ws)} train / {len(test_ws)} test windows of {train_ws.windows.shape[1]} x "
        f"{train_ws.windows.shape[2]}, {len(train_ws.class_names)} classes")
    selection = select.select(train_ws, heads, folds, repeats, seed, epochs,
                              progress=lambda line: log(f"  {name}: {line}"))
    log(selection.table())
    sets = {}
    for fset in sorted(features.SETS.values(), key=lambda s: s.number):
        rows = [r for r in selection.rows if r.candidate.feature_set == fset.number]
        try:
            chosen, _, _ = select.choose(rows)
        except FxError as exc:
            sets[fset.name] = {"set": fset.name, "why_not": str(exc)}
            continue
        sets[fset.name] = fitted(train_ws, test_ws, chosen, epochs, seed)
        log(f"  {name}: {fset.name} {chosen.candidate.head_text()}: float "
            f"{100 * sets[fset.name]['float_accuracy']:.1f} %, quantized {100 * sets[fset.name]['quantized_accuracy']:.1f} %")
    auto = dict(sets[selection.chosen.candidate.set_name])
    if (auto.get("head"), auto.get("options")) != (selection.chosen.candidate.head_text(),
                                                   dict(selection.chosen.candidate.options)):  # another set's best
        auto = fitted(train_ws, test_ws, selection.chosen, epochs, seed)
    auto["reason"] = selection.reason
    mr = minirocket(name, seed) if with_minirocket else None
    if mr:
        log(f"  {name}: MiniRocket {100 * mr['accuracy']:.1f} % ({mr['seconds']} s)")
    return {"train_windows": len(train_ws), "test_windows": len(test_ws),
            "window": f"{train_ws.windows.shape[1]}x{train_ws.windows.shape[2]}",
            "classes": len(train_ws.class_names), "cv_repeats": selection.repeats, "sets": sets, "auto": auto,
            "minirocket": mr,
            "seconds": round(time.monotonic() - start, 1)}


def summary(results: dict) -> dict:
    """Means over the datasets and the issue's goals, checked."""
    names = list(results)
    auto_q = [results[n]["auto"]["quantized_accuracy"] for n in names]
    auto_f = [results[n]["auto"]["float_accuracy"] for n in names]
    out = {"auto_quantized_mean": float(np.mean(auto_q)), "auto_float_mean": float(np.mean(auto_f)),
           "quantization_cost_max_points": float(100 * max(f - q for f, q in zip(auto_f, auto_q)))}
    mr = [results[n]["minirocket"]["accuracy"] for n in names if results[n]["minirocket"]]
    if len(mr) == len(names):
        out["minirocket_mean"] = float(np.mean(mr))
        out["goal_each_within_3_points"] = bool(all(100 * (m - q) <= GOAL_BELOW_MINIROCKET for m, q in zip(mr, auto_q)))
        out["goal_mean_at_least_minirocket"] = bool(np.mean(auto_q) >= np.mean(mr))
    out["goal_quantization_within_1_point"] = out["quantization_cost_max_points"] <= GOAL_QUANTIZATION_COST
    return out


def pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}"


def markdown(report: dict) -> str:
    """The README table: per dataset, float / quantized accuracy of each set, auto's choice, MiniRocket."""
    results = report["datasets"]
    set_names = [s.name for s in sorted(features.SETS.values(), key=lambda s: s.number)]
    head = ["dataset", *set_names, "auto (choice)", "auto", "MiniRocket"]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    for name, r in results.items():
        cells = [f"{name} ({r['window']}, {r['train_windows']}/{r['test_windows']})"]
        for s in set_names:
            e = r["sets"].get(s)
            cells.append(f"{pct(e['float_accuracy'])} / {pct(e['quantized_accuracy'])}"
                         if e and "float_accuracy" in e else "-")
        a = r["auto"]
        opts = ", ".join(f"{k} {v}" for k, v in a["options"].items())
        cells.append(f"{a['set']}{' (' + opts + ')' if opts else ''}, {a['head']}")
        cells.append(f"{pct(a['float_accuracy'])} / **{pct(a['quantized_accuracy'])}**")
        cells.append(pct(r["minirocket"]["accuracy"]) if r["minirocket"] else "-")
        lines.append("| " + " | ".join(cells) + " |")
    s = report["summary"]
    mean_cells = ["mean", *("" for _ in set_names), "",
                  f"{pct(s['auto_float_mean'])} / **{pct(s['auto_quantized_mean'])}**",
                  pct(s.get("minirocket_mean"))]
    lines.append("| " + " | ".join(mean_cells) + " |")
    return "\n".join(lines)


def update_readme(readme: Path, report: dict) -> None:
    text = readme.read_text()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        raise SystemExit(f"{readme}: no {README_BEGIN} ... {README_END} block for the accuracy table")
    readme.write_text(text[:begin + len(README_BEGIN)] + "\n" + markdown(report) + "\n" + text[end:])


def run(names=DATASETS, *, folds: int = 5, repeats: int | None = None, epochs: int = 400, seed: int = 0,
        heads=select.HEADS, with_minirocket: bool = True, partial=None) -> dict:
    """The report over names; partial(report so far) is called after each dataset (a long run that
    is stopped keeps what it measured)."""
    start = time.monotonic()
    results = {}
    for n in names:
        results[n] = run_dataset(n, folds=folds, repeats=repeats, epochs=epochs, seed=seed, heads=heads,
                                 with_minirocket=with_minirocket)
        if partial is not None:
            partial(report(results, folds, repeats, epochs, seed, time.monotonic() - start))
    return report(results, folds, repeats, epochs, seed, time.monotonic() - start)


def report(results: dict, folds: int, repeats: int, epochs: int, seed: int, seconds: float) -> dict:
    times = (f"x {repeats}" if repeats is not None else
             "repeated as `train --features auto` repeats it (cv_repeats of each dataset)")
    return {"method": f"official train/test splits; choices by {folds}-fold cross-validation {times} on the "
                      f"training split (seed {seed}), {epochs} epochs; quantized = the bit-exact integer reference",
            "aeon": archive.installed_version(), "datasets": dict(results), "summary": summary(results),
            "seconds": round(seconds, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output", type=Path, default=Path("bench/accuracy.json"))
    ap.add_argument("--readme", default="README.md", help="the README whose table to rewrite ('' for none)")
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=None, help="cross-validation repeats (default: as train's)")
    ap.add_argument("--epochs", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    def write(so_far: dict) -> None:
        args.output.write_text(json.dumps(so_far, indent=2) + "\n")

    result = run([n.strip() for n in args.datasets.split(",") if n.strip()], folds=args.folds, repeats=args.repeats,
                 epochs=args.epochs, seed=args.seed, partial=write)
    write(result)
    if args.readme:
        update_readme(Path(args.readme), result)
    print(markdown(result))
    print(f"{args.output}{' and ' + args.readme if args.readme else ''} written; the run took "
          f"{result['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
