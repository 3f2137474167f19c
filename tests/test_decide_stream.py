"""Decisions end to end: a model with a DECISION section uploaded to the firmware in QEMU and natively, a
recording streamed, and every result record (class, probabilities, outside, decision, changed) and
every EVENT equal to the numpy reference."""
from __future__ import annotations

import numpy as np
import pytest

import blobs
from fxclass.device import protocol as p
from fxclass.emu.emulator import Emulator
from fxclass.model import decide, fxm
from fxclass.model.openset import calibrate
from fxclass.model.reference import Pipeline


@pytest.fixture(scope="module", params=["qemu", "native"])
def device(request, firmware_elf, native_binary):
    native = request.param == "native"
    with Emulator(elf=native_binary if native else firmware_elf, native=native) as emu:
        dev = emu.open_device(timeout=10)
        yield dev
        dev.close()


@pytest.fixture(scope="module")
def model_and_recording():
    """A synthetic activity model with thresholds, radii, K 3, M 2 and dwell 2, and a recording of its
    activities in turn with a stretch of a movement it never saw (loud noise) in the middle."""
    data = blobs.windows(64, 6)
    model = blobs.trained(64, 6, 2, (16,))
    model.decision = calibrate(model, data.windows, data.labels, 99.0, 3, 2, 2)
    rng = np.random.default_rng(11)
    parts = [np.concatenate([data.windows[i], data.windows[i]]) for i in rng.integers(0, len(data), size=8)]
    noise = rng.integers(-20000, 20000, size=(256, 6)).astype(np.int16)
    return model, np.concatenate(parts[:4] + [noise] + parts[4:])


def test_every_hop_and_every_event_is_the_reference(device, model_and_recording):
    model, samples = model_and_recording
    device.upload(fxm.pack(model))
    device.take_events()
    results = list(device.stream(samples))
    events = device.take_events()
    ref = Pipeline(model).stream(samples)
    assert len(results) == len(ref["class"])
    assert [r.index for r in results] == ref["hop_index"].tolist()
    assert [r.class_index for r in results] == ref["class"].tolist()
    assert np.array_equal(np.stack([r.prob_q15 for r in results]), ref["prob"])
    assert [r.outside for r in results] == ref["outside"].tolist()
    assert [r.decided for r in results] == ref["decided"].tolist()
    assert [r.changed for r in results] == ref["changed"].tolist()
    expected = decide.events(ref["decided"], ref["changed"], ref["smoothed"])
    assert [(e.hop, e.decided, e.previous, e.prob_q15) for e in events] == expected
    assert [e.samples for e in events] == [int(ref["samples"][h]) for h, *_ in expected]
    # The movement the model never saw is called unknown, and the known ones are decided again after it.
    assert decide.UNKNOWN in [e.decided for e in events]
    assert any(e.decided < model.n_classes for e in events[[e.decided for e in events].index(decide.UNKNOWN):])


def test_infer_carries_no_decision(device, model_and_recording):
    model, samples = model_and_recording
    result = device.infer(samples[:64])
    assert result.decided == decide.NONE and not result.changed
    assert result.outside == bool(Pipeline(model).run_open(samples[None, :64])[2][0])


def test_a_model_without_decision_section_decides_each_hop(device, default_model):
    """K = M = dwell = 1: the decision is each hop's class, an EVENT at each change of it."""
    device.upload(fxm.pack(default_model))
    device.take_events()
    rng = np.random.default_rng(3)
    samples = rng.integers(-3000, 3000, size=(100 + 50 * 20, 6)).astype(np.int16)
    results = list(device.stream(samples))
    events = device.take_events()
    classes = [r.class_index for r in results]
    assert [r.decided for r in results] == classes
    assert [e.hop for e in events] == [0] + [h for h in range(1, len(classes)) if classes[h] != classes[h - 1]]
    assert all(isinstance(e, p.Event) for e in events)


def test_live_calls_a_gesture_never_seen_unknown_and_decides_once_per_gesture(native_binary, tmp_path):
    """What renode/sensor.robot checks in Renode, natively with the simulated LSM6DSO and the same keywords:
    30 s each of standing, badminton (which the model was trained without) and running."""
    from test_sensor import SPEEDUP, FxclassDevice

    lib = FxclassDevice()
    gestures = "Standing,Badminton,Running"
    recording = lib.write_imu_recording(tmp_path, windows=3, rate_hz=12.5, gestures=gestures + ",Running")
    with Emulator(elf=native_binary, native=True, imu_recording=recording, imu_speedup=SPEEDUP) as emu:
        lib.connect(emu.url)
        lib.upload_without("Badminton")
        lib.start_sensor_mode("LIVE", "RECORD")
        lib.collect(hops=18)
        lib.live_decisions_match_reference()
        events = lib.decisions_follow(gestures, 3, "Badminton")
        lib.disconnect()
    assert [name for _, name in events][-3:] == ["Standing", "unknown", "Running"]


def _stream_and_events(device, samples):
    device.take_events()
    results = list(device.stream(samples))
    return results, device.take_events()


