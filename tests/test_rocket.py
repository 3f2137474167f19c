"""The rocket feature set: the C kernel (every build) against its numpy twin bit for bit, every refusal of its
set-up, its fitting and its constants. Each run asserts which variant ran (native.run checks the build)."""
from __future__ import annotations

import struct
from itertools import combinations

import numpy as np
import pytest

import blobs
import native
from fxclass.errors import ModelFormatError
from fxclass.model import fxm
from fxclass.model.features import rocket
from fxclass.model.features.rocket import Block, RocketParams
from fxclass.model.reference import Pipeline
from test_limits import value
from test_spectral import (FX_ERR_LAYOUT, FX_ERR_LIMIT, FX_ERR_PARAM, FX_ERR_SHAPE, FX_OK, RUNNERS, edge_windows,
                           feature_cases, sensor_windows)


def fitted(L: int, C: int, rng, **options) -> RocketParams:
    """Parameters fitted on sensor-like windows of L x C."""
    return rocket.fit(sensor_windows(L, C, 6, rng), None, seed=int(rng.integers(1 << 30)), **options)


def extreme(L: int, C: int) -> RocketParams:
    """Hand-set parameters at the ends of every range: shift 0 on full-scale sums (the clamp at work),
    the largest shift and offsets, the largest dilation, biases at +-BIAS_MAX and 0, both phases, every
    channel in one block, kernels 0 and 83."""
    d = rocket.max_dilation(L)
    full = (1 << C) - 1
    blocks = (Block(d, full, 0, 0, 3, 0), Block(1, 1, rocket.MAX_OFFSET, rocket.MAX_SHIFT, 1, 1),
              Block(max(1, d // 2), 1 << (C - 1), -rocket.MAX_OFFSET, 1, 2, 1))
    kernels = (0, 1, 41, 82, 83)
    F = len(kernels) * 6
    biases = tuple([rocket.BIAS_MAX, -rocket.BIAS_MAX, 0, 17, -3, 1][k % 6] for k in range(F))
    return RocketParams(L, C, kernels, blocks, biases)


def stage_shapes(rng) -> list[RocketParams]:
    """MiniRocket's fit at the bench's shapes and the largest windows (2048 x 1 with 2016 features and
    dilations up to 255; 256 x 12), the shortest window (9), odd lengths and channel counts, kernel
    subsets, several biases per block, and the hand-set extremes."""
    shapes = [fitted(100, 6, rng), fitted(1460, 1, rng, n_features=2016), fitted(2048, 1, rng, n_features=2016),
              fitted(256, 12, rng, n_features=2016), fitted(9, 1, rng, n_features=84), fitted(9, 3, rng),
              fitted(17, 5, rng, n_kernels=7), fitted(101, 2, rng, n_features=1000, n_kernels=50),
              fitted(333, 1, rng, n_features=336, max_dilations=3), fitted(64, 4, rng, n_features=2016),
              extreme(100, 6), extreme(2048, 1), extreme(255, 12), extreme(9, 1)]
    for _ in range(6):
        C = int(rng.integers(1, 13))
        L = int(rng.integers(9, min(2048, 3072 // C) + 1))
        shapes.append(fitted(L, C, rng, n_features=int(rng.integers(1, 2017)), n_kernels=int(rng.integers(1, 85))))
    return shapes


@pytest.fixture(scope="module")
def rocket_cases():
    rng = np.random.default_rng(4)
    return feature_cases(rocket, stage_shapes(rng), rng, 20_000, 12, least=1)


@pytest.mark.parametrize("runner", RUNNERS)
def test_rocket_bit_exact(runners, rocket_cases, runner):
    """The kernel on ~20 stages (the largest windows 2048 x 1 and 256 x 12, the shortest, subsets of
    kernels, every range's ends) and their edge windows (full scale, constant, alternating, impulse, one
    channel alive, a step) and sensor-like ones: the Cortex-M4 variant on the DSP build, else the
    portable C; the working memory it asks for is what the layout says."""
    dsp = native.has_dsp(runners[runner])
    got = native.rocket(runners[runner], [(rocket.encode(p), w) for p, w, _ in rocket_cases])
    total = 0
    for (p, windows, expected), (init, variant, buffer_size, status, features) in zip(rocket_cases, got):
        shape = f"{p.window_len} x {p.n_channels}, {len(p.kernels)} kernels, {len(p.blocks)} blocks"
        assert init == FX_OK and variant == ("dsp" if dsp else "portable") and not status.any(), shape
        assert buffer_size == rocket.working_memory(p, dsp), shape
        bad = np.flatnonzero((features != expected).any(axis=1))
        assert bad.size == 0, f"{shape}: window {bad[0]} differs"
        total += len(windows)
    assert total >= 250


def test_twin_is_minirocket():
    """The twin's convolution is MiniRocket's: weights -1 with 2 at the kernel's three taps, zero padding,
    and its counts are the PPV of conv > bias over the padded or the unpadded outputs."""
    rng = np.random.default_rng(5)
    L = 40
    y = rng.integers(-rocket.Y_MAX, rocket.Y_MAX + 1, (2, L))
    for d in (1, 2, 4):
        conv = rocket.convolutions(y, d, range(rocket.N_KERNELS))
        for k, taps in enumerate(combinations(range(9), 3)):
            w = -np.ones(9, dtype=np.int64)
            w[list(taps)] = 2
            padded = np.pad(y, ((0, 0), (4 * d, 4 * d)))
            direct = np.stack([padded[:, t:t + 8 * d + 1:d] @ w for t in range(L)], axis=1)
            assert np.array_equal(conv[:, k], direct)
    p = RocketParams(L, 1, (0, 1), (Block(2, 1, 0, 0, 1, 0),), (5, -5))
    x = (y[0][:, None]).astype(np.int16)
    conv = rocket.convolutions(y[:1], 2, (0, 1))[0]
    assert list(rocket.transform(p, x[None])[0]) == [int((conv[0] > 5).sum()), int((conv[1, 8:L - 8] > -5).sum())]


def test_int16_ranges_hold_on_full_scale():
    """|conv| <= BIAS_MAX on the worst signals (the clamp keeps y within Y_MAX), so bias - conv fits int16."""
    y = np.array([np.where(np.arange(60) % 2 == 0, rocket.Y_MAX, -rocket.Y_MAX), np.full(60, rocket.Y_MAX)])
    for d in (1, 3, 7):
        conv = rocket.convolutions(y, d, range(rocket.N_KERNELS))
        assert np.abs(conv).max() <= rocket.BIAS_MAX
    assert 2 * rocket.BIAS_MAX < 32768 and 24 * rocket.Y_MAX <= 32767


def test_the_twins_constants_are_the_firmwares():
    assert value("FX_FEATURE_SET_ROCKET") == rocket.FEATURE_SET
    assert value("FX_ROCKET_KERNELS") == rocket.N_KERNELS
    assert value("FX_ROCKET_MAX_BLOCKS") == rocket.MAX_BLOCKS
    assert value("FX_ROCKET_MAX_SHIFT") == rocket.MAX_SHIFT
    assert value("FX_ROCKET_Y_MAX") == rocket.Y_MAX
    assert value("FX_ROCKET_BIAS_MAX") == rocket.BIAS_MAX


def test_largest_working_memory():
    """The largest stage, 2048 x 1 with dilation 255, within FX_FEATURE_WORK_BYTES on both builds."""
    p = extreme(2048, 1)
    assert p.max_dilation == 255
    assert rocket.working_memory(p, dsp=False) == 12_272 and rocket.working_memory(p, dsp=True) == 24_644
    assert rocket.working_memory(p, dsp=True) <= value("FX_FEATURE_WORK_BYTES")


def section(K=2, B=1, reserved=0, block=(2, 1, 0, 0, 1, 0, 0), kernels=(0, 5), biases=None, extra=b"") -> bytes:
    """A FEATURES section as rocket.encode writes it, without its checks."""
    nb = block[4]
    biases = [3] * (len(kernels) * nb * B) if biases is None else list(biases)
    data = struct.pack("<HHI", K, B, reserved) + b"".join(struct.pack("<HHiBBBB", *block) for _ in range(B))
    data += bytes(kernels) + b"\0" * (-len(kernels) % 4)
    data += struct.pack(f"<{len(biases)}h", *biases)
    return data + b"\0" * (-len(data) % 4) + extra


# (what is wrong, window_len, n_channels, section bytes or None, the status fx_features_rocket_init gives)
REFUSALS = [
    ("no section", 100, 6, None, FX_ERR_LAYOUT),
    ("a section shorter than its header", 100, 6, section()[:6], FX_ERR_LAYOUT),
    ("no kernels", 100, 6, section(K=0, kernels=()), FX_ERR_PARAM),
    ("no blocks", 100, 6, section(B=0), FX_ERR_PARAM),
    ("reserved bits", 100, 6, section(reserved=1), FX_ERR_PARAM),
    ("85 kernels", 100, 6, section(K=85, kernels=tuple(range(85))), FX_ERR_LIMIT),
    ("65 blocks", 100, 6, section(B=65), FX_ERR_LIMIT),
    ("a section too short for its blocks", 100, 6, section(B=3)[:30], FX_ERR_LAYOUT),
    ("dilation 0", 100, 6, section(block=(0, 1, 0, 0, 1, 0, 0)), FX_ERR_PARAM),
    ("a dilation past (L - 1) / 8", 100, 6, section(block=(13, 1, 0, 0, 1, 0, 0)), FX_ERR_PARAM),
    ("no channels in the mask", 100, 6, section(block=(2, 0, 0, 0, 1, 0, 0)), FX_ERR_PARAM),
    ("a channel past the window's", 100, 6, section(block=(2, 64, 0, 0, 1, 0, 0)), FX_ERR_PARAM),
    ("an offset too large", 100, 6, section(block=(2, 1, 393217, 0, 1, 0, 0)), FX_ERR_PARAM),
    ("an offset too small", 100, 6, section(block=(2, 1, -393217, 0, 1, 0, 0)), FX_ERR_PARAM),
    ("shift 21", 100, 6, section(block=(2, 1, 0, 21, 1, 0, 0)), FX_ERR_PARAM),
    ("no biases", 100, 6, section(block=(2, 1, 0, 0, 0, 0, 0), biases=[]), FX_ERR_PARAM),
    ("phase 2", 100, 6, section(block=(2, 1, 0, 0, 1, 2, 0)), FX_ERR_PARAM),
    ("a block's reserved byte", 100, 6, section(block=(2, 1, 0, 0, 1, 0, 1)), FX_ERR_PARAM),
    ("kernel 84", 100, 6, section(kernels=(0, 84)), FX_ERR_PARAM),
    ("kernels that do not increase", 100, 6, section(kernels=(5, 5)), FX_ERR_PARAM),
    ("kernels' padding", 100, 6, section(K=1, kernels=(0, 9)), FX_ERR_PARAM),
    ("2100 features", 2048, 1, section(K=84, B=25, kernels=tuple(range(84)), biases=[0] * 84 * 25), FX_ERR_LIMIT),
    ("a section longer than its biases", 100, 6, section(extra=b"\0\0\0\0"), FX_ERR_LAYOUT),
    ("a section shorter than its biases", 100, 6, section(K=3, kernels=(0, 1, 2))[:-4], FX_ERR_LAYOUT),
    ("a bias past 16380", 100, 6, section(biases=[16381, 0]), FX_ERR_PARAM),
    ("a bias below -16380", 100, 6, section(biases=[0, -16381]), FX_ERR_PARAM),
    ("the biases' padding", 100, 6, section(K=1, kernels=(0,), biases=[1, 7]), FX_ERR_PARAM),
    ("a window of 8 samples", 8, 1, section(block=(1, 1, 0, 0, 1, 0, 0)), FX_ERR_SHAPE),
    ("a window over 2048 samples", 2049, 1, section(), FX_ERR_LIMIT),
    ("no channels", 100, 0, section(), FX_ERR_LIMIT),
    ("13 channels", 100, 13, section(), FX_ERR_LIMIT),
]


@pytest.mark.parametrize("runner", ["fx_runner", "fx_runner_san", "fx_runner_m4"])
def test_rocket_init_refuses_every_bad_field(runners, runner):
    """fx_features_rocket_init checks every field with the status the contract gives it; the twin's decode
    refuses the same sections with the same status. The ends of the ranges that pass are taken."""
    stages = [(data, np.zeros((0, L, C), np.int16)) for _, L, C, data, _ in REFUSALS]
    for (what, L, C, data, status), (init, *_) in zip(REFUSALS, native.rocket(runners[runner], stages)):
        assert init == status, f"{what}: status {init}, not {status}"
        with pytest.raises(ModelFormatError) as refused:
            rocket.decode(data or b"", L, C)
        assert refused.value.status == status, f"{what}: the twin says {refused.value.status}"
    edge = [(section(block=(12, 63, 393216, 20, 1, 1, 0), biases=[16380, -16380]), np.zeros((1, 100, 6), np.int16)),
            (section(K=84, B=24, kernels=tuple(range(84)), biases=[0] * 2016), np.zeros((1, 2048, 1), np.int16)),
            (section(block=(1, 1, 0, 0, 1, 0, 0)), np.zeros((1, 9, 12), np.int16))]
    for (data, w), (init, *_) in zip(edge, native.rocket(runners[runner], edge)):
        assert init == FX_OK
        rocket.decode(data, w.shape[1], w.shape[2])


def test_section_round_trip_and_layout():
    p = RocketParams(100, 6, (0, 5, 83), (Block(3, 0b101, -7, 2, 2, 1),), (1, 2, 3, -4, 5, 6))
    data = rocket.encode(p)
    assert len(data) == 8 + 12 + 4 + 12 and data[:8] == struct.pack("<HHI", 3, 1, 0)
    assert rocket.decode(data, 100, 6) == p and rocket.n_features(p) == 6
    with pytest.raises(ModelFormatError):
        rocket.encode(RocketParams(100, 6, (0,), (Block(13, 1, 0, 0, 1, 0),), (0,)))


def test_fit_is_minirocket_within_the_firmwares_limits():
    """MiniRocket's dilations (exponentially spaced up to (L - 1) / 8, features spread over them), one block a
    dilation for one channel, channel combinations for several, the quantile biases of a window; every
    fitted stage is one the firmware takes, up to its 2016 features."""
    values, counts = rocket.dilations(1460, 24)
    assert values[0] == 1 and values[-1] == (1460 - 1) // 8 and counts.sum() == 24
    assert np.all(np.diff(np.log2(values)) > 0)
    rng = np.random.default_rng(6)
    for L, C, F in [(9, 1, 84), (100, 6, 504), (1460, 1, 2016), (2048, 1, 2016), (256, 12, 2016), (50, 3, 5000)]:
        p = fitted(L, C, rng, n_features=F)
        assert rocket.refusal(p) is None and rocket.n_features(p) == min(F, 2016) // 84 * 84
        assert p.max_dilation <= (L - 1) // 8
        if C == 1:
            assert all(b.mask == 1 for b in p.blocks) and len({b.dilation for b in p.blocks}) == len(p.blocks)
        else:
            assert len({b.mask for b in p.blocks}) > 1
    with pytest.raises(ModelFormatError):
        rocket.fit(np.zeros((2, 8, 1), np.int16))


def test_biases_are_quantiles_of_the_training_outputs():
    """On training windows the features are spread: a bias at quantile q leaves about 1 - q of the outputs
    of its window above it, so the features are neither all 0 nor all full."""
    rng = np.random.default_rng(7)
    w = sensor_windows(200, 1, 20, rng)
    p = rocket.fit(w, None, n_features=840)
    f = rocket.transform(p, w)
    assert 0.2 < f.mean() / 200 < 0.8 and (f.std(axis=0) > 0).mean() > 0.8


# ---- rocket models: a FEATURES section in a format-3 blob, through fx_model_parse and fx_model_run ------

@pytest.fixture(scope="module")
def rocket_blobs():
    """Models of the synthetic activities, trained briefly: at 100 x 6 with an MLP head (standard input stage),
    at 256 x 3 with a softmax head (compact stage), and at 1,460 x 1."""
    from fxclass.model import train
    from fxclass.model.quantize import quantize

    out = []
    for (L, C), options, hidden, stage in (((100, 6), {"n_features": 336}, (16,), "standard"),
                                           ((256, 3), {"n_features": 840}, (), "compact"),
                                           ((1460, 1), {"n_features": 1008}, (), "compact")):
        data = blobs.windows(L, C, n_per_class=6)
        fm = train.train(data, hidden, 30, hop_len=L // 2, feature_set=rocket.FEATURE_SET, feature_options=options)
        model = quantize(fm, data.windows, input_stage=stage)
        rng = np.random.default_rng(L)
        windows = np.concatenate([data.windows[::4], edge_windows(L, C, rng), sensor_windows(L, C, 4, rng)])
        out.append((model, fxm.pack(model), windows))
    return out


@pytest.mark.parametrize("runner", RUNNERS)
def test_rocket_models_run_bit_exact(runners, rocket_blobs, runner):
    """fx_model_parse sets the rocket stage up from the blob's FEATURES section (the set's line in
    fx_features.c), and fx_model_run gives the reference pipeline's classes and probabilities."""
    expected = "dsp" if native.has_dsp(runners[runner]) else "portable"
    for model, blob, windows in rocket_blobs:
        status, plan, cls, prob = native.model(runners[runner], blob, windows, model.n_classes)
        assert status == 0 and plan["features"] == expected
        ref_cls, ref_prob = Pipeline(model).run(windows)
        assert np.array_equal(cls, ref_cls) and np.array_equal(prob, ref_prob), f"{model.window_len} x {model.n_channels}"


def test_parse_refuses_a_bad_rocket_section(runners, rocket_blobs):
    """A blob whose FEATURES section the set-up refuses is refused by fx_model_parse with the set-up's status,
    and by the host's reader with the same one; a rocket blob without its section too."""
    _, blob, _ = rocket_blobs[0]
    [(tag, _, offset, size)] = [s for s in blobs.sections(blob) if s[0] == fxm.SECTION_FEATURES]

    def edited(at: int, fmt: str, v: int) -> bytes:
        out = bytearray(blob)
        struct.pack_into(fmt, out, offset + at, v)
        return blobs.reblob(bytes(out))

    others = [s for s in blobs.sections(blob) if s[0] != fxm.SECTION_FEATURES]
    bad = [(edited(0, "<H", 0), FX_ERR_PARAM), (edited(0, "<H", 85), FX_ERR_LIMIT), (edited(4, "<I", 1), FX_ERR_PARAM),
           (edited(8, "<H", 13), FX_ERR_PARAM), (edited(10, "<H", 64), FX_ERR_PARAM), (edited(16, "<B", 21), FX_ERR_PARAM),
           (edited(size - 2, "<h", -16381), FX_ERR_PARAM), (blobs.resectioned(blob, others), FX_ERR_LAYOUT)]
    for (data, status), got in zip(bad, native.parse(runners["fx_runner_san"], [b for b, _ in bad])):
        assert got == status
        with pytest.raises(ModelFormatError) as refused:
            fxm.unpack(data)
        assert refused.value.status == status


def test_bench_header_and_fuzz_seeds_are_the_generators():
    """firmware/app/bench_rocket.h is what host/tools/rocket_bench.py writes from its fixed seeds, and the
    model fuzzer's rocket seeds are those same blobs."""
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "host" / "tools"))
    import rocket_bench

    assert (root / "firmware" / "app" / "bench_rocket.h").read_text() == rocket_bench.render()
    for name, _, _, blob, acc in rocket_bench.models():
        assert (root / "tests" / "fuzz_seeds" / "model" / f"v3_rocket_{name}.fxm").read_bytes() == blob
        assert acc >= 0.9
