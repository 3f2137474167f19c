"""`make accuracy`'s report: host/tools/accuracy.py's JSON and README table, on a tiny run."""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host" / "tools"))
import accuracy  # noqa: E402  (a make target's tool, not the package)

from fxclass.model import features  # noqa: E402


def test_a_tiny_run_writes_the_json_and_the_readme_table(tmp_path):
    written = []
    report = accuracy.run(["basicmotions"], folds=2, epochs=20, heads=((),), with_minirocket=False,
                          partial=written.append)
    assert [list(w["datasets"]) for w in written] == [["basicmotions"]]  # kept after each dataset
    result = report["datasets"]["basicmotions"]
    assert set(result["sets"]) == {s.name for s in features.SETS.values()}  # every registered set
    for entry in result["sets"].values():
        assert 0 <= entry["quantized_accuracy"] <= 1 and 0 <= entry["float_accuracy"] <= 1
        assert entry["head"].startswith("softmax, l2 ") and 0 < entry["model_bytes"] <= 32768
    auto = result["auto"]
    assert auto["set"] in result["sets"] and auto["reason"]
    assert auto["quantized_accuracy"] == result["sets"][auto["set"]]["quantized_accuracy"]
    assert report["summary"]["auto_quantized_mean"] == auto["quantized_accuracy"]
    assert "minirocket_mean" not in report["summary"] and result["minirocket"] is None
    path = tmp_path / "accuracy.json"
    path.write_text(json.dumps(report))
    table = accuracy.markdown(json.loads(path.read_text()))
    lines = table.splitlines()
    assert lines[0].split(" | ")[1:-3] == [s.name for s in sorted(features.SETS.values(), key=lambda s: s.number)]
    assert lines[2].startswith("| basicmotions (100x6, 40/40) |") and lines[-1].startswith("| mean |")
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{accuracy.README_BEGIN}\nold\n{accuracy.README_END}\nafter\n")
    accuracy.update_readme(readme, report)
    assert readme.read_text() == f"before\n{accuracy.README_BEGIN}\n{table}\n{accuracy.README_END}\nafter\n"


def test_readme_table_matches_bench_accuracy():
    report = json.loads((ROOT / "bench" / "accuracy.json").read_text())
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index(accuracy.README_BEGIN) + len(accuracy.README_BEGIN):readme.index(accuracy.README_END)]
    assert block.strip() == accuracy.markdown(report)
    assert set(report["datasets"]) == set(accuracy.DATASETS)
