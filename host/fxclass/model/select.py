"""`fxclass train --features auto`: feature set, options and head chosen by cross-validation on train.

Every registered feature set (features.SETS) is a candidate with each of the fit options its module
offers (search_options) and each head size. A candidate fits when the firmware takes its blob
(MAX_MODEL_BYTES, the standard input stage or, where that is too large, the compact one), its feature
count and its feature stage's working memory (MAX_FEATURE_WORK_BYTES), and, under an instruction
budget, when its estimated instructions per inference (cost.py) are within it. Those that fit are
scored by k-fold cross-validation, stratified by class, seeded, with every recording kept whole on
one side of each fold where the windows know their recordings; the feature set is fitted anew on
each fold's training part.

The rule. The best candidate is the one of the best mean accuracy (then the lowest mean cross-validated
log loss, the proper score that still separates candidates that saturate at 100 %, then the cheapest).
Every fold validates all candidates on the same windows, so each candidate's difference from the best
is measured fold by fold; those whose mean difference is within NOISE_SE standard errors of those
paired differences are as good as cross-validation can tell. Of these, auto takes the one that sees
most of a window: the feature set of the highest capacity (stats8, stats16, spectral, rocket), then
the one with the most features, then the best mean accuracy, the lowest log loss, the cheapest. With a
few dozen training windows the folds' noise is several points wide, and within it the richer
transform is the better bet: random-kernel features gain accuracy with their number (Dempster,
Schmidt and Webb, 2021). In `make accuracy` every set that came within noise of rocket's
cross-validation was as good or worse on the test split: equal on BasicMotions (100 %), 5 points worse
on GunPoint (spectral: 99.5 % in cross-validation and 94.0 % on test, rocket 98.0 % and 99.3 %), 14 and
19 points worse on ArrowHead (stats16, spectral). The opposite preference, the cheapest within one
standard error, chose sets 10 to 26 points worse on ArrowHead, OSULeaf and ACSF1.
Instructions are traded for accuracy only where the user says how many there are: --instr-budget
leaves out every candidate above it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..data.datasets import WindowSet
from ..errors import DataError, ModelFormatError
from . import cost, features
from .fxm import MAX_FEATURES, MAX_LAYER_WIDTH, MAX_MODEL_BYTES, pack
from .limits import MAX_FEATURE_WORK_BYTES
from .quantize import quantize
from .shape import Shape
from .train import FloatModel, fit_head
from .train import train as train_model

HEADS: tuple[tuple[int, ...], ...] = ((), (16,), (32,))
# Weight decay of the head; cross-validation picks. 0.01 suits the hundreds or thousands of features of
# a convolutional set fitted on a few dozen windows, 0.03 the fewest windows; weaker decay (0.001)
# lost 2 to 7 points of rocket's test accuracy on the archive problems and changes little elsewhere.
L2S: tuple[float, ...] = (1e-2, 3e-2)
# Repeated cross-validation for small training sets: the repeats that validate about this many
# windows in all (a 36-window set is folded 5 times over, 200 windows once), so that the mean over
# folds, which decides, is not one lucky split.
VALIDATED_WINDOWS = 200
MAX_REPEATS = 5
# Within noise of the best: a mean paired difference of at most this many standard errors (about a 95 %
# one-sided bound).
NOISE_SE = 2.0


def auto_repeats(n_windows: int) -> int:
    """The repeats of the cross-validation for a training set of n_windows (VALIDATED_WINDOWS)."""
    return int(min(MAX_REPEATS, max(1, -(-VALIDATED_WINDOWS // max(1, n_windows)))))


@dataclass(frozen=True)
class Candidate:
    feature_set: int            # the set's number (features.SETS)
    options: tuple              # its fit options, as sorted (name, value) pairs
    hidden: tuple[int, ...]     # hidden widths of the head; () is softmax regression
    l2: float = 1e-3            # the head's weight decay

    @property
    def set_name(self) -> str:
        return features.get(self.feature_set).name

    def options_text(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.options)

    def head_text(self) -> str:
        width = "softmax" if not self.hidden else "mlp " + ",".join(str(w) for w in self.hidden)
        return f"{width}, l2 {self.l2:g}"


@dataclass
class Row:
    """A candidate, what it costs the board, and its cross-validation accuracies (empty when it does
    not fit and was not scored)."""

    candidate: Candidate
    n_features: int = 0
    model_bytes: int = 0
    input_stage: str = "standard"
    work_bytes: int = 0
    instructions: float | None = None
    why_not: str = ""               # why it does not fit; "" when it does
    fold_accuracies: list[float] = field(default_factory=list)
    fold_losses: list[float] = field(default_factory=list)   # mean log loss of each fold's windows

    @property
    def fits(self) -> bool:
        return not self.why_not

    @property
    def mean(self) -> float:
        return float(np.mean(self.fold_accuracies)) if self.fold_accuracies else float("nan")

    @property
    def sd(self) -> float:
        return float(np.std(self.fold_accuracies, ddof=1)) if len(self.fold_accuracies) > 1 else 0.0

    @property
    def loss(self) -> float:
        return float(np.mean(self.fold_losses)) if self.fold_losses else float("inf")

    def cost_key(self) -> tuple:
        return (float("inf") if self.instructions is None else self.instructions, self.model_bytes)


@dataclass
class Selection:
    rows: list[Row]
    chosen: Row
    best: Row
    reason: str
    n_folds: int
    repeats: int
    seed: int
    instr_budget: int | None

    def table(self) -> str:
        return format_table(self.rows, self.chosen)

    def summary(self) -> dict:
        """What the model's meta (and so its card) keeps of the choice."""
        c = self.chosen
        return {"chosen": f"{c.candidate.set_name} ({c.candidate.options_text() or 'defaults'}), "
                          f"{c.candidate.head_text()}",
                "cv_accuracy": f"{100 * c.mean:.1f} +- {100 * c.sd:.1f} %",
                "rule": self.reason,
                "folds": f"{self.n_folds}-fold x {self.repeats}, seed {self.seed}",
                "instr_budget": self.instr_budget,
                "candidates": len(self.rows),
                "fitting": sum(r.fits for r in self.rows)}


