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
    (["--window-len", "2"], 2, "fewer than the 4 segments of the feature set"),
    (["--window-len", "8", "--features", "stats16"], 2, "windows of 8 samples, fewer than the 12 segments"),
    (["--window-len", "8", "--features", "rocket"], 2, "rocket features need windows of at least 9 samples, not 8"),
    (["--window-len", "100000"], 2, "windows of 100000 samples, the firmware takes at most 2048"),
    (["--dataset", "synthetic", "--window-len", "100000"], 2, "the firmware takes at most 2048"),
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


def test_train_refuses_a_model_too_big_before_training_and_its_default_fits(tmp_path, capsys):
    header = "label," + ",".join(f"c{i}" for i in range(12))
    rng = np.random.default_rng(3)
    rows = [header] + [f"{'ab'[i // 300]}," + ",".join(str(v) for v in rng.integers(-99, 99, 12)) for i in range(600)]
    path = write(tmp_path, "wide.csv", "\n".join(rows) + "\n")
    args = ["train", "--csv", path, "--window-len", "128", "--features", "stats16", "--epochs", "2"]
    code, err = run_cli([*args, "--hidden", "128,128", "-o", tmp_path / "big.npz"], capsys)
    assert code == 3 and "make a 4" in err and "the firmware holds 32768: give a smaller --hidden" in err, err
    assert not (tmp_path / "big.npz").exists()
    assert run_cli([*args, "--hidden", "128", "-o", tmp_path / "m.npz"], capsys)[0] == 0
    code, err = run_cli(["quantize", tmp_path / "m.npz", "--csv", path, "-o", tmp_path / "m.fxm"], capsys)
    assert code == 0, err


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


# ---- files that cannot be written, values a model cannot hold, environment out of range --------------

@pytest.fixture
def fake_board(default_model):
    from fakeboard import FakeBoard

    board = FakeBoard(default_model)
    yield board
    board.close()


def test_results_and_plots_that_cannot_be_written(tmp_path, capsys, fake_board):
    full = tmp_path / "full.jsonl"
    full.symlink_to("/dev/full")  # every write: ENOSPC, as on a full disk
    (tmp_path / "full.png").symlink_to("/dev/full")
    run = ["run", "--port", fake_board.url, "--dataset", "basicmotions", "--limit", "2", "--quiet"]
    for args, message in ((["--output", full], f"cannot write {full}: No space left on device (free some space"),
                          (["--plot", tmp_path / "full.png"], "No space left on device"),
                          (["--output", "/proc/fx.jsonl"], "cannot write /proc/fx.jsonl: No such file or directory "
                                                           "(that place takes no new files)"),
                          (["--plot", tmp_path / "nowhere" / "p.png"], "does not exist (create it first)")):
        code, err = run_cli([*run, *args], capsys)
        assert code == 4 and message in err and "internal error" not in err, (args, err)
    code, err = run_cli([*run, "--plot", tmp_path / "myplot"], capsys)
    assert code == 2 and "give a file name ending in .png or .svg or .pdf" in err
    assert not (tmp_path / "myplot.png").exists()


def test_models_and_recordings_that_cannot_be_written(tmp_path, capsys):
    (tmp_path / "full.npz").symlink_to("/dev/full")
    (tmp_path / "full.fxm").symlink_to("/dev/full")
    code, err = run_cli(["train", "--epochs", "1", "-o", tmp_path / "full.npz"], capsys)
    assert code == 4 and "cannot write" in err and "No space left on device" in err, err
    code, err = run_cli(["quantize", FLOAT, "-o", tmp_path / "full.fxm"], capsys)
    assert code == 4 and "No space left on device" in err, err
    code, err = run_cli(["record", "--port", "loop://", "--label", "walk", "--seconds", "1",
                         "-o", tmp_path / "nowhere" / "r.csv"], capsys)
    assert code == 4 and "does not exist (create it first)" in err, err


def test_a_full_disk_while_recording_is_a_data_error(tmp_path):
    from fxclass.data.recording import RecordingWriter

    (tmp_path / "full.csv").symlink_to("/dev/full")
    with pytest.raises(DataError, match="No space left on device"):
        writer = RecordingWriter(tmp_path / "full.csv", ["ax"], 10, ["g"], [512], "r1")
        writer.write("walk", np.ones((4, 1)))


@pytest.mark.parametrize("args, message", [
    (["record", "--port", "loop://", "--label", "w\udcffalk", "--seconds", "1", "-o", "r.csv"], "not UTF-8 text"),
    (["record", "--port", "loop://", "--label", "a" * 100_000, "--seconds", "1", "-o", "r.csv"],
     "a label of 100000 bytes: a model keeps class names of at most 15 bytes"),
    (["record", "--port", "loop://", "--label", "walk", "--seconds", "nan", "-o", "r.csv"], "'nan' is not a finite"),
    (["live", "--port", "loop://", "--seconds", "nan"], "'nan' is not a finite number"),
    (["live", "--port", "loop://", "--seconds", "inf"], "is not in the range"),
    (["info", "--port", "loop://", "--timeout", "nan"], "'nan' is not a finite number"),
    (["train", "--lr", "nan", "-o", "m.npz"], "'nan' is not a finite number"),
    (["train", "--sample-rate-hz", "0.5", "-o", "m.npz"], "0.5 is not in the range 1<=x<=65535"),
    (["train", "--counts-per-unit", "1e-9", "-o", "m.npz"], "counts per unit lie from 1/65536"),
])
def test_values_no_command_can_use_are_usage_errors(capsys, args, message):
    code, err = run_cli(args, capsys)
    assert code == 2 and message in err and "internal error" not in err, err