def _assert_decisions_are(results, events, ref) -> None:
    assert [r.decided for r in results] == ref["decided"].tolist()
    assert [r.changed for r in results] == ref["changed"].tolist()
    expected = decide.events(ref["decided"], ref["changed"], ref["smoothed"])
    assert [(e.hop, e.decided, e.previous, e.prob_q15) for e in events] == expected


@pytest.mark.parametrize("key, value", [("decision_hops", 6), ("decision_votes", 1), ("decision_dwell", 5),
                                        ("decision_hops", 1)])
def test_each_decision_key_changes_the_stream_as_the_reference_does(device, model_and_recording, key, value):
    """`config set decision_*=N` replaces the model's K, M or dwell (K 3, M 2, dwell 2) from the next
    stream on: every hop's decision and every EVENT equal the reference with that setting, which differs
    from the reference with the model's own; `config reset` brings the model's back."""
    from fxclass.device import config as cfg

    model, samples = model_and_recording
    device.upload(fxm.pack(model))
    code, _ = cfg.DECISION_KEYS[key]
    settings = decide.DecideSettings(**{key.removeprefix("decision_"): value})
    ref = Pipeline(model).stream(samples, settings)
    own = Pipeline(model).stream(samples)
    assert not np.array_equal(ref["decided"], own["decided"]), "this setting would not show on this recording"
    try:
        reply = cfg.set_values(device, [f"{key}={value}"])
        assert reply.values[code] == value
        results, events = _stream_and_events(device, samples)
        assert [r.class_index for r in results] == ref["class"].tolist()  # the hops are the same; their decisions not
        _assert_decisions_are(results, events, ref)
    finally:
        assert cfg.reset(device).values[code] == 0
    results, events = _stream_and_events(device, samples)
    _assert_decisions_are(results, events, own)


def test_votes_set_above_the_hops_are_capped_as_the_reference_caps_them(device, model_and_recording):
    """decision_votes=9 with the model's K 3: M is capped at K (fx_decide_config_apply), so a class needs
    every one of the last 3 votes."""
    from fxclass.device import config as cfg

    model, samples = model_and_recording
    device.upload(fxm.pack(model))
    ref = Pipeline(model).stream(samples, decide.DecideSettings(votes=9))
    assert np.array_equal(ref["decided"], Pipeline(model).stream(samples, decide.DecideSettings(votes=3))["decided"])
    assert not np.array_equal(ref["decided"], Pipeline(model).stream(samples)["decided"])
    try:
        cfg.set_values(device, ["decision_votes=9", "decision_dwell=1"])
        results, events = _stream_and_events(device, samples)
        _assert_decisions_are(results, events, Pipeline(model).stream(samples, decide.DecideSettings(votes=9, dwell=1)))
    finally:
        cfg.reset(device)


def test_validate_compares_every_hop_and_event_under_the_devices_settings(device, model_and_recording):
    """validate_decisions finds the stream equal to the reference under the device's decision settings, and
    reports the hops and EVENTs that differ when compared under other settings than the device's."""
    from fxclass.device import config as cfg
    from fxclass.model.validate import validate_decisions

    model, samples = model_and_recording
    device.upload(fxm.pack(model))

    def stream(s):
        device.take_events()
        return list(device.stream(s)), device.take_events()

    check = validate_decisions(stream, model, samples)
    assert check.equal and check.hops == len(Pipeline(model).stream(samples)["class"]) and check.events >= 3
    try:
        reply = cfg.set_values(device, ["decision_dwell=5"])
        settings = cfg.decide_settings(reply)
        assert settings == decide.DecideSettings(0, 0, 5)
        assert validate_decisions(stream, model, samples, settings).equal
        wrong = validate_decisions(stream, model, samples)  # the model's dwell 2, where the device holds 5
        ref, own = Pipeline(model).stream(samples, settings), Pipeline(model).stream(samples)
        differing = np.flatnonzero((ref["decided"] != own["decided"]) | (ref["changed"] != own["changed"]))
        assert [d.hop for d in wrong.hop_differences] == differing.tolist() and len(differing) > 0
        assert all(d.device[1] == ref["decided"][d.hop] and d.reference[1] == own["decided"][d.hop]
                   for d in wrong.hop_differences)
        assert wrong.event_differences
    finally:
        cfg.reset(device)


def test_cli_validate_checks_the_decisions_of_a_model_with_a_decision_section(default_model, tmp_path):
    from fxclass.data import datasets
    from test_cli import fx

    train = datasets.basicmotions("train")
    model = fxm.Model(**{**default_model.__dict__, "model_id": 0xDEC1DE,  # another id: the emulator gets it uploaded
                         "decision": calibrate(default_model, train.windows, train.labels, 99.0, 3, 2, 2)})
    path = tmp_path / "decided.fxm"
    path.write_bytes(fxm.pack(model))
    r = fx("validate", "--native", "--model", str(path), "--limit", "12")
    assert r.returncode == 0, r.stdout + r.stderr
    hops = len(Pipeline(model).stream(datasets.basicmotions("test").windows[:12].reshape(-1, 6))["class"])
    assert f"the windows streamed: {hops} hops, 0 decisions differ" in r.stdout, r.stdout
    r = fx("validate", "--native", "--limit", "2")  # the built-in model has no DECISION section: windows only
    assert r.returncode == 0 and "streamed" not in r.stdout, r.stdout