def fold_indices(ws: WindowSet, n_folds: int, seed: int) -> list[np.ndarray]:
    """n_folds disjoint validation index sets covering every window. Windows that know their
    recordings (several of them) are assigned a recording at a time, recordings dealt round-robin in
    a seeded order within each class (by their first window's label); otherwise windows are dealt
    the same way, so every class is spread over the folds."""
    rng = np.random.default_rng(seed)
    n = len(ws)
    groups = np.arange(n)
    if ws.sources and len(set(ws.sources)) > 1:
        names = sorted(set(ws.sources))
        lookup = {s: i for i, s in enumerate(names)}
        groups = np.array([lookup[s] for s in ws.sources])
    unique = np.unique(groups)
    if len(unique) < n_folds:
        raise DataError(f"{len(unique)} {'recordings' if len(unique) < n else 'windows'} in the training data, fewer "
                        f"than the {n_folds} cross-validation folds: give more data or fewer --folds")
    group_label = {g: int(ws.labels[np.flatnonzero(groups == g)[0]]) for g in unique}
    fold_of = {}
    turn = 0
    for label in sorted(set(group_label.values())):
        members = [g for g in unique if group_label[g] == label]
        for g in rng.permutation(members):
            fold_of[int(g)] = turn % n_folds
            turn += 1
    assignment = np.array([fold_of[int(g)] for g in groups])
    return [np.flatnonzero(assignment == k) for k in range(n_folds)]


def _subset(ws: WindowSet, idx: np.ndarray) -> WindowSet:
    return WindowSet(ws.windows[idx], ws.labels[idx], ws.class_names, ws.sample_rate_hz, ws.channel_names,
                     ws.units, ws.counts_per_unit, [ws.sources[i] for i in idx] if ws.sources else [])


