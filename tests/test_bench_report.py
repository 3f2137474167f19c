"""The README's results table is the one `make bench` writes from bench/results.json."""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host" / "tools"))
from bench_report import README_BEGIN, README_END, markdown  # noqa: E402  (a make target's tool, not the package)


def test_readme_table_matches_bench_results():
    results = json.loads((ROOT / "bench" / "results.json").read_text())
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index(README_BEGIN) + len(README_BEGIN):readme.index(README_END)]
    assert block.strip() == markdown(results)


def test_results_carry_the_keys_the_issue_names():
    results = json.loads((ROOT / "bench" / "results.json").read_text())
    for key in ("instructions_per_inference", "dense_instructions_per_mac", "softmax_instructions_per_class",
                "softmax_max_abs_error", "float_accuracy", "quantized_accuracy"):
        assert isinstance(results[key], (int, float)), key
    for board in ("netduinoplus2", "nucleo_f446re", "nucleo_f411re"):
        assert results[f"flash_bytes_without_model_{board}"] > 0
        assert results[f"ram_bytes_{board}"] > 0
    assert 0 < results["link"]["framing_overhead"] < 1


def test_make_bench_builds_the_native_port_it_measures(tmp_path):
    """On a fresh clone (no build/host yet) `make bench` builds fxclass_native before measuring it."""
    import subprocess

    out = subprocess.run(["make", "-n", "-C", str(ROOT), "bench", f"HOST_BUILD={tmp_path}"], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    built = out.stdout.index(f"-o {tmp_path}/fxclass_native")
    assert built < out.stdout.index("bench_report.py")


def test_bench_report_says_what_failed_in_one_line(monkeypatch, capsys):
    import subprocess

    import bench_report
    from fxclass.errors import ToolError

    def missing(argv=None):
        raise ToolError("firmware image build/host/fxclass_native not found: build it with `make native`")

    monkeypatch.setattr(bench_report, "measure_all", missing)
    assert bench_report.main([]) == 7
    assert capsys.readouterr().err == "error: firmware image build/host/fxclass_native not found: build it with " \
                                      "`make native`\n"

    def failing(argv=None):
        raise subprocess.CalledProcessError(2, ["make", "bench"])

    monkeypatch.setattr(bench_report, "measure_all", failing)
    assert bench_report.main([]) == 7 and "make bench failed with status 2" in capsys.readouterr().err


def test_the_renode_round_trip_is_measured_and_within_its_goal():
    link = json.loads((ROOT / "bench" / "results.json").read_text())["link"]
    assert 0 < link["round_trip_ms_renode"] <= 200