@pytest.mark.parametrize("header, message", [
    ("# sample_rate_hz: 0.5", "sample_rate_hz '0.5': a model runs at 1 to 65535 Hz"),
    ("# sample_rate_hz: 70000", "sample_rate_hz '70000': a model runs at 1 to 65535 Hz"),
    ("# sample_rate_hz: 1e9", "sample_rate_hz '1e9'"),
    ("# counts_per_unit: 1e-9", "counts_per_unit '1e-9': a model keeps counts per unit from 1/65536"),
    ("# sample_rate_hz: 50\n# sample_rate_hz: 10", ":2: `sample_rate_hz` is declared a second time (first on line 1)"),
])
def test_header_values_a_model_cannot_hold_are_refused_by_train(tmp_path, capsys, header, message):
    rows = "".join(f"{'ab'[i // 200]},{i % 7 / 10},{-(i % 5) / 10}\n" for i in range(400))
    path = write(tmp_path, "h.csv", f"{header}\n# units: g, g\n" + "label,ax,ay\n" + rows)
    if "counts_per_unit" not in header:
        path.write_text(path.read_text().replace("# units: g, g\n", "# units: g, g\n# counts_per_unit: 512\n"))
    code, err = run_cli(["train", "--csv", path, "--window-len", "32", "--epochs", "1", "-o", tmp_path / "m.npz"],
                        capsys)
    assert code == 4 and message in err, err
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("value", ["-5", "0", "9" * 12])
def test_a_baud_out_of_range_in_the_environment(monkeypatch, capsys, value):
    monkeypatch.setenv("FXCLASS_BAUD", value)
    code, err = run_cli(["info", "--port", "loop://"], capsys)
    assert code == 2 and "is not a baud rate: give a number from 300 to 10000000" in err, err


@pytest.mark.parametrize("value", ["abc", "0", "-3", "nan", "1e9"])
def test_a_bad_native_sensor_speedup_is_a_usage_error(monkeypatch, capsys, value, tmp_path):
    monkeypatch.setenv("FXCLASS_NATIVE_IMU_SPEEDUP", value)
    code, err = run_cli(["info", "--native"], capsys)
    assert code == 2 and "$FXCLASS_NATIVE_IMU_SPEEDUP=" in err and "a number from 0.01 to 1000" in err, err


@pytest.mark.parametrize("where, message", [("notes.txt", "is not an executable file"),
                                             ("/nonexistent/renode", "does not exist")])
def test_renode_in_the_environment_that_is_no_renode(monkeypatch, capsys, tmp_path, where, message):
    if not where.startswith("/"):
        where = str(write(tmp_path, where, "not a program"))
    monkeypatch.setenv("FXCLASS_RENODE", where)
    code, err = run_cli(["sim", "--renode"], capsys)
    assert code == 7 and f"no Renode at $FXCLASS_RENODE={where}" in err and message in err, err
    code, err = run_cli(["info", "--renode", "--renode-path", where], capsys)
    assert code == 7 and f"no Renode at --renode-path={where}" in err, err


def test_a_blob_the_firmware_refuses_for_a_weight_is_named(tmp_path, capsys):
    from fxclass.device.protocol import error_text

    assert "a weight outside [-127, 127]" in error_text(0x10 + 9)


def _reached(proc, stage: str) -> bool:
    """Whether the fxclass process has got to stage: loading numpy (its modules), its first child
    started (the emulator's watchdog: the emulator is being started), or QEMU started."""
    import psutil

    try:
        if stage == "imports":
            return "numpy" in Path(f"/proc/{proc.pid}/maps").read_text()
        children = psutil.Process(proc.pid).children()
        if stage == "first child":
            return bool(children)
        return any("qemu" in " ".join(child.cmdline()) for child in children)
    except (OSError, psutil.Error):
        return False


@pytest.mark.parametrize("stage", ["imports", "first child", "emulator"])
def test_ctrl_c_during_start_up_is_an_exit_not_a_traceback(firmware_elf, stage):
    """Ctrl-C while the modules load, while the emulator is being started, and once QEMU has started
    (the host waiting for the firmware)."""
    proc = subprocess.Popen([sys.executable, "-m", "fxclass", "info", "--sim"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_sigint_as_from_a_terminal)
    while proc.poll() is None and not _reached(proc, stage):
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err and "internal error" not in err, err
    assert proc.returncode in (0, 130), err  # 0: it had finished before the Ctrl-C
    assert proc.returncode == 0 or err.strip().endswith("interrupted"), err
