"""Open-set recognition through the CLI: train --leave-out, quantize --unknown, eval on the classes left out and
on --unknown-csv, with the figures eval prints recomputed from the library; bad options refused clearly."""
from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

from fxclass.cli import cli, main
from fxclass.data import datasets
from fxclass.model import fxm
from fxclass.model.decide import UNKNOWN
from fxclass.model.openset import open_set, window_decisions


@pytest.fixture(scope="module")
def left_out(tmp_path_factory):
    """A synthetic-activity model trained without "run", quantized with thresholds and radii."""
    folder = tmp_path_factory.mktemp("openset")
    npz, blob = folder / "m.npz", folder / "m.fxm"
    r = CliRunner().invoke(cli, ["train", "--dataset", "synthetic", "--hidden", "16", "--epochs", "150",
                                 "--leave-out", "RUN", "-o", str(npz)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["quantize", str(npz), "--dataset", "synthetic", "--unknown", "--hops", "4",
                                 "-o", str(blob)])
    assert r.exit_code == 0, r.output
    assert "averaged over 4 hops, a class needs 3 of them and holds 2 hops" in r.output
    return folder, npz, blob


def test_train_leaves_the_class_out_and_quantize_writes_the_decision_section(left_out):
    _, _, blob = left_out
    model = fxm.load(blob)
    assert model.class_names == ["still", "walk", "shake"]
    d = model.decision
    assert (d.hops, d.votes, d.dwell) == (4, 3, 2)
    assert d.centroids.shape == (3, model.n_features) and np.all(d.radius2 > 0)
    assert np.all((d.thresholds > 0) & (d.thresholds <= 16384))


def test_eval_reports_the_unseen_class_as_the_library_computes_it(left_out):
    folder, npz, blob = left_out
    r = CliRunner().invoke(cli, ["eval", str(npz), str(blob), "--dataset", "synthetic"])
    assert r.exit_code == 0, r.output
    model = fxm.load(blob)
    known, unseen = datasets.split_known(datasets.load("synthetic", "test", window_len=128, hop_len=64),
                                         model.class_names)
    o = open_set(model, known.windows, known.labels, unseen.windows)
    assert o.unseen == len(unseen) > 0 and o.known == len(known) > 0
    assert f"unseen classes run, {o.unseen} windows: {o.unseen_unknown} called unknown" in r.output
    assert f"{100 * o.open_accuracy:.1f} % with it ({o.known_rejected} called unknown)" in r.output
    # Some running is caught (it lies between walking and shaking, so not all), at a small cost.
    assert o.unseen_unknown > 0
    assert o.known_rejected <= 0.1 * o.known


def test_eval_unknown_csv_counts_its_windows(left_out, tmp_path):
    folder, npz, blob = left_out
    other = datasets.synthetic(8, 128, seed=5)
    windows = other.windows[np.array(other.labels) == other.class_names.index("run")]
    rows = ["label,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z"]
    rows += ["run," + ",".join(str(int(v)) for v in sample) for w in windows for sample in w]
    path = tmp_path / "other.csv"
    path.write_text("# sample_rate_hz: 50\n" + "\n".join(rows) + "\n")
    r = CliRunner().invoke(cli, ["eval", str(npz), str(blob), "--dataset", "synthetic", "--unknown-csv", str(path)])
    assert r.exit_code == 0, r.output
    model = fxm.load(blob)
    unseen = datasets.csv_windows(path, model.window_len, model.hop_len)
    got = re.search(rf"{re.escape(str(path))}, (\d+) windows: (\d+) called unknown", r.output)
    assert got, r.output
    assert int(got[1]) == len(unseen) and int(got[2]) == int(np.sum(window_decisions(model, unseen.windows) == UNKNOWN))


def test_bad_options_are_refused_with_a_message(left_out, capsys, tmp_path):
    folder, npz, blob = left_out
    code = main(["train", "--dataset", "synthetic", "--leave-out", "jumping", "-o", str(tmp_path / "x.npz")])
    err = capsys.readouterr().err
    assert code == 4 and "jumping" in err and "still" in err and "Traceback" not in err
    code = main(["quantize", str(npz), "--dataset", "synthetic", "--hops", "3", "--votes", "4", "-o",
                 str(tmp_path / "x.fxm")])
    err = capsys.readouterr().err
    assert code == 2 and "--votes" in err
    code = main(["eval", str(npz), str(blob), "--dataset", "synthetic", "--unknown-csv", str(tmp_path / "none.csv")])
    err = capsys.readouterr().err
    assert code == 4 and "none.csv" in err and "Traceback" not in err
