"""A person's own recordings, from CSV to a model validated on the target, with the README's commands
(Your own data): ten gestures in g with a recording column, several recordings per class, one of
1,200 samples, a separate test file; bit-exact validation and the accuracy eval prints."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from fxclass.data import datasets
from fxclass.cli import main
from fxclass.model import fxm
from fxclass.model.reference import Pipeline


def gesture(rng, k: int, n: int) -> np.ndarray:
    t = np.arange(n) / 50.0
    x = (0.15 + 0.12 * (k % 4)) * np.sin(2 * np.pi * (0.6 + 0.45 * k) * t[:, None] + rng.uniform(0, 6.3, 3))
    x += rng.normal(0, 0.03, (n, 3))
    x[:, 2] += 1.0
    x[:, k % 3] += 0.2 * np.sign(np.sin(2 * np.pi * 0.3 * k * t))
    return x


def write_gestures(path: Path, seed: int, per_class: int, long_one: bool = False, label_case=str) -> None:
    rng = np.random.default_rng(seed)
    with path.open("w") as f:
        f.write("# units: g, g, g\nlabel,recording,ax,ay,az\n")
        for k in range(1, 11):
            for r in range(per_class):
                n = 1200 if long_one and k == 10 and r == 0 else int(rng.integers(200, 320))
                for row in gesture(rng, k - 1, n):
                    f.write(f"{label_case(f'gesture_{k}')},g{k}-r{r},{row[0]:.5f},{row[1]:.5f},{row[2]:.5f}\n")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own")
    write_gestures(folder / "train.csv", 1, 3, long_one=True)
    write_gestures(folder / "test.csv", 2, 1, label_case=str.capitalize)  # labels match ignoring case
    return folder


def cli(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out + out.err


def test_from_csv_to_a_model_validated_on_the_target(files, firmware_elf, capsys):
    train, test = files / "train.csv", files / "test.csv"
    npz, fxm_path = files / "gestures.npz", files / "gestures.fxm"
    code, out = cli(capsys, "train", "--dataset", "csv", "--csv", train, "--test-csv", test, "--sample-rate-hz", 50,
                    "--counts-per-unit", "auto", "--window-len", 64, "--hop-len", 32, "--hidden", 32, "-o", npz)
    assert code == 0, out
    assert "50 Hz, inputs g x" in out and "window" in out
    code, out = cli(capsys, "quantize", npz, "--dataset", "csv", "--csv", train, "-o", fxm_path)
    assert code == 0, out
    model = fxm.load(fxm_path)
    assert model.class_names == [f"gesture_{k}" for k in range(1, 11)]  # 2 before 10
    assert model.sample_rate_hz == 50 and model.units == ["g"] * 3 and (model.window_len, model.hop_len) == (64, 32)
    code, out = cli(capsys, "eval", npz, fxm_path, "--dataset", "csv", "--csv", train, "--test-csv", test)
    assert code == 0, out
    printed = float(re.search(r"quantized accuracy\s+([\d.]+) %", out).group(1))
    ws = datasets.csv_windows(test, 64, 32, class_names=model.class_names, counts_per_unit=model.counts_per_unit)
    predicted, _ = Pipeline(model).run(ws.windows)
    assert printed == round(100 * float(np.mean(predicted == ws.labels)), 1)
    assert printed >= 70.0
    code, out = cli(capsys, "validate", "--sim", "--model", fxm_path, "--csv", test)
    assert code == 0 and f"{len(ws)} windows, 0 differ from the reference" in out, out
    code, out = cli(capsys, "run", "--sim", "--model", fxm_path, "--csv", test, "--quiet")
    assert code == 0 and re.search(r"accuracy: [\d.]+ %", out), out


def test_the_split_never_separates_a_recording(files):
    ws = datasets.load("csv", "train", csv_path=str(files / "train.csv"), window_len=64, hop_len=32,
                       counts_per_unit="auto")
    other = datasets.load("csv", "test", csv_path=str(files / "train.csv"), window_len=64, hop_len=32,
                          counts_per_unit="auto")
    assert ws.sources and other.sources and not set(ws.sources) & set(other.sources)
    assert len(ws) + len(other) == len(datasets.csv_windows(files / "train.csv", 64, 32, counts_per_unit="auto"))


def test_the_calibration_search_keeps_agreement(files, capsys):
    npz, out_path = files / "heavy.npz", files / "heavy.fxm"
    assert cli(capsys, "train", "--dataset", "csv", "--csv", files / "train.csv", "--counts-per-unit", "auto",
               "--window-len", 64, "--hop-len", 32, "--epochs", 150, "-o", npz)[0] == 0
    code, out = cli(capsys, "quantize", npz, "--dataset", "csv", "--csv", files / "train.csv", "-o", out_path)
    assert code == 0
    agreement = float(re.search(r"\(([\d.]+) % agreement", out).group(1))
    assert agreement >= 90.0


@pytest.fixture(scope="module")
def unitless(files):
    """The train file's physical values with no `# units` line: what a logger that writes bare floats gives."""
    path = files / "bare.csv"
    path.write_text((files / "train.csv").read_text().replace("# units: g, g, g\n", ""))
    return path


def test_a_float_csv_without_units_is_declared_on_the_command_line(files, unitless, capsys):
    npz = files / "bare.npz"
    code, out = cli(capsys, "train", "--csv", unitless, "--counts-per-unit", "auto", "--window-len", "64",
                    "--epochs", "3", "-o", npz)
    assert code == 4 and "not an integer (sensor counts; for physical values declare `# units:` in the file, or give train --units)" in out, out
    code, out = cli(capsys, "train", "--csv", unitless, "--units", "g", "--counts-per-unit", "auto",
                    "--window-len", "64", "--epochs", "3", "-o", npz)
    assert code == 0 and "inputs g x" in out, out
    code, out = cli(capsys, "quantize", npz, "--csv", unitless, "-o", files / "bare.fxm")
    assert code == 0 and f"the train side of {unitless}'s seeded split (--seed 0)" in out, out
    code, out = cli(capsys, "eval", npz, files / "bare.fxm", "--csv", unitless)
    assert code == 0 and "quantized accuracy" in out, out
    code, out = cli(capsys, "train", "--csv", files / "train.csv", "--units", "dps", "--epochs", "1", "-o", npz)
    assert code == 4 and "the file declares the units 'g, g, g', --units says dps, dps, dps" in out, out


def test_csv_commands_without_the_model_say_to_give_it(files, capsys):
    code, out = cli(capsys, "validate", "--port", "loop://", "--csv", files / "test.csv")
    assert code == 2 and "--csv needs --model M.fxm" in out, out
    code, out = cli(capsys, "run", "--port", "loop://", "--csv", files / "test.csv")
    assert code == 4 and "no counts per unit" in out and "give --model M.fxm" in out and "--counts-per-unit" not in out


def test_a_missing_image_names_the_command_that_builds_it(tmp_path):
    from fxclass.emu.emulator import Emulator
    from fxclass.errors import ToolError

    with pytest.raises(ToolError, match=r"build it with `fxclass build --board netduinoplus2`"):
        Emulator(elf=tmp_path / "fxclass.elf").start()
