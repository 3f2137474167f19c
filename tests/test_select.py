"""`train --features auto` (model/select.py), its cost model (model/cost.py) and the archive datasets
(data/archive.py): folds, the selection rule, the board's limits, the model card's record."""
from __future__ import annotations

import builtins
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from fxclass.cli import cli, main
from fxclass.data import archive, datasets
from fxclass.errors import DataError, ModelFormatError
from fxclass.model import cost, features, select
from fxclass.model.evaluate import evaluate, model_card
from fxclass.model.fxm import pack
from fxclass.model.quantize import quantize_best
from fxclass.model.train import FloatModel, train

ROOT = Path(__file__).resolve().parents[1]
FAST = dict(n_folds=3, epochs=40, heads=((), (8,)))


@pytest.fixture(scope="module")
def synthetic_train():
    return datasets.load("synthetic", "train", window_len=64, seed=3)


# ---- the archive datasets -----------------------------------------------------------------------

def fake_series(name, split):
    rng = np.random.default_rng(0 if split == "train" else 1)
    n = 12 if split == "train" else 6
    x = rng.normal(0, 1, size=(n, 1, 40))
    x[0, 0, 5] = 3.0 if split == "train" else 9.0  # the training peak sets the scale; the test's clips
    labels = np.array(["10", "2", "1"] * (n // 3))
    return x, labels


def test_archive_problem_is_scaled_by_the_training_peak(monkeypatch):
    monkeypatch.setattr(archive, "load_series", fake_series)
    train = datasets.load("gunpoint", "train")
    test = datasets.load("gunpoint", "test")
    # 16383 / 3.0 = 5461: the largest power of two below is 4096, for both splits.
    assert train.counts_per_unit == test.counts_per_unit == [4096.0]
    assert train.units == ["other"] and train.windows.dtype == np.int16 and train.windows.shape == (12, 40, 1)
    assert train.windows[0, 5, 0] == 3 * 4096 and test.windows[0, 5, 0] == 32767  # clipped, not wrapped
    x, _ = fake_series("gunpoint", "train")
    assert np.array_equal(train.windows[:, :, 0], np.round(x[:, 0, :] * 4096).astype(np.int16))
    assert train.class_names == ["1", "2", "10"]  # natural order
    assert train.class_names[train.labels[0]] == "10" and train.sample_rate_hz == 30


def test_archive_needs_aeon_and_says_how_to_install_it(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_aeon(name, *args, **kwargs):
        if name == "aeon" or name.startswith("aeon."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_aeon)
    monkeypatch.delitem(sys.modules, "aeon", raising=False)
    monkeypatch.delitem(sys.modules, "aeon.datasets", raising=False)
    with pytest.raises(DataError, match=r"fxclass\[accuracy\]"):
        datasets.load("osuleaf", "train")
    assert main(["train", "--dataset", "acsf1", "-o", "/tmp/never.npz"]) == DataError.exit_code
    assert "fxclass[accuracy]" in capsys.readouterr().err


@pytest.mark.skipif(archive.installed_version() is None, reason="aeon (fxclass[accuracy]) is not installed")
def test_archive_reads_the_official_splits_aeon_ships():
    sizes = {"gunpoint": (50, 150, 150), "arrowhead": (36, 175, 251), "osuleaf": (200, 242, 427),
             "acsf1": (100, 100, 1460)}
    for name, (n_train, n_test, length) in sizes.items():
        train, test = datasets.load(name, "train"), datasets.load(name, "test")
        assert (len(train), len(test), train.windows.shape[1]) == (n_train, n_test, length)
        assert np.abs(train.windows).max() <= 16384  # twice the peak fits int16


# ---- folds and the rule -------------------------------------------------------------------------

def test_folds_cover_every_window_once_and_spread_the_classes(synthetic_train):
    folds = select.fold_indices(synthetic_train, 5, seed=1)
    everything = np.sort(np.concatenate(folds))
    assert np.array_equal(everything, np.arange(len(synthetic_train)))
    for f in folds:
        counts = np.bincount(synthetic_train.labels[f], minlength=4)
        assert counts.min() >= np.bincount(synthetic_train.labels).min() // 5 - 1
    assert [f.tolist() for f in folds] == [f.tolist() for f in select.fold_indices(synthetic_train, 5, seed=1)]
    assert [f.tolist() for f in folds] != [f.tolist() for f in select.fold_indices(synthetic_train, 5, seed=2)]


def test_folds_keep_recordings_whole(synthetic_train):
    ws = datasets.WindowSet(synthetic_train.windows, synthetic_train.labels, synthetic_train.class_names, 50,
                            synthetic_train.channel_names)
    ws.sources = [f"rec{i // 4}" for i in range(len(ws))]  # four windows a recording
    for f in select.fold_indices(ws, 4, seed=0):
        inside = {ws.sources[i] for i in f}
        assert sum(ws.sources.count(s) for s in inside) == len(f)  # each recording wholly in one fold
    ws.sources = ["a", "b"] * (len(ws) // 2)
    with pytest.raises(DataError, match="2 recordings"):
        select.fold_indices(ws, 3, seed=0)


def row(name, hidden, accs, instructions, model_bytes=1000, why_not="", losses=None, n_features=16):
    number = features.BY_NAME[name].number
    return select.Row(select.Candidate(number, (), hidden), n_features=n_features, instructions=instructions,
                      model_bytes=model_bytes, fold_accuracies=accs, why_not=why_not,
                      fold_losses=losses if losses is not None else [0.5] * len(accs))


def test_rule_best_mean_then_the_lowest_log_loss_then_the_cheapest():
    best = row("stats16", (), [1.0, 0.9, 1.0, 0.9, 1.0, 0.9], 3000)             # mean 0.95
    worse = row("rocket", (), [0.8, 0.7, 0.8, 0.7, 0.8, 0.7], 300000)           # 20 points below in every fold
    unfit = row("rocket", (16,), [1.0] * 6, 10, why_not="budget")
    chosen, top, reason = select.choose([worse, best, unfit])
    assert chosen is best and top is best and reason == "best mean CV accuracy 95.0 %"
    sure = row("stats16", (16,), [1.0, 0.9, 1.0, 0.9, 1.0, 0.9], 3000, losses=[0.1] * 6)  # a better score
    chosen, _, reason = select.choose([best, sure, worse])
    assert chosen is sure and "of the 2 candidates that share it, the lowest CV log loss (0.100)" in reason
    cheaper_twin = row("stats16", (32,), [1.0, 0.9, 1.0, 0.9, 1.0, 0.9], 1000, losses=[0.1] * 6)
    assert select.choose([best, sure, cheaper_twin])[0] is cheaper_twin            # all else equal: the cheapest
    unknown = row("stats16", (), [1.0, 0.9, 1.0, 0.9, 1.0, 0.9], None, losses=[0.1] * 6)  # no cost: never cheaper
    assert select.choose([unknown, sure])[0] is sure
    with pytest.raises(ModelFormatError, match="budget"):
        select.choose([unfit])


def test_rule_within_the_folds_noise_the_candidate_that_sees_most():
    # GunPoint's case: spectral three windows better over 20 folds, rocket within the folds' noise of it.
    spectral = row("spectral", (16,), [1.0] * 19 + [0.9], 9000, losses=[0.07] * 20, n_features=18)
    rocket = row("rocket", (), [1.0] * 16 + [0.9] * 4, 280000, losses=[0.05] * 20, n_features=504)
    wider = row("rocket", (), [1.0] * 16 + [0.9] * 4, 860000, losses=[0.06] * 20, n_features=2016)
    assert select.within_noise(rocket, spectral)
    chosen, best, reason = select.choose([spectral, rocket])
    assert (chosen, best) == (rocket, spectral)
    assert "within the folds' noise" in reason and "the one that sees most: rocket, 504 features, 98.0 %" in reason
    assert select.choose([spectral, rocket, wider])[0] is wider        # then the most features
    # Outside the noise (one window worse in each of 20 folds) the best stays.
    behind = row("rocket", (), [0.9] * 20, 280000, losses=[0.05] * 20, n_features=2016)
    assert not select.within_noise(behind, spectral)
    assert select.choose([spectral, behind])[0] is spectral
    # Richer than the best but no better: equal folds, any capacity, are within noise.
    assert select.within_noise(row("stats8", (), [1.0] * 19 + [0.9], 10), spectral)


def test_log_loss_is_the_mean_cross_entropy():
    logits = np.array([[0.0, 0.0], [np.log(3.0), 0.0]])
    assert select.log_loss(logits, np.array([0, 0])) == pytest.approx((np.log(2) + np.log(4 / 3)) / 2)


# ---- the board's limits -------------------------------------------------------------------------

def test_an_instruction_budget_excludes_the_sets_above_it(synthetic_train):
    rows, _ = select.candidate_rows(synthetic_train, heads=((),))
    by_set = {}
    for r in rows:
        by_set.setdefault(r.candidate.set_name, []).append(r)
    assert set(by_set) == {s.name for s in features.SETS.values()}  # every registered set is a candidate
    assert all(r.fits for n in ("stats8", "stats16", "spectral") for r in by_set[n])
    assert all(r.instructions is not None for r in rows)  # every set has a cost model
    spectral_min = min(r.instructions for n in by_set if not n.startswith("stats") for r in by_set[n])
    stats_max = max(r.instructions for n in ("stats8", "stats16") for r in by_set[n])
    assert stats_max < spectral_min
    budget = int((stats_max + spectral_min) / 2)
    sel = select.select(synthetic_train, instr_budget=budget, **FAST)
    assert sel.chosen.candidate.set_name in ("stats8", "stats16")
    for r in sel.rows:
        if not r.candidate.set_name.startswith("stats"):
            assert not r.fits and not r.fold_accuracies
            assert "budget" in r.why_not or "model" in r.why_not
    assert "no: " in sel.table() and "<- chosen" in sel.table()
    with pytest.raises(ModelFormatError, match="instr-budget"):
        select.select(synthetic_train, instr_budget=100, **FAST)


def test_model_bytes_are_the_blob_the_candidate_makes(synthetic_train):
    rows, _ = select.candidate_rows(synthetic_train, heads=((16,),))
    r = rows[0]
    trained = train(synthetic_train, (16,), 5, feature_set=r.candidate.feature_set)
    qm, _, _ = quantize_best(trained, synthetic_train.windows)
    assert r.model_bytes == len(pack(qm))


def test_the_cost_model_matches_make_bench():
    bench = json.loads((ROOT / "bench" / "results.json").read_text())
    for shape, per_value in bench["feature_instructions_per_value_by_shape"].items():
        dims, segments = shape.split("/")
        L, C = (int(v) for v in dims.split("x"))
        fset = features.BY_NAME["stats8" if int(segments) == 4 else "stats16"]
        estimate = fset.instructions(fset.default_params(L, C))
        assert estimate == pytest.approx(per_value * L * C, rel=0.06), shape
    for key, figures in bench["feature_sets"].get("spectral", {}).items():
        m = figures["model"]
        L, C = (int(v) for v in m["window"].split("x"))
        spectral = features.BY_NAME["spectral"]
        from fxclass.model.features.spectral import SpectralParams, log_band_edges
        params = SpectralParams(L, C, m["fft_len"], m["hop_len"], log_band_edges(m["fft_len"], m["n_bands"]))
        assert spectral.instructions(params) == pytest.approx(figures["stage_instructions"]["features"], rel=0.05), key
    stats16 = features.BY_NAME["stats16"]
    whole = cost.inference_instructions(stats16.number, stats16.default_params(100, 6), (24,), 4)
    assert whole == pytest.approx(bench["instructions_per_inference"], rel=0.15)


# ---- the choice recorded ------------------------------------------------------------------------

def test_auto_model_and_card_record_the_choice(synthetic_train, tmp_path):
    fm, sel = select.train_auto(synthetic_train, n_folds=3, epochs=40, heads=((), (8,)))
    c = sel.chosen.candidate
    assert fm.feature_set == c.feature_set and fm.meta["hidden"] == list(c.hidden)
    assert len(fm.weights) == len(c.hidden) + 1
    path = tmp_path / "auto.npz"
    fm.save(path)
    again = FloatModel.load(path)
    assert again.meta["selection"] == fm.meta["selection"] and again.meta["features"] == c.set_name
    qm, _, _ = quantize_best(again, synthetic_train.windows)
    test = datasets.load("synthetic", "test", window_len=64, seed=3)
    card = model_card(evaluate(again, qm, test), qm, again, "synthetic", len(pack(qm)), 3)
    assert f"`fxclass train --features auto`: {c.set_name}" in card
    assert "| why | " in card and sel.reason in card
    assert "| feature parameters | " in card


def test_train_auto_on_the_command_line(tmp_path):
    out = tmp_path / "m.npz"
    r = CliRunner().invoke(cli, ["train", "--dataset", "basicmotions", "--features", "auto", "--epochs", "30",
                                 "--folds", "3", "--instr-budget", "9000", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "cross-validation 1/" in r.output and "CV accuracy" in r.output and "chosen: " in r.output
    assert "budget 9,000" in r.output  # spectral's rows say why they do not fit
    assert FloatModel.load(out).meta["selection"]["instr_budget"] == 9000
    r = CliRunner().invoke(cli, ["train", "--dataset", "basicmotions", "--instr-budget", "9000", "-o", str(out)])
    assert r.exit_code == 2 and "--features auto" in r.output
