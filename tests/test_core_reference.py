"""The C core (host and Cortex-M4 builds) against the numpy reference: zero differences, 100,000+ cases per
kernel, each run asserting which variant of its stage ran (native.run checks the build's)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import blobs
import native
from fxclass.model import fxm, reference as ref
from fxclass.model.features.stats import features_stats
from fxclass.errors import ModelFormatError

ROOT = Path(__file__).resolve().parents[1]

RUNNERS = ["fx_runner", "fx_runner_portable", "fx_runner_san", "fx_runner_m4", "fx_runner_m4_portable"]


def in_qemu(runner: str) -> bool:
    """The Cortex-M4 builds, which run in QEMU with the netduinoplus2's 128 KiB of RAM."""
    return runner.startswith("fx_runner_m4")


def test_variant_names_match_the_c_enum():
    import re

    src = (ROOT / "firmware" / "core" / "fx_kernels.h").read_text()
    values = {int(v): name.lower() for name, v in re.findall(r"FX_VARIANT_(\w+) = (\d+)", src)}
    assert [values[k] for k in sorted(values)] == list(native.VARIANTS)


def softmax_cases(rng, count: int) -> list[np.ndarray]:
    cases = []
    for i in range(count):
        n = int(rng.integers(1, 33))
        kind = i % 8
        if kind == 0:  # equal logits
            logits = np.full(n, rng.integers(-2**31, 2**31, dtype=np.int64))
        elif kind == 1:  # the int32 extremes
            logits = rng.choice([-2**31, 2**31 - 1, 0, -1, 1], size=n)
        elif kind == 2:  # huge spread
            logits = rng.integers(-2**31, 2**31, size=n, dtype=np.int64)
        elif kind == 3:  # near-ties a few LSB apart
            logits = rng.integers(0, 4, size=n) + rng.integers(-2**20, 2**20)
        else:  # ordinary logits of a few units in Q16.16
            logits = np.round(rng.normal(0, rng.choice([0.5, 2, 8, 30]), size=n) * 65536)
        cases.append(np.clip(logits, -2**31, 2**31 - 1).astype(np.int32))
    cases.append(np.array([12345], dtype=np.int32))  # one class
    cases.append(np.zeros(32, dtype=np.int32))  # the maximum classes
    return cases


@pytest.fixture(scope="module")
def softmax_data():
    cases = softmax_cases(np.random.default_rng(1), 100_000)
    expected = [ref.softmax_q15(c) for c in cases]
    return cases, expected


@pytest.mark.parametrize("runner", RUNNERS)
def test_softmax_bit_exact(runners, softmax_data, runner):
    cases, expected = softmax_data
    got = native.softmax(runners[runner], cases)
    mismatches = [i for i, ((status, best, prob), (eprob, ebest)) in enumerate(zip(got, expected))
                  if status != 0 or best != ebest or not np.array_equal(prob, eprob)]
    assert mismatches == [], f"{len(mismatches)} cases differ, first {cases[mismatches[0]]}"


def test_softmax_accuracy_and_guarantees(softmax_data):
    """The documented guarantees: error <= 1e-4 against float64, sum tolerance, argmax exact."""
    cases, expected = softmax_data
    worst = 0.0
    for logits, (prob, best) in zip(cases, expected):
        x = logits.astype(np.float64) / 65536
        p = np.exp(x - x.max())
        p /= p.sum()
        worst = max(worst, float(np.max(np.abs(prob / 32768 - p))))
        assert best == int(np.argmax(logits))
        assert prob[best] == prob.max()
        assert abs(int(prob.astype(np.int64).sum()) - 32768) <= len(logits) // 2 + 1
    assert worst <= 1e-4, worst


def test_softmax_rejects_bad_arguments(runners):
    assert native.softmax(runners["fx_runner"], [np.zeros(33, dtype=np.int32)])[0][0] == 1
    assert native.softmax(runners["fx_runner"], [np.zeros(0, dtype=np.int32)])[0][0] == 1


