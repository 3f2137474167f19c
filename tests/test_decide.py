"""Steady decisions and "unknown": fx_decide and the pipeline's decision stage on every build of the C core
(host, portable, sanitizers, Cortex-M4 in QEMU with and without its DSP variants) against the numpy twin
(fxclass.model.decide), bit for bit; the DECISION section refused alike by the firmware and the host."""
from __future__ import annotations

import struct

import numpy as np
import pytest

import blobs
import native
from fxclass.errors import ModelFormatError, ModelStatus
from fxclass.model import decide, fxm
from fxclass.model.decide import NONE, UNKNOWN, DecideSettings, Decision
from fxclass.model.reference import Pipeline

RUNNERS = ["fx_runner", "fx_runner_portable", "fx_runner_san", "fx_runner_m4", "fx_runner_m4_portable"]


def random_probs(rng, t: int, n: int, sticky: bool) -> tuple[np.ndarray, np.ndarray]:
    """t hops of n-class Q15 probabilities and their argmax; sticky runs of one winner (as gestures
    give), or anything at all, ties included."""
    if sticky:
        winners = np.repeat(rng.integers(0, n, size=t // 4 + 1), rng.integers(1, 8, size=t // 4 + 1))[:t]
        winners = np.pad(winners, (0, t - len(winners)), mode="edge")
        raw = rng.integers(0, 8000, size=(t, n))
        raw[np.arange(t), winners] += rng.integers(0, 40000, size=t)
    else:
        raw = rng.choice([0, 1, 5000, 16384, 32767], size=(t, n)) if rng.random() < 0.3 else \
            rng.integers(0, 32768, size=(t, n))
    if rng.random() < 0.5 and raw.sum():
        raw = raw * 32768 // np.maximum(raw.sum(axis=1, keepdims=True), 1)  # roughly a softmax's sum
    prob = np.clip(raw, 0, 32767).astype(np.int16)
    return prob, np.argmax(prob, axis=1)


def decide_cases(rng, count: int):
    """Random sequences and the edge cases: K = 1, thresholds 0 and 32767, ties, dwell, restarts."""
    cases = []
    for k in range(count):
        n = int(rng.integers(1, 33)) if k % 3 else int(rng.choice([1, 2, 4, 32]))
        hops = int(rng.integers(1, decide.MAX_DECISION_HOPS + 1)) if k % 5 else int(rng.choice([1, 16]))
        votes = int(rng.integers(1, hops + 1))
        dwell = int(rng.choice([1, 1, 2, 3, 5, 255]))
        kind = k % 4
        thresholds = None if kind == 0 else (np.zeros(n) if kind == 1 else (
            np.full(n, 32767) if kind == 2 else rng.integers(0, 32768, size=n)))
        t = int(rng.integers(1, 60))
        prob, best = random_probs(rng, t, n, sticky=k % 2 == 0)
        hop_votes = np.where(rng.random(t) < 0.15, UNKNOWN, best)
        restarts = rng.random(t) < 0.05
        cases.append((n, hops, votes, dwell, thresholds, prob, hop_votes, restarts))
    # Exact ties: every probability equal, and two classes equal at the top.
    flat = np.full((12, 4), 8192, dtype=np.int16)
    cases.append((4, 3, 2, 1, None, flat, np.zeros(12, dtype=np.int64), np.zeros(12, dtype=bool)))
    two = np.tile(np.array([[16000, 16000, 384, 384]], dtype=np.int16), (12, 1))
    cases.append((4, 2, 2, 1, None, two, np.array([1, 0] * 6), np.zeros(12, dtype=bool)))
    return cases


def expected(case):
    n, hops, votes, dwell, thresholds, prob, hop_votes, restarts = case
    d = Decision(hops, votes, dwell, None if thresholds is None else np.asarray(thresholds, dtype=np.int16))
    return decide.decide(prob, hop_votes, d, set(np.flatnonzero(restarts).tolist()))


@pytest.fixture(scope="module")
def cases():
    return decide_cases(np.random.default_rng(23), 3000)


@pytest.mark.parametrize("runner", RUNNERS)
def test_fx_decide_is_the_reference(runners, cases, runner):
    got = native.decide(runners[runner], cases)
    total = 0
    for case, (init, rows) in zip(cases, got):
        decided, changed, prob = expected(case)
        assert init == 0
        assert np.all(rows[:, 0] == 0)
        assert np.array_equal(rows[:, 1], decided), case
        assert np.array_equal(rows[:, 2].astype(bool), changed), case
        assert np.array_equal(rows[:, 3], prob), case
        total += len(rows)
    assert total > 80_000


def test_the_rule_on_hand_made_sequences():
    """What the rule promises, on sequences whose answer is known without running either side."""
    a, b = [30000, 2767], [2767, 30000]
    # K = 3, M = 2, dwell 1: no decision for two hops, then A; one stray B changes nothing; B after two.
    decided, changed, _ = decide.decide(np.array([a, a, a, b, a, a, b, b, b]), [0, 0, 0, 1, 0, 0, 1, 1, 1],
                                        Decision(3, 2, 1))
    assert decided.tolist() == [NONE, NONE, 0, 0, 0, 0, 0, 1, 1]
    assert np.flatnonzero(changed).tolist() == [2, 7]
    # Dwell 3: the candidate must hold three hops in a row before it is the decision.
    decided, _, _ = decide.decide(np.array([a] * 4 + [b] * 4), [0] * 4 + [1] * 4, Decision(1, 1, 3))
    assert decided.tolist() == [NONE, NONE, 0, 0, 0, 0, 1, 1]
    # Thresholds: 32767 is reached by a certain class only; 0 by any.
    certain = [32767, 0]
    decided, _, _ = decide.decide(np.array([a, certain]), [0, 0], Decision(1, 1, 1, np.array([32767, 0])))
    assert decided.tolist() == [UNKNOWN, 0]
    # A window outside every radius votes unknown: M of K unknown votes make the decision unknown.
    decided, _, prob = decide.decide(np.array([a] * 4), [UNKNOWN] * 4, Decision(2, 2, 1))
    assert decided.tolist() == [NONE, UNKNOWN, UNKNOWN, UNKNOWN] and prob[1] == 30000


def test_settings_replace_the_models_and_cap_the_votes():
    d = Decision(4, 3, 2)
    assert d.apply(None) == d
    assert d.apply(DecideSettings(hops=2)) == Decision(2, 2, 2)
    assert d.apply(DecideSettings(0, 1, 5)) == Decision(4, 1, 5)


def test_bad_settings_are_refused_by_the_c(runners):
    prob = np.zeros((1, 2), dtype=np.int16)
    bad = [(2, 0, 1, 1), (2, 17, 1, 1), (2, 2, 3, 1), (2, 2, 0, 1), (2, 2, 1, 0), (0, 1, 1, 1), (33, 1, 1, 1)]
    cases = [(n, k, m, d, None, np.zeros((1, n), dtype=np.int16), [0], [False]) for n, k, m, d in bad]
    cases.append((2, 1, 1, 1, np.array([-1, 0]), prob, [0], [False]))
    cases.append((2, 1, 1, 1, None, prob, [2], [False]))  # a vote that is neither a class nor unknown
    got = native.decide(runners["fx_runner_san"], cases)
    assert [init for init, _ in got[:-1]] == [1] * (len(bad) + 1)
    assert got[-1][0] == 0 and got[-1][1][0, 0] == 1


# ---- the model's DECISION section and the pipeline stage --------------------------------------------

def with_decision(model: fxm.Model, windows: np.ndarray, labels: np.ndarray, hops=3, votes=2, dwell=2,
                  percentile=95.0) -> fxm.Model:
    from fxclass.model.openset import calibrate

    model.decision = calibrate(model, windows, labels, percentile, hops, votes, dwell)
    return model


@pytest.fixture(scope="module")
def models():
    """Synthetic activity models with a DECISION section: a standard and a compact input stage (the
    Cortex-M4 build plans the standard one's pairs variant, which the distances must read too)."""
    data = blobs.windows(64, 6)
    out = {}
    for stage in ("standard", "compact"):
        m = blobs.trained(64, 6, 2, (16,), input_stage=stage)
        out[stage] = with_decision(m, data.windows, data.labels)
    return out, data


def recording(data, rng, n_segments: int = 24) -> tuple[np.ndarray, int, int]:
    """Windows of the activities one after the other, some cut short (a stream with gesture boundaries),
    with a stretch of loud noise, a movement no class resembles, in the middle: (samples, its start, its end)."""
    parts = [data.windows[i][:int(rng.integers(20, 65))] for i in rng.integers(0, len(data), size=n_segments)]
    noise = rng.integers(-20000, 20000, size=(250, 6)).astype(np.int16)
    start = sum(len(p) for p in parts[:12])
    return np.concatenate(parts[:12] + [noise] + parts[12:]), start, start + len(noise)


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("stage", ["standard", "compact"])
def test_the_pipeline_stage_is_the_reference(runners, models, runner, stage):
    """Every hop of a stream through fx_pipeline_push (class, probabilities, outside, decision, event,
    smoothed probability) equals Pipeline.stream, with gaps and with settings replaced."""
    model_set, data = models
    model = model_set[stage]
    blob = fxm.pack(model)
    samples, _, _ = recording(data, np.random.default_rng(7))
    for settings, gaps in (((0, 0, 0), ()), ((1, 1, 1), (100, 101, 700)), ((5, 4, 3), (333,))):
        status, variant, rows, probs = native.pipeline(runners[runner], blob, samples, settings, gaps)
        assert status == 0
        if stage == "standard" and runner == "fx_runner_m4":
            assert variant == "dsp_pairs"
        ref = Pipeline(model).stream(samples, DecideSettings(*settings), gaps)
        assert len(rows) == len(ref["class"]) > 30
        for col, key in enumerate(["hop_index", "samples", "class", "outside", "decided", "changed", "smoothed"]):
            assert np.array_equal(rows[:, col], ref[key].astype(np.int64)), (key, settings)
        assert np.array_equal(probs, ref["prob"])
        assert ref["outside"].any() and not ref["outside"].all()
        assert ref["changed"].sum() >= 2


def test_the_noise_comes_out_unknown(models):
    """Every window inside the noise lies outside every class, and the decision goes to unknown there."""
    model_set, data = models
    samples, start, end = recording(data, np.random.default_rng(7))
    ref = Pipeline(model_set["standard"]).stream(samples)
    inside = (ref["samples"] - 64 >= start) & (ref["samples"] <= end)
    assert inside.sum() >= 3
    assert ref["outside"][inside].all()
    assert UNKNOWN in ref["decided"][inside | np.roll(inside, 2)]


def decision_refusals(blob: bytes, model: fxm.Model) -> list[tuple[str, bytes, int]]:
    [(tag, _, at, size)] = [s for s in blobs.sections(blob) if s[0] == fxm.SECTION_DECISION]
    n, d = model.n_classes, model.n_features

    def edited(offset: int, fmt: str, *values) -> bytes:
        out = bytearray(blob)
        struct.pack_into(fmt, out, at + offset, *values)
        return blobs.reblob(bytes(out))

    others = [s for s in blobs.sections(blob) if s[0] != fxm.SECTION_DECISION]
    thr_end = 8 + ((2 * n + 3) & ~3)
    return [
        ("as written", blob, 0),
        ("17 hops", edited(0, "<B", 17), ModelStatus.LIMIT),
        ("0 hops", edited(0, "<B", 0), ModelStatus.PARAM),
        ("votes over hops", edited(0, "<BB", 2, 3), ModelStatus.PARAM),
        ("0 votes", edited(1, "<B", 0), ModelStatus.PARAM),
        ("dwell 0", edited(2, "<B", 0), ModelStatus.PARAM),
        ("reserved byte 3", edited(3, "<B", 1), ModelStatus.PARAM),
        ("reserved byte 5", edited(5, "<B", 1), ModelStatus.PARAM),
        ("another class count", edited(4, "<B", n + 1), ModelStatus.SHAPE),
        ("centroids of another length", edited(6, "<H", d - 1), ModelStatus.SHAPE),
        ("no centroids, the section as long", edited(6, "<H", 0), ModelStatus.LAYOUT),
        ("a negative threshold", edited(8, "<h", -1), ModelStatus.PARAM),
        ("the section 4 bytes short", blobs.resectioned(blob, others + [(tag, 0, at, size - 4)]), ModelStatus.LAYOUT),
        ("the section 4 bytes long", blobs.resectioned(blob, others + [(tag, 0, at, size + 4)]), ModelStatus.LAYOUT),
        ("DECISION twice", blobs.resectioned(blob, others + [(tag, 0, at, size)] * 2), ModelStatus.PARAM),
    ] + ([("threshold padding", edited(8 + 2 * n, "<B", 1), ModelStatus.PARAM)] if 2 * n % 4 else []) + \
        ([("centroid padding", edited(size - 1, "<B", 1), ModelStatus.PARAM)] if n * d % 4 else []) + \
        [("radius 0 is valid", edited(thr_end, "<I", 0), 0)]


@pytest.mark.parametrize("runner", RUNNERS)
def test_the_decision_section_is_refused_alike(runners, runner):
    model = blobs.trained(32, 3, 1, (8,))  # 3 x 8 = 24 features, 4 classes: padding nowhere
    data = blobs.windows(32, 3)
    odd = blobs.trained(32, 3, 1, (8,))
    odd.class_names, odd.layers[-1] = odd.class_names[:3], _rows(odd.layers[-1], 3)  # 3 classes: padded
    cases = []
    for m in (with_decision(model, data.windows, data.labels), _odd_features(odd, data)):
        blob = fxm.pack(m)
        cases += decision_refusals(blob, m)
    got = native.parse(runners[runner], [blob for _, blob, _ in cases])
    for (what, blob, status), c_status in zip(cases, got):
        assert c_status == status, what
        if status == 0:
            assert fxm.unpack(blob).decision is not None
        else:
            with pytest.raises(ModelFormatError) as err:
                fxm.unpack(blob)
            assert err.value.status == status, what


def _rows(layer: fxm.Layer, n: int) -> fxm.Layer:
    return fxm.Layer(layer.weights[:n], layer.bias[:n], layer.mult[:n], layer.shift[:n], layer.relu, layer.logits)


def _odd_features(model: fxm.Model, data) -> fxm.Model:
    """Three classes (thresholds padded) and centroids of 3 x 24 = 72 values: padding only in the thresholds."""
    keep = data.labels < 3
    return with_decision(model, data.windows[keep], data.labels[keep])


def test_the_section_round_trips(models):
    model = models[0]["standard"]
    back = fxm.unpack(fxm.pack(model)).decision
    d = model.decision
    assert (back.hops, back.votes, back.dwell) == (d.hops, d.votes, d.dwell) == (3, 2, 2)
    assert np.array_equal(back.thresholds, d.thresholds)
    assert np.array_equal(back.radius2, d.radius2) and np.array_equal(back.centroids, d.centroids)
    plain = fxm.unpack(fxm.pack(fxm.Model(**{**model.__dict__, "decision": None})))
    assert plain.decision is None


def test_the_writer_refuses_what_the_firmware_would(models):
    model = models[0]["standard"]
    bad = fxm.Model(**{**model.__dict__, "decision": Decision(17, 1, 1)})
    with pytest.raises(ModelFormatError):
        fxm.pack(bad)
    bad = fxm.Model(**{**model.__dict__, "decision": Decision(1, 1, 1, np.full(model.n_classes, 40000))})
    with pytest.raises(ModelFormatError):
        fxm.pack(bad)


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("stage", ["standard", "compact"])
def test_distances_of_rows_not_a_multiple_of_four_are_the_reference(runners, runner, stage):
    """A spectral model of 3 channels: 54 first-layer inputs, so the Cortex-M4 distances, four int8 inputs
    a step, end on a tail of two and read every centroid row after the first from an unaligned address;
    each hop's outside flag and decision equal the reference's, some windows outside and some not."""
    data = blobs.windows(64, 3)
    model = with_decision(blobs.trained(64, 3, 3, (8,), input_stage=stage), data.windows, data.labels, percentile=60.0)
    assert model.n_features % 4 == 2
    rng = np.random.default_rng(5)
    parts = [data.windows[i] for i in rng.integers(0, len(data), size=16)]
    parts.insert(8, rng.integers(-20000, 20000, size=(128, 3)).astype(np.int16))
    samples = np.concatenate(parts)
    status, variant, rows, probs = native.pipeline(runners[runner], fxm.pack(model), samples)
    assert status == 0
    if runner == "fx_runner_m4":
        assert variant == "dsp"  # int8 inputs: pairs only come in fours (test_the_pipeline_stage_is_the_reference)
    ref = Pipeline(model).stream(samples)
    assert np.array_equal(rows[:, 3], ref["outside"].astype(np.int64))
    assert np.array_equal(rows[:, 4], ref["decided"]) and np.array_equal(probs, ref["prob"])
    assert ref["outside"].any() and not ref["outside"].all()
