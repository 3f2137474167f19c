"""The device tests on a Jumpstarter farm: each board that `pytest --lease SELECTOR` matches, leased in turn.

INFO, INFER bit-exact with the host reference, STREAM hop by hop, an upload and the model put back,
and, where the lease's labels say shield=true, LIVE checked against the reference on the samples
RECORD returned from the board's own sensor. Through the lease's console, as `fxclass --lease` talks
to a board; emulated and real boards alike. `make farm-test SELECTOR=...` runs them, one board per
pytest-xdist worker, so that the boards are tested concurrently. Without --lease they do not run."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from fxclass.data import datasets
from fxclass.model import fxm
from fxclass.model.reference import Pipeline

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "renode"))
from FxclassDevice import FxclassDevice  # noqa: E402

DEFAULT_MODEL = ROOT / "models" / "default.fxm"


def pytest_generate_tests(metafunc):
    """One parameter per matching exporter, each its own xdist group (one worker holds its lease)."""
    if "exporter" not in metafunc.fixturenames:
        return
    selector = metafunc.config.getoption("--lease")
    if selector is None:
        metafunc.parametrize("exporter", [pytest.param(None, marks=pytest.mark.skip(
            reason="farm device tests run with --lease SELECTOR (make farm-test SELECTOR=...)"))], scope="module")
        return
    from fxclass.farm.lease import matching_exporters

    found = matching_exporters(selector)
    if not found:
        raise pytest.UsageError(f"--lease {selector!r}: no board of the farm matches")
    metafunc.parametrize("exporter", [pytest.param(e, id=e[0], marks=pytest.mark.xdist_group(e[0])) for e in found],
                         scope="module")


@pytest.fixture(scope="module")
def leased(request, exporter):
    from fxclass.farm.lease import LeasedBoard

    name, _ = exporter
    with LeasedBoard(request.config.getoption("--lease"), exporter_name=name) as board:
        yield board


@pytest.fixture(scope="module")
def lib(leased):
    """The Robot suites' keywords (renode/FxclassDevice.py) on the leased board's console."""
    keywords = FxclassDevice()
    keywords.dev = leased.open_device(115200, timeout=30, boot_timeout=60)
    keywords.model = fxm.load(DEFAULT_MODEL)
    yield keywords
    keywords.disconnect()


def test_info_names_the_board_its_labels_say(leased, lib):
    lib.should_report(leased.board)


def test_infer_is_bit_exact_with_the_reference(lib):
    lib.classify_like_reference(count=8)


def test_stream_answers_every_hop_as_the_reference(lib):
    lib.stream_every_hop(n_windows=6)


def test_upload_runs_the_new_model_then_the_default_again(lib):
    window = datasets.basicmotions("test").windows[1]
    lib.upload_variant("0xC0FFEE")
    assert lib.dev.request_info().model_id == 0xC0FFEE
    assert np.array_equal(lib.dev.infer(window).prob_q15, Pipeline(lib.model).run(window[None])[1][0])
    assert lib.upload_corrupt()  # refused, and the model stays
    lib.running_model("0xC0FFEE")
    lib.upload(str(DEFAULT_MODEL))  # the board is left as the next lease expects it
    lib.should_report(lib.dev.info.board)


def test_live_is_bit_exact_on_the_samples_the_sensor_delivered(leased, lib):
    if leased.labels.get("shield") != "true":
        pytest.skip(f"{leased.name} is labelled shield={leased.labels.get('shield')}: no sensor to test")
    lib.start_sensor_mode("LIVE", "RECORD")
    leased.play_imu()
    lib.collect(hops=3, idle_timeout=60)
    assert lib.live_matches_reference() >= 3