@pytest.mark.parametrize("runner", RUNNERS)
def test_requantize_bit_exact(runners, runner):
    rng = np.random.default_rng(2)
    n = 100_000
    values = rng.integers(-2**31, 2**31, size=n, dtype=np.int64)
    values[:8] = [-2**31, 2**31 - 1, 0, -1, 1, -2**31, 2**31 - 1, 2**30]
    mults = rng.integers(1, 2**31, size=n, dtype=np.int64)
    mults[:8] = [2**31 - 1, 2**31 - 1, 1, 1, 1, 1, 1, 2**30]
    shifts = rng.integers(1, 63, size=n, dtype=np.int64)
    shifts[:8] = [1, 1, 62, 62, 1, 62, 62, 31]
    got = native.requant(runners[runner], values, mults, shifts)
    assert np.array_equal(got, ref.requantize(values, mults, shifts))


@pytest.mark.parametrize("runner", RUNNERS)
def test_quantize_input_bit_exact(runners, runner):
    """fx_quantize_input on 2,000 feature vectors of 1 to 128 features (odd counts included): every
    shift >= 33 in most, which the Cortex-M4 variants take, and shifts from 1 in the rest; features,
    offsets and multipliers over their whole ranges, with the int32 ends that saturate the centring.
    Each case is planned twice, before a layer that cannot read the Cortex-M4 pairs and before one that
    can: the portable C everywhere but on the Cortex-M4 DSP build, there its int8 variant, and its
    pairs variant where n is a multiple of 4."""
    rng = np.random.default_rng(5)
    cases, total = [], 0
    for k in range(2000):
        n = int(rng.integers(1, 129)) if k % 4 else int(rng.choice([1, 2, 3, 95, 96, 127, 128]))
        span = 2**int(rng.integers(8, 32))
        features = rng.integers(-span, span, size=n, dtype=np.int64)
        offset = rng.integers(-span, span, size=n, dtype=np.int64)
        mult = rng.integers(2**30, 2**31, size=n, dtype=np.int64)
        shift = rng.integers(33, 63, size=n, dtype=np.int64) if k % 5 else rng.integers(1, 63, size=n, dtype=np.int64)
        if k % 7 == 0:  # the ends: centring that saturates, the largest multiplier, the shifts' ends
            ends = rng.random(n) < 0.5
            features[ends] = rng.choice([-2**31, 2**31 - 1, 0, -1], size=int(ends.sum()))
            offset[ends] = rng.choice([-2**31, 2**31 - 1, 1, -1], size=int(ends.sum()))
            mult[ends] = rng.choice([1, 2**31 - 1], size=int(ends.sum()))
            shift[ends] = rng.choice([33, 34, 62], size=int(ends.sum()))
        features, offset = np.clip(features, -2**31, 2**31 - 1), np.clip(offset, -2**31, 2**31 - 1)
        cases.append((features, offset, mult, shift))
        total += n
    dsp = native.has_dsp(runners[runner])
    got = native.quantize(runners[runner], cases)
    ran = {"portable": 0, "dsp": 0, "dsp_pairs": 0}
    for k, (planned, (features, offset, mult, shift)) in enumerate(zip(got, cases)):
        n = len(features)
        from_33 = dsp and bool(np.all(shift >= 33))
        int8_variant = "dsp" if from_33 else "portable"
        expected_variants = (int8_variant, "dsp_pairs" if from_33 and n % 4 == 0 else int8_variant)
        expected = ref.quantize_input(features, offset, mult, shift)
        for (variant, status, y), expected_variant in zip(planned, expected_variants):
            assert variant == expected_variant, f"case {k} (n {n})"
            assert status == 0
            assert np.array_equal(y[:n], expected), f"case {k} (n {n}, {variant}) differs"
            assert not y[n:].any(), "padding outputs must be written as zero"
            ran[variant] += 1
    assert sum(int(np.all(c[3] >= 33)) for c in cases) >= 1500 and total >= 100_000
    if dsp:
        assert ran["dsp"] >= 1500 and ran["dsp_pairs"] >= 300 and ran["portable"] >= 300, ran
    else:
        assert ran["portable"] == 2 * len(cases)