def blob_size(train: WindowSet, feature_set: int, params, hidden: tuple[int, ...]) -> tuple[int, str]:
    """The bytes of the blob a candidate makes and the input stage it takes: the standard one, or the
    compact one where the standard does not fit. The size depends on the shapes alone, so an
    untrained head on a few windows gives it exactly."""
    fset = features.get(feature_set)
    sample = train.windows[: min(len(train), 8)]
    head = fit_head(fset.transform(params, sample), train.labels[: len(sample)], len(train.class_names), hidden,
                    epochs=1)  # the shapes are all that count
    fm = FloatModel(head.weights, head.biases, head.feature_mean, head.feature_std, list(train.class_names),
                    Shape(train.windows.shape[1], train.windows.shape[2], max(1, train.windows.shape[1] // 2),
                          train.sample_rate_hz), feature_set=feature_set, units=train.units,
                    counts_per_unit=train.counts_per_unit, feature_params=params if fset.section else None)
    size = 0
    for stage in ("standard", "compact"):
        size = len(pack(quantize(fm, sample, input_stage=stage, model_id=0)))
        if size <= MAX_MODEL_BYTES:
            return size, stage
    return size, "compact"


def candidate_rows(train: WindowSet, heads=HEADS, instr_budget: int | None = None, l2s=L2S) -> tuple[list[Row], dict]:
    """Every candidate of every registered set with what it costs and whether it fits; and the
    feature parameters fitted on the whole training data for each (set, options)."""
    window_len, n_channels = train.windows.shape[1:]
    n_classes = len(train.class_names)
    rows, fitted = [], {}
    for fset in sorted(features.SETS.values(), key=lambda s: s.number):
        for options in fset.search_options(window_len, n_channels):
            key = (fset.number, tuple(sorted(options.items())))
            try:
                params = fset.fit(train.windows, train.labels, **options)
                n_features = fset.n_features(params)
            except (ModelFormatError, DataError, ValueError) as exc:
                rows += [Row(Candidate(*key, h, l2), why_not=f"not for this data: {exc}") for h in heads for l2 in l2s]
                continue
            fitted[key] = params
            work = fset.working_memory(params)
            for hidden, l2 in ((h, l2) for h in heads for l2 in l2s):
                row = Row(Candidate(*key, hidden, l2), n_features=n_features, work_bytes=work,
                          instructions=cost.inference_instructions(fset.number, params, hidden, n_classes))
                if n_features > MAX_FEATURES:
                    row.why_not = f"{n_features} features > {MAX_FEATURES}"
                elif work > MAX_FEATURE_WORK_BYTES:
                    row.why_not = f"working memory {work} B > {MAX_FEATURE_WORK_BYTES} B"
                elif any(w > MAX_LAYER_WIDTH for w in hidden):
                    row.why_not = f"hidden width > {MAX_LAYER_WIDTH}"
                else:
                    row.model_bytes, row.input_stage = blob_size(train, fset.number, params, hidden)
                    if row.model_bytes > MAX_MODEL_BYTES:
                        row.why_not = f"model {row.model_bytes} B > {MAX_MODEL_BYTES} B"
                    elif instr_budget is not None and row.instructions is None:
                        row.why_not = "no cost model for the instruction budget"
                    elif instr_budget is not None and row.instructions > instr_budget:
                        row.why_not = f"{row.instructions:,.0f} instructions > budget {instr_budget:,}"
                rows.append(row)
    return rows, fitted


def log_loss(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy of the softmax of logits (n, classes) at the true labels, in nats."""
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.mean(log_p[np.arange(len(labels)), labels]))


def _score_key(r: Row) -> tuple:
    """Best first: mean accuracy, then log loss, then cost (rounded: folds' means of equal folds tie)."""
    return (-round(r.mean, 9), round(r.loss, 9), *r.cost_key())


def within_noise(row: Row, best: Row, n_se: float = NOISE_SE) -> bool:
    """Whether row's accuracy is within n_se standard errors of best's, fold by fold on the same folds."""
    diff = np.asarray(best.fold_accuracies) - np.asarray(row.fold_accuracies)
    se = float(np.std(diff, ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
    return float(np.mean(diff)) <= n_se * se + 1e-12


def capacity(row: Row) -> tuple[int, int]:
    """How much of a window a candidate sees: its set's capacity, then its feature count."""
    return features.get(row.candidate.feature_set).capacity, row.n_features


def choose(rows: list[Row]) -> tuple[Row, Row, str]:
    """The rule (module docstring). Returns the chosen row, the best-scoring row and the reason in words."""
    scored = [r for r in rows if r.fits and r.fold_accuracies]
    if not scored:
        reasons = sorted({r.why_not for r in rows if r.why_not})
        raise ModelFormatError("no feature set and head fits the board for this data: " + "; ".join(reasons)
                               + " (raise --instr-budget, or use shorter windows or fewer channels)")
    best = min(scored, key=_score_key)
    close = [r for r in scored if within_noise(r, best)]
    most = max(capacity(r) for r in close)
    chosen = min((r for r in close if capacity(r) == most), key=_score_key)
    reason = f"best mean CV accuracy {100 * best.mean:.1f} %"
    if chosen is best:
        tied = sum(round(r.mean, 9) == round(best.mean, 9) for r in scored)
        if tied > 1:
            reason += f"; of the {tied} candidates that share it, the lowest CV log loss ({best.loss:.3f})"
        if len(close) > 1:
            reason += ", and no candidate within noise of it sees more"
        return best, best, reason
    reason += (f" ({best.candidate.set_name}, {best.candidate.head_text()}); {len(close)} candidates within the "
               f"folds' noise of it (mean paired difference <= {NOISE_SE:g} standard errors); of those, the one "
               f"that sees most: {chosen.candidate.set_name}, {chosen.n_features} features, "
               f"{100 * chosen.mean:.1f} % (CV log loss {chosen.loss:.3f})")
    return chosen, best, reason


def select(train: WindowSet, heads=HEADS, n_folds: int = 5, repeats: int | None = None, seed: int = 0, epochs: int = 400,
           lr: float = 0.01, instr_budget: int | None = None,
           progress: Callable[[str], None] | None = None, l2s=L2S) -> Selection:
    """Score every fitting candidate by cross-validation on train and choose one (module docstring);
    repeats None: auto_repeats."""
    repeats = auto_repeats(len(train)) if repeats is None else repeats
    rows, _ = candidate_rows(train, heads, instr_budget, l2s)
    by_key: dict[tuple, list[Row]] = {}
    for row in rows:
        if row.fits:
            by_key.setdefault((row.candidate.feature_set, row.candidate.options), []).append(row)
    splits = [fold_indices(train, n_folds, seed + r) for r in range(repeats)]
    total = len(by_key) * n_folds * repeats
    done = 0
    n_classes = len(train.class_names)
    for (number, options), group in by_key.items():
        fset = features.get(number)
        for r, folds in enumerate(splits):
            for k, val_idx in enumerate(folds):
                fit_idx = np.setdiff1d(np.arange(len(train)), val_idx)
                part = _subset(train, fit_idx)
                params = fset.fit(part.windows, part.labels, **dict(options))
                f_fit = fset.transform(params, part.windows)
                f_val = fset.transform(params, train.windows[val_idx])
                for row in group:
                    head = fit_head(f_fit, part.labels, n_classes, row.candidate.hidden, epochs, lr, row.candidate.l2,
                                    seed=seed + r)
                    logits = head.logits(f_val)
                    row.fold_accuracies.append(float(np.mean(np.argmax(logits, axis=1) == train.labels[val_idx])))
                    row.fold_losses.append(log_loss(logits, train.labels[val_idx]))
                done += 1
                if progress is not None:
                    progress(f"cross-validation {done}/{total}: {fset.name}"
                             f"{' (' + group[0].candidate.options_text() + ')' if options else ''}, "
                             f"repeat {r + 1} fold {k + 1} of {n_folds}")
    chosen, best, reason = choose(rows)
    return Selection(rows, chosen, best, reason, n_folds, repeats, seed, instr_budget)


def train_auto(train: WindowSet, heads=HEADS, n_folds: int = 5, repeats: int | None = None, seed: int = 0,
               epochs: int = 400, lr: float = 0.01, instr_budget: int | None = None, hop_len: int | None = None,
               progress: Callable[[str], None] | None = None, l2s=L2S) -> tuple[FloatModel, Selection]:
    """select, then the chosen candidate trained on the whole training data; its meta records the
    set, its options, the head, the input stage that fits and the choice (Selection.summary)."""
    selection = select(train, heads, n_folds, repeats, seed, epochs, lr, instr_budget, progress, l2s)
    c = selection.chosen.candidate
    fm = train_model(train, c.hidden, epochs, lr, c.l2, seed=seed, hop_len=hop_len, feature_set=c.feature_set,
                     feature_options=dict(c.options))
    fm.meta["input_stage"] = selection.chosen.input_stage
    fm.meta["selection"] = selection.summary()
    return fm, selection


def format_table(rows: list[Row], chosen: Row | None = None) -> str:
    """The candidates as a text table: set, options, head, CV accuracy and log loss, model bytes, instructions,
    fits."""
    head = ("set", "options", "head", "CV accuracy", "log loss", "model B", "est. instr", "fits?")
    lines = []
    for r in rows:
        acc = f"{100 * r.mean:5.1f} +- {100 * r.sd:4.1f} %" if r.fold_accuracies else "-"
        instr = "?" if r.instructions is None else f"{r.instructions:,.0f}"
        fits = "yes" if r.fits else f"no: {r.why_not}"
        mark = " <- chosen" if r is chosen else ""
        loss = f"{r.loss:.3f}" if r.fold_losses else "-"
        lines.append((r.candidate.set_name, r.candidate.options_text() or "-", r.candidate.head_text(), acc, loss,
                      str(r.model_bytes or "-"), instr, fits + mark))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + "  {}"
    return "\n".join([fmt.format(*head), fmt.format(*("-" * w for w in widths))] + [fmt.format(*ln) for ln in lines])


__all__ = ["HEADS", "Candidate", "Row", "Selection", "blob_size", "candidate_rows", "capacity", "choose",
           "fold_indices", "L2S", "MAX_REPEATS", "NOISE_SE", "VALIDATED_WINDOWS", "auto_repeats", "within_noise",
           "format_table", "log_loss", "select", "train_auto"]
