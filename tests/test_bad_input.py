"""Bad input, bad files, bad environment and misbehaving devices: every command answers with one line
that says what to do and the documented exit code, never a traceback; and Hypothesis throws
generated CSV files, headers and model files at the readers and the CLI."""
from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fxclass.cli import main
from fxclass.data.recording import read_recording
from fxclass.device import protocol as p
from fxclass.device.link import Device
from fxclass.errors import DataError, LinkError, ModelFormatError
from fxclass.model import fxm
from fxclass.model.shape import Shape
from fxclass.model.train import FloatModel

ROOT = Path(__file__).resolve().parents[1]
MODEL = str(ROOT / "models" / "default.fxm")
FLOAT = str(ROOT / "models" / "default.npz")
EXIT_CODES = {0, 2, 3, 4, 5, 6, 7}


def run_cli(args, capsys, env=None, monkeypatch=None) -> tuple[int, str]:
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def write(tmp_path, name, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def two_class_csv(rows_per_class=200, header="label,ax,ay", extra=""):
    rng = np.random.default_rng(1)
    lines = [header]
    for label, amp in (("rest", 5), ("shake", 2000)):
        lines += [f"{label},{int(rng.normal(0, amp))},{int(rng.normal(0, amp))}{extra}" for _ in range(rows_per_class)]
    return "\n".join(lines) + "\n"


BAD_CSVS = [
    ("ax,ay\n1,2\n3,4\n" * 1, "no label", None),  # parsed later by train: no labels at all
    ("label,ax\nwalk,1\n,2\n", 4, "the label is empty"),
    ("label,ax\nwalk,99999999999999999999999\n", 4, "outside int16"),
    (b"label,ax\nwalk,1\nw\xe9lk,2\n", 4, "not UTF-8 text"),
    ("label,ax\nwalk,1.5\n", 4, "not an integer"),
    ("label,ax,ax\nwalk,1,2\n", 4, "appears twice"),
    ("label,ax\nwalk,1,2\n", 4, "3 fields, the header has 2"),
    ("label\nwalk\n", 4, "no channel columns"),
    ("# units: g\nlabel,ax\nwalk,nan\n", 4, "not a finite number"),
    ("# units: furlongs\nlabel,ax\nwalk,1\n", 4, "`units` needs one of"),
    ("# units: g\nlabel,ax\nwalk,0.5\n", 4, "no counts per unit"),
]


@pytest.mark.parametrize("text, code, message", [c for c in BAD_CSVS if c[2] is not None and c[1] is not None])
def test_bad_csv_files_name_the_row_and_column(tmp_path, capsys, text, code, message):
    path = write(tmp_path, "bad.csv", text)
    for args in (["train", "--dataset", "csv", "--csv", path, "-o", tmp_path / "m.npz"],
                 ["run", "--port", "loop://", "--csv", path]):
        got, err = run_cli(args, capsys)
        assert (got, message in err) == (code, True), err
        assert err.count("\n") == 1, err


def test_a_csv_without_labels_cannot_train(tmp_path, capsys):
    path = write(tmp_path, "nolabel.csv", "is_anomaly,ax\n" + "".join(f"{i % 2},{i}\n" for i in range(300)))
    code, err = run_cli(["train", "--dataset", "csv", "--csv", path, "-o", tmp_path / "m.npz"], capsys)
    assert code == 4 and "no label column" in err


def test_one_class_is_refused_before_training(tmp_path, capsys):
    path = write(tmp_path, "one.csv", "label,ax,ay\n" + "".join(f"walk,{i},{-i}\n" for i in range(400)))
    code, err = run_cli(["train", "--dataset", "csv", "--csv", path, "--window-len", "32", "-o", tmp_path / "m.npz"],
                        capsys)
    assert code == 4 and "of one class (walk): a classifier needs windows of at least two classes" in err


@pytest.mark.parametrize("args, code, message", [
    (["--window-len", "2"], 3, "fewer than the 4 segments of the feature set"),
    (["--window-len", "8", "--features", "stats16"], 3, "windows of 8 samples, fewer than the 12 segments"),
    (["--window-len", "8", "--features", "rocket"], 3, "rocket features need windows of at least 9 samples, not 8"),
    (["--window-len", "100000"], 4, "no window of 100000 samples"),
    (["--window-len", "600", "--hop-len", "1"], 4, "no window of 600 samples"),
    (["--hidden", "0"], 2, "every hidden layer needs at least one unit"),
    (["--hidden", "x"], 2, "give hidden widths as numbers"),
    (["--epochs", "0"], 2, "0 is not in the range"),
])
def test_train_refuses_what_it_cannot_do_with_the_numbers(tmp_path, capsys, args, code, message):
    path = write(tmp_path, "two.csv", two_class_csv())
    got, err = run_cli(["train", "--dataset", "csv", "--csv", path, "-o", tmp_path / "m.npz", *args], capsys)
    assert got == code and message in err, err


def test_train_checks_the_firmware_limits_before_training(tmp_path, capsys):
    header = "label," + ",".join(f"c{i}" for i in range(12))
    rng = np.random.default_rng(2)
    rows = [header] + [f"{'ab'[i // 800]}," + ",".join(str(v) for v in rng.integers(-99, 99, 12)) for i in range(1600)]
    path = write(tmp_path, "wide.csv", "\n".join(rows) + "\n")
    code, err = run_cli(["train", "--dataset", "csv", "--csv", path, "--window-len", "300", "--features", "stats16",
                         "-o", tmp_path / "m.npz"], capsys)
    assert code == 3 and "windows of 300 x 12 = 3600 values, the firmware holds at most 3072" in err


def test_train_into_a_missing_folder(tmp_path, capsys):
    code, err = run_cli(["train", "-o", tmp_path / "nowhere" / "m.npz"], capsys)
    assert code == 4 and "does not exist" in err


def _npz(tmp_path, **arrays) -> Path:
    path = tmp_path / "fm.npz"
    np.savez(path, **arrays)
    return path


def test_float_model_files_that_are_damaged_or_wrong(tmp_path, capsys):
    good = dict(np.load(FLOAT))
    cases = {
        "truncated": (ROOT / "models" / "default.npz").read_bytes()[:2000],
        "shapes": {**good, "w0": np.zeros((24, 5))},
        "feature set": {**good, "feature_set": np.array(9)},
        "no classes": {**good, "class_names": np.array([], dtype=str), "w1": np.zeros((0, 24)), "b1": np.zeros(0)},
        "empty": {**good, "feature_mean": np.zeros(0), "feature_std": np.zeros(0)},
    }
    for name, content in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.npz"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            np.savez(path, **content)
        for args in (["eval", path, MODEL], ["quantize", path, "-o", tmp_path / "q.fxm"]):
            code, err = run_cli(args, capsys)
            assert code == 3 and "float model" in err, (name, err)


def test_model_blob_failures(tmp_path, capsys):
    blob = bytearray((ROOT / "models" / "default.fxm").read_bytes())
    blob[100] ^= 1
    bad = write(tmp_path, "crc.fxm", bytes(blob))
    code, err = run_cli(["upload", "--port", "loop://", bad], capsys)
    assert code == 3 and "CRC-32 mismatch" in err
    code, err = run_cli(["validate", "--port", "loop://", "--model", bad], capsys)
    assert code == 3 and "CRC-32 mismatch" in err


@pytest.mark.parametrize("value", ["abc", "", "1e9x"])
def test_a_bad_baud_in_the_environment(monkeypatch, capsys, value):
    monkeypatch.setenv("FXCLASS_BAUD", value)
    code, err = run_cli(["info", "--port", "loop://"], capsys)
    assert code == 2 and "is not a baud rate" in err


@pytest.mark.parametrize("args, message", [
    (["run", "--port", "loop://", "--dataset", "basicmotions", "--limit", "-5"], "-5 is not in the range"),
    (["run", "--port", "loop://", "--dataset", "basicmotions", "--limit", "0"], "0 is not in the range"),
    (["live", "--sim", "--seconds", "-1"], "is not in the range"),
    (["record", "--port", "loop://", "--label", "a,b", "--seconds", "1", "-o", "x.csv"], "without commas"),
    (["live", "--imu-recording", str(ROOT / "README.md")], "add --renode or --native"),
])
def test_bad_options_are_usage_errors(capsys, args, message):
    code, err = run_cli(args, capsys)
    assert code == 2 and message in err, err


# ---- misbehaving devices -----------------------------------------------------------------------

class ScriptedLink:
    """A Link whose device answers each request with a scripted reply payload."""

    def __init__(self, replies):
        self.replies = replies
        self.reader = p.FrameReader()
        self.url = "scripted://"
        self.bytes_written = self.bytes_read = 0

    def write(self, data: bytes) -> None:
        frame = p.decode(data[:-1])
        reply = self.replies.get(frame.type)
        if reply is not None:
            self.reader.feed(p.encode(reply[0], frame.seq, reply[1]))

    def poll(self) -> None:
        time.sleep(0.01)

    def close(self) -> None:
        pass


def test_a_result_without_a_record_is_a_link_error():
    dev = Device(ScriptedLink({p.INFER: (p.RESULT, b"")}), timeout=0.5)
    dev.info = p.Info(1, "0.1.0", "dwt", 1600, 1, 1, Shape(4, 1, 2, 10), 2, 1, False, 4608, 2304, 32, "x", ["a", "b"])
    with pytest.raises(LinkError, match="0 result records where 1 were due"):
        dev.infer(np.zeros((4, 1), np.int16))


def test_a_stream_with_fewer_results_than_hops_is_reported(default_model):
    from fxclass.device.runner import run_recording
    reply = struct.pack("<IBB", 8, 0, 1)  # a last reply with no results
    dev = Device(ScriptedLink({p.STREAM_START: (p.ACK, b"\x03"), p.STREAM_DATA: (p.STREAM_REPLY, reply)}), timeout=0.5)
    dev.info = p.Info(1, "0.1.0", "dwt", 1600, 1, 1, Shape(4, 1, 2, 10), 2, 1, False, 4608, 2304, 32, "x", ["a", "b"])
    with pytest.raises(LinkError, match="answered 0 of the 3 hops"):
        run_recording(dev, np.zeros((8, 1), np.int16))


def _sigint_as_from_a_terminal() -> None:
    """In the child before exec: a shell without job control starts background commands with SIGINT
    ignored, their children inherit that, and Python then never raises KeyboardInterrupt; a terminal's
    Ctrl-C reaches a command whose SIGINT is at its default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_gives_130_and_keeps_the_results_already_written(firmware_elf, tmp_path):
    out = tmp_path / "partial.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "fxclass", "run", "--sim", "--dataset", "basicmotions",
                             "--output", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_sigint_as_from_a_terminal)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 3):
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted after" in err and "Traceback" not in err
    lines = out.read_text().splitlines()
    assert len(lines) >= 3 and all(line.startswith("{") and line.endswith("}") for line in lines)


# ---- property-based: generated files never make a reader or a command fail otherwise -------------

cells = st.one_of(st.integers(-2**70, 2**70).map(str), st.floats(allow_nan=True).map(repr),
                  st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6),
                  st.sampled_from(["", "walk", "Walk", " 12 ", "1e3", "-0", "label"]))
headers = st.lists(st.sampled_from(["label", "time", "recording", "ax", "ay", "az", "Label", "x", ""]), min_size=0,
                   max_size=5)
prefix = st.lists(st.sampled_from(["# units: g, g", "# units: g", "# counts_per_unit: 512", "# sample_rate_hz: 0",
                                   "# sample_rate_hz: 12.5", "# counts_per_unit: -1", "#", "# units: dps, x"]),
                  max_size=3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=prefix, header=headers, rows=st.lists(st.lists(cells, min_size=0, max_size=5), max_size=8))
def test_generated_csv_files_are_read_or_refused_with_a_data_error(tmp_path, prefix, header, rows):
    path = tmp_path / "gen.csv"
    text = "\n".join(prefix + [",".join(header)] + [",".join(r) for r in rows]) + "\n"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        rec = read_recording(path)
        rec.counts()
    except DataError as exc:
        assert str(exc) and "\n" not in str(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=prefix, header=headers, rows=st.lists(st.lists(cells, min_size=0, max_size=5), max_size=8),
       window=st.integers(1, 12))
def test_generated_csv_files_through_train_give_a_documented_exit_code(tmp_path, capsys, prefix, header, rows, window):
    path = tmp_path / "gen.csv"
    path.write_text("\n".join(prefix + [",".join(header)] + [",".join(r) for r in rows]) + "\n",
                    encoding="utf-8", errors="surrogatepass")
    code, err = run_cli(["train", "--dataset", "csv", "--csv", path, "--window-len", window, "--epochs", "2",
                         "-o", tmp_path / "m.npz"], capsys)
    assert code in EXIT_CODES and "internal error" not in err, err


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400), flips=st.lists(st.integers(0, 4115), max_size=4))
def test_generated_model_blobs_are_parsed_or_refused_with_a_model_format_error(data, flips):
    blob = bytearray((ROOT / "models" / "default.fxm").read_bytes())
    for i in flips:
        blob[i] ^= 0x5A
    for candidate in (bytes(blob), data, b"FXMB" + data):
        try:
            fxm.unpack(candidate)
        except ModelFormatError as exc:
            assert str(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_generated_float_model_files_are_refused_with_a_model_format_error(tmp_path, data):
    path = tmp_path / "gen.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("shape.npy", data)
    for candidate in (path, tmp_path / "raw.npz"):
        if candidate.name == "raw.npz":
            candidate.write_bytes(data)
        with pytest.raises(ModelFormatError):
            FloatModel.load(candidate)