@pytest.mark.parametrize("runner", RUNNERS)
def test_quantize_input_compact_and_2016_features_bit_exact(runners, runner):
    """The compact form (int16 offsets, shifts 1 to 31, 64-bit arithmetic for any int32 feature) on 1 to
    2016 features, the features near their offsets (rocket's counts) and over the whole int32 range; and
    the standard form on up to 2016 features, whose pairs variant writes 1008 words. The compact form's
    Cortex-M4 variant (32-bit steps, SSAT) takes every shift on the DSP build."""
    rng = np.random.default_rng(15)
    dsp = native.has_dsp(runners[runner])
    cases = []
    for k in range(300):
        n = int(rng.choice([1, 3, 84, 1008, 1512, 2016])) if k % 3 == 0 else int(rng.integers(1, 2017))
        offset = rng.integers(-2**15, 2**15, size=n)
        shift = rng.integers(1, 32, size=n)
        if k % 2:
            features = offset + rng.integers(-2048, 2049, size=n)
        else:
            features = rng.integers(-2**31, 2**31, size=n, dtype=np.int64)
            features[:3] = [-2**31, 2**31 - 1, 0][:min(3, n)]
        cases.append((features, offset, None, shift))
    for n in (2016, 1512, 129, 512):
        features = rng.integers(-2**20, 2**20, size=n)
        cases.append((features, rng.integers(-2**20, 2**20, size=n), rng.integers(2**30, 2**31, size=n),
                      rng.integers(33, 63, size=n)))
    for k, (planned, (features, offset, mult, shift)) in enumerate(zip(native.quantize(runners[runner], cases), cases)):
        n = len(features)
        if mult is None:
            expected = ref.quantize_input_compact(features, offset, shift)
            variants = ("dsp", "dsp") if dsp else ("portable", "portable")
        else:
            expected = ref.quantize_input(features, offset, mult, shift)
            variants = ("dsp", "dsp_pairs" if n % 4 == 0 else "dsp") if dsp else ("portable", "portable")
        for (variant, status, y), expected_variant in zip(planned, variants):
            assert variant == expected_variant and status == 0, f"case {k} (n {n})"
            assert np.array_equal(y[:n], expected), f"case {k} (n {n}, {variant}) differs"
            assert not y[n:].any()


def default_plan(runner: Path) -> dict:
    """The plan of the shipped model (96 features, 96 x 24 ReLU with every shift >= 33, 24 x 4 logits):
    on the Cortex-M4 DSP build the input quantization writes the first layer's pairs."""
    if native.has_dsp(runner):
        return {"features": "dsp", "input": "dsp_pairs", "dense": ["dsp_pairs", "dsp"]}
    return {"features": "portable", "input": "portable", "dense": ["portable", "portable"]}


@pytest.mark.parametrize("runner", RUNNERS)
def test_model_run_bit_exact(runners, default_model, runner):
    """fx_model_run against the reference pipeline, on the default model, whose first layer takes the
    Cortex-M4 pairs variant there, and on a copy with one input shift below 33, which does not (its input
    quantization is the portable C, its first layer the whole-layer variant on int8 inputs): sensor-like,
    random, full-scale, alternating and constant windows."""
    rng = np.random.default_rng(6)
    m = default_model
    shape = (m.window_len, m.n_channels)
    windows = [np.round(rng.normal(0, s, size=shape)) for s in (50, 800, 4000, 20000) for _ in range(40)]
    windows += [np.full(shape, v) for v in (-32768, -1, 0, 1, 32767)]
    windows += [np.where(np.arange(m.window_len)[:, None] % 2 == 0, 32767, -32768) * np.ones(shape),
                np.cumsum(rng.integers(-3000, 3000, size=shape), axis=0)]
    windows = np.clip(np.array(windows), -32768, 32767).astype(np.int16)
    off_path = fxm.unpack(fxm.pack(m))
    off_path.input_shift = off_path.input_shift.copy()
    off_path.input_shift[5] = 32
    off_path.input_mult = off_path.input_mult.copy()
    off_path.input_mult[5] //= 2  # the same scale at shift 32
    off_plan = {"features": "dsp", "input": "portable", "dense": ["dsp_layer", "dsp"]}
    plans = (default_plan(runners[runner]), off_plan if native.has_dsp(runners[runner]) else default_plan(runners[runner]))
    for model, expected_plan in zip((m, off_path), plans):
        status, plan, cls, prob = native.model(runners[runner], fxm.pack(model), windows, model.n_classes)
        ref_cls, ref_prob = ref.Pipeline(model).run(windows)
        assert status == 0 and plan == expected_plan
        assert np.array_equal(cls, ref_cls) and np.array_equal(prob, ref_prob)
    assert len(set(ref.Pipeline(m).run(windows)[0])) > 1, "the windows should not all give one class"


