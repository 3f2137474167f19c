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
