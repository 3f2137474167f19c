"""farm/: the exporter files and their labels, read as Jumpstarter reads them; leases of a local farm; --lease.

The structure checks need only PyYAML; Jumpstarter's own config loader checks the same files where
Jumpstarter is installed (`make farm-setup`; `make test` does not install it). The boards themselves
are tested by tests/test_farm_devices.py and tests/test_farm_local.py (`make farm-test`)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fxclass.cli import main
from fxclass.errors import LeaseError
from fxclass.farm import lease as lease_module, local

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
EXPORTERS = sorted((ROOT / "farm" / "exporters").glob("*.yaml"))
RENODE_EXPORTERS = [p for p in EXPORTERS if p.name.startswith("renode-")]
REAL_EXPORTERS = [p for p in EXPORTERS if not p.name.startswith("renode-")]
LABELS = local.read_labels()


def config(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_there_are_emulated_and_real_exporters_of_both_nucleos():
    assert [p.stem for p in RENODE_EXPORTERS] == ["renode-nucleo-f411re", "renode-nucleo-f446re"]
    assert [p.stem for p in REAL_EXPORTERS] == ["nucleo-f411re", "nucleo-f446re"]


@pytest.mark.parametrize("path", EXPORTERS, ids=lambda p: p.stem)
def test_each_exporter_is_an_exporter_config_named_as_its_file_and_labelled(path):
    c = config(path)
    assert (c["apiVersion"], c["kind"]) == ("jumpstarter.dev/v1alpha1", "ExporterConfig")
    assert c["metadata"]["name"] == path.stem
    labels = LABELS[path.stem]
    board = labels["board"]
    assert board in ("nucleo_f446re", "nucleo_f411re") and board.replace("_", "-") in path.stem
    assert labels["mcu"] == "stm32" + board.rpartition("_")[2]
    assert labels["shield"] in ("true", "false")
    assert set(c["export"]) == {"board"}, "fxclass finds the board's drivers under `board`"


@pytest.mark.parametrize("path", RENODE_EXPORTERS, ids=lambda p: p.stem)
def test_a_renode_exporter_loads_the_projects_platform_shield_and_recording(path):
    board = LABELS[path.stem]["board"]
    driver = config(path)["export"]["board"]
    assert driver["type"] == "fxclass.farm.renode_driver.FxclassRenode"
    cfg = driver["config"]
    assert cfg["platform"] == f"renode/{board}.repl" and (ROOT / cfg["platform"]).is_file()
    assert cfg["uart"] == "sysbus.usart2" and cfg["allow_raw_monitor"] is True
    assert cfg["extra_commands"][:2] == ["include @renode/LSM6DSO_I2C.cs", "machine LoadPlatformDescription @renode/iks01a3.repl"]
    for command in cfg["extra_commands"]:
        for word in command.split():
            if word.startswith("@") and not word.startswith("@build/"):
                assert (ROOT / word[1:]).is_file(), f"{command}: no such file in the repository"
    assert f"{lease_module.IMU_VARIABLE}=@build/farm/imu.resd" in cfg["extra_commands"]
    assert LABELS[path.stem]["shield"] == "true"


@pytest.mark.parametrize("path", REAL_EXPORTERS, ids=lambda p: p.stem)
def test_a_real_nucleo_exporter_has_its_console_drive_flasher_and_probe(path):
    chip = LABELS[path.stem]["mcu"].upper()
    children = config(path)["export"]["board"]["children"]
    assert children["console"]["type"] == "jumpstarter_driver_pyserial.driver.PySerial"
    assert children["console"]["config"]["baudrate"] == 115200
    assert children["flasher"]["type"] == "jumpstarter_driver_stlink_msd.driver.StlinkMsdFlasher"
    assert children["flasher"]["config"]["volume_name"] == "NODE_" + chip.removeprefix("STM32")
    assert children["probe"]["type"] == "jumpstarter_driver_probe_rs.driver.ProbeRs"
    assert children["probe"]["config"]["chip"] == chip + "Tx"


def test_the_labels_are_kubernetes_exporter_objects():
    manifest = yaml.safe_load((ROOT / "farm" / "exporters.yaml").read_text())
    assert manifest["kind"] == "List"
    for item in manifest["items"]:
        assert (item["apiVersion"], item["kind"]) == ("jumpstarter.dev/v1alpha1", "Exporter")
        assert all(isinstance(v, str) for v in item["metadata"]["labels"].values()), "label values are strings"
    assert sorted(LABELS) == sorted(p.stem for p in EXPORTERS)


# -- with Jumpstarter installed ----------------------------------------------------------------------

@pytest.fixture
def jumpstarter():
    return pytest.importorskip("jumpstarter.config.exporter", reason="Jumpstarter is not installed (make farm-setup)")


@pytest.mark.parametrize("path", EXPORTERS, ids=lambda p: p.stem)
def test_jumpstarters_loader_takes_each_exporter_file_and_its_drivers(jumpstarter, path):
    from jumpstarter.common.importlib import import_class

    loaded = jumpstarter.ExporterConfigV1Alpha1.load_path(path)
    assert loaded.metadata.name == path.stem
    tree = loaded.export["board"].root
    types = [tree.type] if hasattr(tree, "type") else [child.root.type for child in tree.children.values()]
    for type_name in types:
        assert import_class(type_name, [], True)


@pytest.mark.parametrize("path", RENODE_EXPORTERS, ids=lambda p: p.stem)
def test_a_renode_exporter_instantiates_power_flasher_and_console(jumpstarter, path):
    driver = jumpstarter.ExporterConfigV1Alpha1.load_path(path).export["board"].instantiate()
    assert set(driver.children) == {"power", "flasher", "console"}
    assert driver.children["console"].port == driver.console_port > 0


def test_selectors_match_labels_as_the_controller_matches_them(jumpstarter):
    labels = LABELS["renode-nucleo-f411re"]
    for selector, expected in [("board=nucleo_f411re", True), ("board=nucleo_f446re", False),
                               ("shield=true,mcu=stm32f411re", True), ("board in (nucleo_f446re, nucleo_f411re)", True),
                               ("emulated!=renode", False), ("shield", True), ("!shield", False)]:
        assert local.labels_match(labels, selector) is expected, selector


def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "local.json"
    local.write_inventory(path, [local.Exporter(name, f"127.0.0.1:{7000 + i}", LABELS[name])
                                 for i, name in enumerate(["renode-nucleo-f411re", "renode-nucleo-f446re"])])
    return path


def test_a_local_lease_holds_one_board_until_released(jumpstarter, tmp_path):
    path = inventory(tmp_path)
    first = local.claim(path, "shield=true", timeout_s=0)
    second = local.claim(path, "shield=true", timeout_s=0)
    assert {first.exporter.name, second.exporter.name} == {"renode-nucleo-f411re", "renode-nucleo-f446re"}
    with pytest.raises(LeaseError, match="every board matching 'shield=true' stayed leased for 1 s"):
        local.claim(path, "shield=true", timeout_s=1)
    first.release()
    assert local.claim(path, "shield=true", timeout_s=0).exporter.name == first.exporter.name
    with pytest.raises(LeaseError, match="no board of the local farm .* matches 'board=nucleo_f401re'; it has "
                                         "renode-nucleo-f411re: board=nucleo_f411re"):
        local.claim(path, "board=nucleo_f401re", timeout_s=0)


# -- the command line ----------------------------------------------------------------------------------

def test_lease_excludes_the_emulator_options(capsys):
    assert main(["info", "--lease", "board=nucleo_f411re", "--renode"]) == 2
    assert "--lease takes a board of a farm" in capsys.readouterr().err


def test_without_jumpstarter_a_lease_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setattr(lease_module, "jumpstarter_installed", lambda: False)
    assert main(["info", "--lease", "board=nucleo_f411re"]) == LeaseError.exit_code == 8
    assert "Jumpstarter is not installed: `pip install 'fxclass[farm]'`" in capsys.readouterr().err
    assert main(["flash", "--lease", "board=nucleo_f411re"]) == 8


def test_a_lease_that_cannot_be_had_is_its_own_error(jumpstarter, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(local.ENV_FARM, str(inventory(tmp_path)))
    assert main(["validate", "--lease", "board=nucleo_f401re", "--limit", "1"]) == 8
    assert "no board of the local farm" in capsys.readouterr().err
    # A board that matches, whose exporter is not there.
    assert main(["info", "--lease", "board=nucleo_f446re", "--timeout", "1"]) == 8
    assert "could not lease a board matching 'board=nucleo_f446re'" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"exporters": [{"name": "x"}]}))
    monkeypatch.setenv(local.ENV_FARM, str(bad))
    assert main(["info", "--lease", "board=nucleo_f446re"]) == 8
    assert "is not a local farm's inventory" in capsys.readouterr().err


def test_validate_keeps_the_windows_compared_when_the_lease_is_lost(monkeypatch, capsys):
    """The board answers 5 windows, one of them wrongly, then its exporter is gone."""
    import contextlib
    from types import SimpleNamespace

    import numpy as np

    from fxclass.cli import validate as validate_cli
    from fxclass.model import fxm
    from fxclass.model.reference import Pipeline

    model = fxm.load(ROOT / "models" / "default.fxm")
    answered = []

    def infer(window):
        if len(answered) == 5:
            raise LeaseError("the lease of renode-nucleo-f411re was lost: its exporter no longer answers")
        ref_class, ref_prob = Pipeline(model).run(window[None])
        wrong = len(answered) == 2
        answered.append(window)
        return SimpleNamespace(class_index=int(ref_class[0]) + wrong, prob_q15=np.asarray(ref_prob[0]))

    monkeypatch.setattr(validate_cli, "open_device", lambda target: contextlib.nullcontext(SimpleNamespace(infer=infer)))
    monkeypatch.setattr(validate_cli, "ensure_model", lambda *args: None)
    assert main(["validate", "--lease", "board=nucleo_f411re", "--dataset", "basicmotions"]) == 8
    out, err = capsys.readouterr()
    assert "window 2: device class" in out and "window 3" not in out
    assert "5 of 40 windows compared before the run stopped, 1 differ from the reference" in out
    assert "error: the lease of renode-nucleo-f411re was lost: its exporter no longer answers; 5 results were kept" in err


def test_a_process_group_ends_with_its_starter():
    """An exporter killed (SIGKILL) leaves nothing: the watchdog ends the group (emu/process.py)."""
    from fxclass.emu.process import group_pids

    starter = subprocess.Popen([sys.executable, "-c", "import sys, time; from fxclass.emu.process import ProcessGroup\n"
                                "g = ProcessGroup(['sh', '-c', 'sleep 300 & wait'])\n"
                                "print(g.pgid, flush=True); time.sleep(300)"], stdout=subprocess.PIPE, text=True)
    pgid = int(starter.stdout.readline())
    deadline = time.monotonic() + 10
    while len(group_pids(pgid)) < 2:  # the shell and its sleep, as Renode's launcher and mono
        assert time.monotonic() < deadline
        time.sleep(0.05)
    starter.kill()
    starter.wait()
    deadline = time.monotonic() + 5
    while group_pids(pgid):
        assert time.monotonic() < deadline, f"left: {group_pids(pgid)}"
        time.sleep(0.1)


def test_the_cli_imports_jumpstarter_only_when_a_lease_is_asked_for():
    code = "import sys, fxclass.cli; print(sorted(m for m in sys.modules if m.startswith('jumpstarter')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_make_farm_test_without_jumpstarter_says_how_to_get_it_and_runs_nothing(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(shutil.which("python3"))  # the system's: no Jumpstarter
    if subprocess.run([str(venv / "bin" / "python"), "-c", "import jumpstarter"], capture_output=True).returncode == 0:
        pytest.skip("this machine's own python3 has Jumpstarter")
    proc = subprocess.run(["make", "-C", str(ROOT), "farm-test", f"VENV={venv}", "SELECTOR=board=nucleo_f411re"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert f"Jumpstarter is not installed in {venv}: run make farm-setup" in proc.stdout
    assert "-m pytest" not in proc.stdout + proc.stderr and not (venv / ".pip-done").exists()