def random_layer(rng, in_len, out_len, logits, shifts_from_33=False):
    w = rng.integers(-127, 128, size=(out_len, in_len)).astype(np.int8)
    bias = rng.integers(-2**20, 2**20, size=out_len).astype(np.int32)
    mult = rng.integers(2**30, 2**31, size=out_len).astype(np.int32)
    lo, hi = (8, 30) if logits else (33, 41) if shifts_from_33 else (14, 26)
    shift = rng.integers(lo, hi, size=out_len).astype(np.int32)
    if logits:  # the ends of the shift range: every logit saturated, and a quotient of 0 or -1
        corners = rng.random(out_len) < 0.25
        shift[corners] = rng.choice([1, 2, 31, 32, 33, 61, 62], size=int(corners.sum()))
    return w, bias, mult, shift


def dense_result(layer, got):
    """What native.dense gave for a layer (w, bias, mult, shift, flags, inputs) beside the reference:
    (variant, statuses, outputs, the reference's outputs); int8 outputs' padding must be zero."""
    w, bias, mult, shift, flags, x = layer
    if flags & 2:
        variant, status, y = got
        return variant, status, y, ref.dense_logits(w, bias, mult, shift, x)
    variant, status, y, padding = got
    assert not padding.any(), "padding outputs must be written as zero"
    return variant, status, y, ref.dense_s8(w, bias, mult, shift, x, relu=bool(flags & 1))


@pytest.mark.parametrize("runner", RUNNERS)
def test_dense_bit_exact(runners, runner):
    """112 layers of random shape x 1000 inputs, int8 outputs with and without ReLU, and logits (at most
    FX_MAX_CLASSES of them, as in a model). Half
    the int8 layers have every shift >= 33; with a width that is a multiple of 4 they take the Cortex-M4
    whole-layer variant (odd and even numbers of four-input blocks), the others its block sums; the
    host and portable builds take the portable C."""
    rng = np.random.default_rng(3)
    dsp = native.has_dsp(runners[runner])
    total = whole_layer = 0
    shapes = [(1, 1), (128, 128), (3, 5), (128, 1), (1, 128)] + [tuple(rng.integers(1, 129, size=2)) for _ in range(95)]
    shapes += [(8, 4), (16, 4), (24, 8), (40, 12), (56, 20), (96, 24), (128, 128), (120, 124), (7, 8), (64, 4),
               (48, 16), (80, 32)]
    layers = []
    for k, (in_len, out_len) in enumerate(shapes):
        flags = [0, 1, 2][k % 3] if k < 100 else k % 2
        if flags == 2:
            out_len = (out_len - 1) % 32 + 1
        from_33 = flags != 2 and (k >= 100 or k % 4 < 2)
        w, bias, mult, shift = random_layer(rng, int(in_len), int(out_len), flags == 2, from_33)
        x = rng.integers(-128, 128, size=(1000, in_len)).astype(np.int8)
        x[0] = -128  # saturation corners
        x[1] = 127
        layers.append((w, bias, mult, shift, flags, x))
    for k, ((w, bias, mult, shift, flags, x), got) in enumerate(zip(layers, native.dense(runners[runner], layers))):
        out_len, in_len = w.shape
        whole = flags != 2 and out_len % 4 == 0 and bool(np.all(shift >= 33))
        whole_layer += whole
        variant, status, y, expected = dense_result((w, bias, mult, shift, flags, x), got)
        assert variant == (("dsp_layer" if whole else "dsp") if dsp else "portable"), f"layer {k}"
        assert not status.any()
        assert np.array_equal(y, expected), f"layer {k} ({in_len} -> {out_len}, flags {flags}) differs"
        total += len(x)
    assert total >= 100_000 and whole_layer >= 12


def extreme_layer(rng, in_len: int, out_len: int, flags: int):
    """Weights at +-127 with rows of one sign, so that the sums reach their largest magnitudes on the
    inputs below (also the odd row's in the Cortex-M4's 256 x odd + even row-pair sum), and
    requantizations that keep them apart (every shift >= 33 for int8 outputs, the whole-layer variant's
    condition where its shape allows)."""
    w = rng.choice(np.array([-127, 127], dtype=np.int8), size=(out_len, in_len))
    w[0::4], w[1::4] = 127, 127          # both rows of a pair positive,
    w[2::4] = -127                        # of opposite signs,
    w[3::4] = 127 * np.where(np.arange(in_len) % 2 == 0, 1, -1)  # and alternating
    bias = rng.integers(-2**20, 2**20, size=out_len).astype(np.int32)
    mult = rng.integers(2**30, 2**31, size=out_len).astype(np.int32)
    shift = (rng.integers(8, 30, size=out_len) if flags & 2 else rng.integers(33, 41, size=out_len)).astype(np.int32)
    x = rng.integers(-128, 128, size=(60, in_len)).astype(np.int8)
    x[0], x[1] = -128, 127
    x[2] = np.where(np.arange(in_len) % 2 == 0, -128, 127)
    x[3] = np.where(w[3] > 0, 127, -128)
    return w, bias, mult, shift, flags, x


# (in_len, out_len, flags): long first layers (2016 x 16 is 32 KiB of weights, a whole model's), the
# chunk bounds (128 inputs made into pairs on the stack at once, 512 summed by one SMLAD sum) and either
# side of them.
LONG_LAYERS = [(2016, 8, 1), (2016, 4, 2), (2016, 16, 2), (2016, 16, 0), (1533, 7, 0), (1000, 20, 2), (513, 12, 1),
               (512, 16, 1), (511, 8, 0), (257, 4, 1), (129, 8, 1), (128, 8, 1), (127, 4, 2), (1, 4, 1)]


@pytest.mark.parametrize("runner", RUNNERS)
def test_dense_rows_of_up_to_2016_inputs_bit_exact(runners, runner):
    """Layers of up to FX_MAX_FEATURES inputs at the ends of the weights and inputs, after another layer
    (int8 inputs) and as a model's first (on a Cortex-M4, the input quantization's pairs where the
    whole-layer variant takes the layer, at most 512 inputs): one SMLAD sum of the Cortex-M4 variants
    takes at most 512 inputs, 128 of int8 inputs at once; longer rows are summed in chunks, which must
    give the portable C's outputs."""
    rng = np.random.default_rng(14)
    dsp = native.has_dsp(runners[runner])
    layers = [extreme_layer(rng, i, o, f) for i, o, f in LONG_LAYERS]
    ran = set()
    for first in (False, True):
        for (in_len, out_len, flags), layer, got in zip(LONG_LAYERS, layers, native.dense(runners[runner], layers, first)):
            whole = flags != 2 and out_len % 4 == 0
            variant, status, y, expected = dense_result(layer, got)
            if not dsp:
                expected_variant = "portable"
            elif first and whole and in_len <= 512:
                expected_variant = "dsp_pairs"
            else:
                expected_variant = "dsp_layer" if whole and in_len <= 128 else "dsp"
            assert variant == expected_variant, (in_len, out_len, flags, first)
            assert not status.any()
            assert np.array_equal(y, expected), f"{in_len} -> {out_len}, flags {flags}, first {first} differs"
            ran.add(variant)
    assert ran == ({"dsp", "dsp_layer", "dsp_pairs"} if dsp else {"portable"})
    # The sums do come near 2^31 in the Cortex-M4's row-pair sum over a chunk of 512.
    w, _, _, _, _, x = layers[LONG_LAYERS.index((512, 16, 1))]
    odd_even = 256 * (x[:, :].astype(np.int64) @ w[1].astype(np.int64)) + x.astype(np.int64) @ w[0].astype(np.int64)
    assert np.abs(odd_even).max() > 2**30


@pytest.mark.parametrize("runner", RUNNERS)
def test_features_bit_exact(runners, runner):
    """The stats kernel on windows of 2 to 2048 samples, 1 to 12 channels and every segment count: its
    Cortex-M4 variant on the DSP build (QEMU's core sets the GE flags it needs), else the portable C."""
    rng = np.random.default_rng(4)
    expected_variant = "dsp" if native.has_dsp(runners[runner]) else "portable"
    total = 0
    # The model shapes' 4 and 12 segments, then every segment count from 1 to 16 on windows from 2
    # samples (one-row and odd-length segments) to 80, any channel count, odd ones included.
    shapes = [(4, 1, 4), (512, 12, 12), (256, 9, 4), (100, 6, 12), (12, 3, 12), (2, 2, 1), (3, 2, 2), (16, 4, 16),
              (2, 1, 1), (2, 1, 2), (3, 1, 3), (5, 1, 2), (512, 1, 12), (100, 1, 4)]
    # The largest windows, 2048 x 1 and 256 x 12, and segments of up to 2048 samples (256 iterations of
    # the Cortex-M4's loop of four pairs, and odd ones): one channel, channel pairs and an odd count.
    shapes += [(2048, 1, 12), (2048, 1, 4), (2048, 1, 1), (2047, 1, 1), (256, 12, 12), (256, 12, 4), (2048, 2, 1),
               (2047, 2, 1), (2045, 2, 3), (1024, 3, 1), (1023, 3, 2), (2048, 1, 16)]
    shapes += [(int(rng.integers(12, 80)), int(rng.integers(1, 13)), (4, 12)[k % 2]) for k in range(120)]
    for _ in range(80):
        length = int(rng.integers(2, 80))
        shapes.append((length, int(rng.integers(1, 13)), int(rng.integers(1, min(16, length) + 1))))
    cases = []
    for length, ch, segments in shapes:
        count = 40 if length * ch > 2000 else 510
        x = rng.integers(-32768, 32768, size=(count, length, ch)).astype(np.int16)
        x[0] = -32768
        x[1] = 32767
        x[2, ::2] = -32768
        x[2, 1::2] = 32767
        cases.append((x, segments))
    for (x, segments), (variant, status, f) in zip(cases, native.features(runners[runner], cases)):
        assert variant == expected_variant and not status.any()
        assert np.array_equal(f, features_stats(x, segments)), f"shape {x.shape[1:]}, {segments} segments differs"
        total += len(x)
    assert total >= 100_000


def test_exp_table_matches_c_source():
    import re
    from pathlib import Path

    src = (Path(__file__).resolve().parents[1] / "firmware" / "core" / "fx_softmax.c").read_text()
    table = src[src.index("exp2_neg_q24[129] = {"):src.index("};", src.index("exp2_neg_q24[129]"))]
    values = [int(v) for v in re.findall(r"(\d+)u", table)]
    assert values == ref.exp2_table().tolist()


SENSOR_RATES_MILLIHERTZ = [12500, 26000, 52000, 104000, 208000, 416000, 833000, 1666000, 3332000, 6667000]


def sensor_cases(rng, count: int):
    cases = []
    for i in range(count):
        ch = int(rng.integers(1, 13))
        kind = i % 5
        if kind < 3:  # a sensor rate and a model rate in whole hertz at most that
            in_rate = int(rng.choice(SENSOR_RATES_MILLIHERTZ))
            out_rate = 1000 * int(rng.integers(1, in_rate // 1000 + 1))
        elif kind == 3:  # equal rates: samples pass through
            in_rate = out_rate = 1000 * int(rng.integers(1, 500))
        else:  # any rates whose reduced ratio keeps q within 65535
            in_rate, out_rate = (int(v) for v in rng.integers(1, 100_000, size=2))
        mult = rng.integers(1, 2**31, size=ch)
        shift = rng.integers(1, 63, size=ch)
        if i % 2:  # realistic conversions: a factor between 1/64 and 8
            shift = rng.integers(26, 36, size=ch)
            mult = rng.integers(2**29, 2**30 + 1, size=ch)
        n = int(rng.integers(0, 40))
        samples = rng.integers(-32768, 32768, size=(n, ch)).astype(np.int16)
        if i % 7 == 0 and n:
            samples[:] = rng.choice([-32768, 32767, 0, -1, 1], size=samples.shape)
        cases.append((samples, mult, shift, in_rate, out_rate))
    return cases


@pytest.mark.parametrize("runner", RUNNERS)
def test_sensor_path_bit_exact(runners, runner):
    rng = np.random.default_rng(11)
    cases = sensor_cases(rng, 5000)
    if in_qemu(runner):  # 128 KiB of RAM: cases whose outputs fit in it (upsampling can make thousands)
        def outputs(c):
            g = np.gcd(c[3], c[4])
            return (max(len(c[0]) - 1, 0) * (c[4] // g) + c[3] // g - 1) // (c[3] // g)
        cases = [c for c in cases if outputs(c) * c[0].shape[1] <= 4096]
    got = native.sensor(runners[runner], cases)
    checked = 0
    for (samples, mult, shift, in_rate, out_rate), (status, y) in zip(cases, got):
        g = np.gcd(in_rate, out_rate)
        if out_rate // g > 65535:
            assert status != 0, "a ratio whose q exceeds 65535 is refused"
            continue
        assert status == 0
        expected = ref.sensor_path(samples, mult, shift, in_rate, out_rate)
        assert np.array_equal(y, expected), (samples.shape, in_rate, out_rate)
        checked += len(samples)
    assert checked > (40_000 if in_qemu(runner) else 50_000)  # the M4 builds skip the largest outputs


def test_sensor_path_passes_equal_rates_and_interpolates_12_5_to_10_hz():
    x = np.array([[0], [100], [200], [300], [400], [500], [600]], dtype=np.int16)
    identity = ([2**30], [30])
    assert ref.sensor_path(x, *identity, 10000, 10000).ravel().tolist() == [0, 100, 200, 300, 400, 500]
    # 12.5 Hz -> 10 Hz: outputs at input positions 0, 1.25, 2.5, 3.75, 5.
    assert ref.sensor_path(x, *identity, 12500, 10000).ravel().tolist() == [0, 125, 250, 375, 500]


@pytest.mark.parametrize("runner", RUNNERS)
def test_scale_factor_bit_exact(runners, runner):
    rng = np.random.default_rng(12)
    nano = np.concatenate([rng.integers(1, 2**32, size=60_000), rng.integers(1, 10**8, size=40_000),
                           [61000, 488000, 70000000, 1221730, 1, 2**32 - 1, 0, 5]])
    cpu = np.concatenate([rng.integers(1, 2**32, size=60_000), rng.integers(2**10, 2**26, size=40_000),
                          [512 << 16, 512 << 16, 512 << 16, 512 << 16, 1, 2**32 - 1, 5, 0]])
    got = native.scale(runners[runner], np.stack([nano, cpu], axis=1))
    for (n, c), (status, mult, shift) in zip(zip(nano.tolist(), cpu.tolist()), got.tolist()):
        expected = ref.scale_factor(n, c)
        if expected is None:
            assert status != 0, (n, c)
        else:
            assert status == 0 and (mult, shift) == expected, (n, c)
            assert abs(mult / 2**shift - n * c / (1e9 * 65536)) <= 2**-shift + 1e-15


@pytest.mark.parametrize("runner", RUNNERS)
def test_weight_row_pairs_round_trip_and_out_of_range_pairs_are_refused(runners, default_model, runner):
    """Format 2's row pairs: weights at the ends of [-127, 127] in every position of a block give the
    reference's outputs through fx_model_run; a pair that decodes to -128 or 128 is refused by
    fx_model_parse (FX_ERR_PARAM) and by the host's reader, and the writer refuses a weight of -128."""
    rng = np.random.default_rng(8)
    m = default_model
    layers = [fxm.Layer(l.weights.copy(), l.bias, l.mult, l.shift, l.relu, l.logits) for l in m.layers]
    for layer in layers:  # every sign combination of a row pair at the range's ends
        ends = rng.random(layer.weights.shape) < 0.5
        layer.weights[ends] = rng.choice([-127, 127], size=int(ends.sum()))
    edged = fxm.Model(m.shape, m.class_names, m.input_offset, m.input_mult, m.input_shift, layers, model_id=0x77,
                      feature_set=m.feature_set)
    blob = fxm.pack(edged)
    assert all(np.array_equal(a.weights, b.weights) for a, b in zip(fxm.unpack(blob).layers, layers))
    windows = rng.integers(-3000, 3000, size=(40, m.window_len, m.n_channels))
    status, plan, cls, prob = native.model(runners[runner], blob, windows, m.n_classes)
    ref_cls, ref_prob = ref.Pipeline(edged).run(windows)
    assert status == 0 and plan == default_plan(runners[runner])
    assert np.array_equal(cls, ref_cls) and np.array_equal(prob, ref_prob)

    w_off = blobs.weights_offset(blob)
    # (low byte, high byte) of one pair: w(odd row) = 128, then -128, then w(even row) = -128
    for pair in [(0xFF, 0x7F), (0x00, 0x80), (0x80, 0xFF)]:
        bad = bytearray(blob)
        bad[w_off + 6:w_off + 8] = bytes(pair)
        bad = blobs.reblob(bytes(bad))
        assert native.model(runners[runner], bad, windows[:1], m.n_classes)[0] == 9, pair  # FX_ERR_PARAM
        with pytest.raises(ModelFormatError, match=r"weight outside \[-127, 127\]"):
            fxm.unpack(bad)
    layers[0].weights[3, 5] = -128
    with pytest.raises(ModelFormatError, match=r"layer 0 has a weight outside \[-127, 127\]"):
        fxm.pack(edged)


@pytest.mark.parametrize("runner", ["fx_runner", "fx_runner_m4", "fx_runner_m4_portable"])
def test_format_1_blobs_are_read_and_upgraded_by_the_host_and_refused_by_the_firmware(runners, default_model, runner):
    """Format 1 is read by the host and refused by the firmware; upgraded, it is format 3 with the same
    model and model id, which the firmware runs as it runs the shipped format-2 blob, which stays as it
    is (the firmware reads it)."""
    blob = (ROOT / "models" / "default.fxm").read_bytes()
    old = blobs.format_1(blob)
    assert fxm.version_of(old) == 1 and fxm.version_of(blob) == 2
    model = fxm.unpack(old)
    assert all(np.array_equal(a.weights, b.weights) for a, b in zip(model.layers, default_model.layers))
    upgraded = fxm.upgrade(old)
    assert fxm.version_of(upgraded) == 3 and fxm.upgrade(blob) is blob and fxm.upgrade(upgraded) is upgraded
    assert fxm.unpack(upgraded).model_id == default_model.model_id
    windows = np.random.default_rng(9).integers(-3000, 3000, size=(20, default_model.window_len,
                                                                    default_model.n_channels))
    assert native.model(runners[runner], old, windows[:1], default_model.n_classes)[0] == 3  # FX_ERR_VERSION
    (status2, _, cls2, prob2), (status3, _, cls3, prob3) = (
        native.model(runners[runner], b, windows, default_model.n_classes) for b in (blob, upgraded))
    assert status2 == status3 == 0 and np.array_equal(cls2, cls3) and np.array_equal(prob2, prob3)
