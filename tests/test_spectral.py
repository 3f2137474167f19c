"""The spectral feature set: the C kernel (every build) against its numpy twin bit for bit, every refusal of
its set-up, its tables and its constants. Each run asserts which variant ran (native.run checks the build)."""
from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np
import pytest

import blobs
import native
from fxclass.errors import ModelFormatError
from fxclass.model import fxm
from fxclass.model.features import spectral
from fxclass.model.features.spectral import SpectralParams
from fxclass.model.reference import Pipeline

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host" / "tools"))
import spectral_tables  # noqa: E402  (a make target's tool, not the package)
from test_limits import value  # noqa: E402

RUNNERS = ["fx_runner", "fx_runner_portable", "fx_runner_san", "fx_runner_m4", "fx_runner_m4_portable"]
FX_OK, FX_ERR_ARG, FX_ERR_LIMIT, FX_ERR_LAYOUT, FX_ERR_SHAPE, FX_ERR_PARAM = 0, 1, 6, 7, 8, 9


def edge_windows(L: int, C: int, rng) -> np.ndarray:
    """Full scale of both signs, alternating, constant, an impulse, one channel alive, small values, a
    sine, a step, and channels of different kinds side by side (one beyond 2^14 about its mean, one
    within: the Cortex-M4 variant's two ways of scaling in one pair)."""
    t = np.arange(L)[:, None]
    alternating = np.where(t % 2 == 0, 32767, -32768) * np.ones((1, C))
    impulse = np.zeros((L, C))
    impulse[L // 3] = 32767
    one = np.zeros((L, C))
    one[:, 0] = rng.integers(-32768, 32768, L)
    sine = np.round(20000 * np.sin(2 * np.pi * t / 37.0)) * np.ones((1, C))
    step = np.where(t < L // 2, -32768, 32767) * np.ones((1, C))
    mixed = rng.integers(-3000, 3000, (L, C))
    mixed[:, ::2] = rng.integers(-32768, 32768, (L, (C + 1) // 2))
    windows = [np.full((L, C), 32767), np.full((L, C), -32768), alternating, np.full((L, C), 1234), impulse, one,
               rng.integers(-3, 4, (L, C)), sine, step, mixed, rng.integers(-32768, 32768, (L, C)), np.zeros((L, C))]
    return np.array(windows).astype(np.int16)


def sensor_windows(L: int, C: int, n: int, rng) -> np.ndarray:
    """Random walks and tones of every scale, from a few counts to full scale."""
    scale = 2.0 ** rng.integers(2, 16, size=(n, 1, C))
    walk = np.cumsum(rng.normal(0, 1, (n, L, C)), axis=1)
    walk /= np.maximum(np.abs(walk).max(axis=1, keepdims=True), 1e-9)
    tone = np.sin(2 * np.pi * rng.uniform(0.01, 0.5, (n, 1, C)) * np.arange(L)[None, :, None])
    x = scale * (0.6 * walk + 0.4 * tone) + rng.integers(-20000, 20000, (n, 1, C)) * (rng.random((n, 1, C)) < 0.3)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def params(L: int, C: int, N: int, hop: int, B: int) -> SpectralParams:
    return SpectralParams(L, C, N, hop, spectral.log_band_edges(N, B))


def stage_shapes(rng) -> list[SpectralParams]:
    """Every FFT length, hops from 1 to N, one segment (L = N) and the most (255), odd and even window
    lengths and channel counts, one to 64 bands, irregular band edges, and the largest windows of each
    shape: 2048 x 1 and 256 x 12."""
    shapes = [params(100, 6, 32, 16, 8), params(100, 6, 64, 32, 16), params(100, 6, 32, 32, 8),
              params(2048, 1, 1024, 512, 64), params(2048, 1, 256, 128, 16), params(2048, 1, 16, 8, 8),
              params(256, 12, 256, 256, 64), params(256, 12, 64, 32, 16), params(256, 12, 16, 1, 8),
              params(1460, 1, 256, 128, 16), params(16, 1, 16, 16, 1), params(17, 3, 16, 1, 8),
              params(1536, 2, 1024, 3, 32), params(33, 5, 32, 7, 16), params(1024, 3, 1024, 1024, 64)]
    shapes.append(SpectralParams(200, 4, 128, 50, (1, 2, 3, 5, 60, 65)))     # DC-free, a wide last band
    shapes.append(SpectralParams(64, 2, 64, 32, (1, 33)))                    # one band over every bin
    shapes.append(SpectralParams(40, 7, 32, 3, tuple(range(1, 18))))         # one bin per band, to N/2
    for _ in range(60):
        N = int(2 ** rng.integers(4, 11))
        C = int(rng.integers(1, 13))
        L = int(rng.integers(N, min(2048, 3072 // C) + 1)) if N <= min(2048, 3072 // C) else N
        hop = int(rng.integers(max(1, -(-(L - N) // 254)), N + 1))
        p = params(L, C, N, hop, int(rng.integers(1, min(64, N // 2) + 1)))
        if spectral.refusal(p) is None:
            shapes.append(p)
    return shapes


def feature_cases(module, stages, rng, values: int, most: int, least: int = 2) -> list:
    """(params, windows, the twin's features) per stage: the edge windows, then sensor-like ones, about
    values samples' worth, from least to most."""
    cases = []
    for p in stages:
        count = max(least, min(most, values // (p.window_len * p.n_channels)))
        windows = np.concatenate([edge_windows(p.window_len, p.n_channels, rng),
                                  sensor_windows(p.window_len, p.n_channels, count, rng)])
        cases.append((p, windows, module.transform(p, windows)))
    return cases


@pytest.fixture(scope="module")
def spectral_cases():
    rng = np.random.default_rng(21)
    return feature_cases(spectral, stage_shapes(rng), rng, 60_000, 40)


@pytest.mark.parametrize("runner", RUNNERS)
def test_spectral_bit_exact(runners, spectral_cases, runner):
    """The kernel on ~100 stages (every FFT length from 16 to 1024, the largest windows 2048 x 1 and
    256 x 12) and ~3,000 windows, edge cases among them: its Cortex-M4 variant on the DSP build
    (QEMU's core sets the GE flags it needs), else the portable C; the working memory it asks for is
    what the layout says."""
    expected_variant = "dsp" if native.has_dsp(runners[runner]) else "portable"
    got = native.spectral(runners[runner], [(spectral.encode(p), w) for p, w, _ in spectral_cases])
    total = 0
    for (p, windows, expected), (init, variant, buffer_size, status, features) in zip(spectral_cases, got):
        shape = f"{p.window_len} x {p.n_channels}, N {p.fft_len}, hop {p.hop_len}, {p.n_bands} bands"
        assert init == FX_OK and variant == expected_variant and not status.any(), shape
        assert buffer_size == spectral.working_memory(p, native.has_dsp(runners[runner])), shape
        bad = np.flatnonzero((features != expected).any(axis=1))
        assert bad.size == 0, f"{shape}: window {bad[0]} differs"
        total += len(windows)
    assert total >= 3000


def test_largest_working_memory():
    """What the largest stage asks for, 2048 x 1 with N = 1024, within FX_FEATURE_WORK_BYTES."""
    p = params(2048, 1, 1024, 512, 64)
    assert spectral.working_memory(p, dsp=False) == 10_252 and spectral.working_memory(p, dsp=True) == 21_520
    assert spectral.working_memory(p, dsp=True) <= value("FX_FEATURE_WORK_BYTES")


def section(N=64, hop=32, B=4, edges=None, reserved=0, extra=b"", padding=0) -> bytes:
    """A FEATURES section as spectral.encode writes it, without its checks: B bands, or as many as edges gives."""
    edges = list(spectral.log_band_edges(N, B) if edges is None else edges)
    data = struct.pack("<HHHH", N, hop, len(edges) - 1, reserved) + struct.pack(f"<{len(edges)}H", *edges)
    pad = -len(data) % 4
    return data + (struct.pack("<H", padding) if pad else b"") + extra


# (what is wrong, window_len, n_channels, section bytes or None, the status fx_features_spectral_init gives,
# whether the twin's decode refuses the same bytes for the same window)
REFUSALS = [
    ("no section", 100, 6, None, FX_ERR_LAYOUT, True),
    ("a section shorter than its header", 100, 6, section()[:6], FX_ERR_LAYOUT, True),
    ("no bands", 100, 6, struct.pack("<HHHH", 64, 32, 0, 0) + struct.pack("<H", 1) + b"\0\0", FX_ERR_PARAM, True),
    ("65 bands", 2048, 1, section(1024, 512, 65), FX_ERR_LIMIT, True),
    ("a section longer than its bands", 100, 6, section(extra=b"\0\0\0\0"), FX_ERR_LAYOUT, True),
    ("a section shorter than its bands", 100, 6, section(B=5)[:-4], FX_ERR_LAYOUT, True),
    ("reserved bits", 100, 6, section(reserved=1), FX_ERR_PARAM, True),
    ("padding bits", 100, 6, section(B=4, padding=7), FX_ERR_PARAM, True),
    ("an FFT length not a power of two", 100, 6, section(N=48, edges=[1, 2, 3, 4, 5]), FX_ERR_PARAM, True),
    ("an FFT shorter than 16", 100, 6, section(N=8, edges=[1, 2, 3, 4, 5]), FX_ERR_PARAM, True),
    ("an FFT longer than 1024", 2048, 1, section(N=2048, hop=1024), FX_ERR_LIMIT, True),
    ("an FFT longer than the window", 100, 6, section(N=128, hop=64), FX_ERR_SHAPE, True),
    ("a window shorter than any FFT", 15, 1, section(N=16, hop=8), FX_ERR_SHAPE, True),
    ("hop 0", 100, 6, section(hop=0), FX_ERR_PARAM, True),
    ("a hop longer than the FFT", 100, 6, section(hop=65), FX_ERR_PARAM, True),
    ("256 segments", 271, 1, section(N=16, hop=1, edges=[1, 2, 3, 4, 9]), FX_ERR_LIMIT, True),
    ("more bands than bins", 64, 1, section(N=16, hop=8, edges=list(range(1, 11))), FX_ERR_PARAM, True),
    ("a first edge at bin 0 (DC)", 100, 6, section(edges=[0, 2, 5, 10, 33]), FX_ERR_PARAM, True),
    ("edges that do not increase", 100, 6, section(edges=[1, 5, 5, 10, 33]), FX_ERR_PARAM, True),
    ("edges that decrease", 100, 6, section(edges=[1, 6, 5, 10, 33]), FX_ERR_PARAM, True),
    ("a last edge past N/2 + 1", 100, 6, section(edges=[1, 2, 5, 10, 34]), FX_ERR_PARAM, True),
    ("a window over 2048 samples", 2049, 1, section(), FX_ERR_LIMIT, True),
    ("no channels", 100, 0, section(), FX_ERR_LIMIT, True),
    ("13 channels", 100, 13, section(), FX_ERR_LIMIT, True),
]


@pytest.mark.parametrize("runner", ["fx_runner", "fx_runner_san", "fx_runner_m4"])
def test_spectral_init_refuses_every_bad_field(runners, runner):
    """fx_features_spectral_init checks every field with the status the contract gives it; the twin's
    decode refuses the same sections with the same status. The edge cases that pass (the largest segment count, 64 bands)
    are taken."""
    stages = [(data, np.zeros((0, L, C), np.int16)) for _, L, C, data, _, _ in REFUSALS]
    got = native.spectral(runners[runner], stages)
    for (what, L, C, data, status, twin), (init, *_) in zip(REFUSALS, got):
        assert init == status, f"{what}: status {init}, not {status}"
        if twin:
            with pytest.raises(ModelFormatError) as refused:
                spectral.decode(data or b"", L, C)
            assert refused.value.status == status, f"{what}: the twin says {refused.value.status}"
    edge = [(section(N=16, hop=1, edges=[1, 2, 3, 4, 9]), np.zeros((1, 270, 1), np.int16)),    # 255 segments
            (section(N=1024, hop=512, B=64), np.zeros((1, 2048, 1), np.int16)),
            (section(N=16, hop=16, edges=list(range(1, 10))), np.zeros((1, 16, 12), np.int16))]
    for (data, w), (init, *_) in zip(edge, native.spectral(runners[runner], edge)):
        assert init == FX_OK
        spectral.decode(data, w.shape[1], w.shape[2])


def test_section_round_trip_and_layout():
    p = params(100, 6, 32, 16, 8)
    data = spectral.encode(p)
    assert len(data) == 8 + 20 and data[:8] == struct.pack("<HHHH", 32, 16, 8, 0)
    assert spectral.decode(data, 100, 6) == p
    assert spectral.n_features(p) == 60 and p.n_segments == 6
    odd = params(100, 6, 64, 32, 3)
    assert len(spectral.encode(odd)) == 16 and spectral.decode(spectral.encode(odd), 100, 6) == odd
    with pytest.raises(ModelFormatError):
        spectral.encode(SpectralParams(100, 6, 64, 0, (1, 33)))


def test_fit_chooses_what_the_firmware_takes():
    rng = np.random.default_rng(3)
    for L, C in [(16, 1), (100, 6), (150, 1), (2048, 1), (256, 12), (1460, 1)]:
        p = spectral.fit(rng.integers(-100, 100, (4, L, C)).astype(np.int16), None, fft_len=64, n_bands=16)
        assert spectral.refusal(p) is None and p.fft_len == min(64, 1 << (L.bit_length() - 1))
        assert p.hop_len == p.fft_len // 2 and p.n_bands == min(16, p.fft_len // 2)
    long = spectral.fit(np.zeros((1, 2048, 1), np.int16), None, fft_len=16, hop_len=1)
    assert long.n_segments == 255 and long.hop_len == 8
    with pytest.raises(ModelFormatError):
        spectral.fit(np.zeros((1, 15, 1), np.int16), None)


def test_twin_follows_the_float_spectrum():
    """The fixed point costs little: on tones in noise, from a few hundred counts to full scale, the twin's
    band powers are within 0.3 (log2 units, 0.9 dB) of the float64 pipeline's (exact Hann, numpy's rfft
    divided by N) in every band within 40 dB of the window's strongest; below that the fixed point's
    rounding floor shows (a one-bin band 60 dB down may be off by 1, i.e. 3 dB)."""
    rng = np.random.default_rng(8)
    p = params(512, 1, 128, 64, 16)
    t = np.arange(512)
    windows = np.array([np.round(a * np.sin(2 * np.pi * f * t / 128) + rng.normal(0, 30, 512))
                        for a in (500, 5000, 30000) for f in (3.3, 11, 40.5)])[..., None].astype(np.int16)
    got = spectral.transform(p, windows)[:, :16] / 256
    x = windows[..., 0].astype(np.float64)
    x = x - np.floor(x.mean(axis=1, keepdims=True))
    idx = spectral.segment_starts(p)[:, None] + np.arange(128)
    hann = 0.5 * (1 - np.cos(2 * np.pi * np.arange(128) / 128))
    power = (np.abs(np.fft.rfft(x[:, idx] * hann, axis=-1) / 128) ** 2).sum(axis=1)
    edges = np.array(p.edges)
    bands = np.add.reduceat(power, edges[:-1], axis=1)[:, :16]
    strong = bands > bands.max(axis=1, keepdims=True) * 2.0 ** -13
    assert strong.sum() > 60
    assert np.abs(got[strong] - np.log2(bands[strong])).max() < 0.3


def test_tables_are_the_generators():
    """fx_spectral_tables.c is what host/tools/spectral_tables.py writes from the twin's formulas, and the
    quarter-wave cosine and half Hann window it keeps give the whole-period tables the twin reads."""
    spectral_tables.check()
    assert (ROOT / "firmware" / "core" / "fx_spectral_tables.c").read_text() == spectral_tables.render()
    first = spectral_tables.render().splitlines()[0]
    assert "generated by host/tools/spectral_tables.py" in first and f"version {spectral_tables.VERSION}" in first
    assert value("FX_SPECTRAL_TABLES_FORMAT") == spectral_tables.VERSION


def test_the_twins_constants_are_the_firmwares():
    assert value("FX_FEATURE_SET_SPECTRAL") == spectral.FEATURE_SET
    assert value("FX_SPECTRAL_TABLE_LEN") == spectral.TABLE_LEN
    assert value("FX_SPECTRAL_MIN_FFT_LEN") == spectral.MIN_FFT_LEN
    assert value("FX_SPECTRAL_MAX_FFT_LEN") == spectral.MAX_FFT_LEN
    assert value("FX_SPECTRAL_MAX_BANDS") == spectral.MAX_BANDS
    assert value("FX_SPECTRAL_MAX_SEGMENTS") == spectral.MAX_SEGMENTS


# ---- spectral models: a FEATURES section in a format-3 blob, through fx_model_parse and fx_model_run ----

@pytest.fixture(scope="module")
def spectral_blobs():
    """Models of the synthetic activities, trained briefly: at 100 x 6 with Welch's hop and an MLP head
    (standard input stage), at 256 x 3 with a softmax head (compact stage), and at 1,460 x 1."""
    from fxclass.model import train
    from fxclass.model.quantize import quantize

    out = []
    for (L, C), options, hidden, stage in (((100, 6), {"fft_len": 32, "n_bands": 8}, (16,), "standard"),
                                           ((256, 3), {"fft_len": 64, "n_bands": 16}, (), "compact"),
                                           ((1460, 1), {"fft_len": 256, "n_bands": 16}, (8,), "compact")):
        data = blobs.windows(L, C, n_per_class=8)
        fm = train.train(data, hidden, 30, hop_len=L // 2, feature_set=spectral.FEATURE_SET, feature_options=options)
        model = quantize(fm, data.windows, input_stage=stage)
        rng = np.random.default_rng(L)
        windows = np.concatenate([data.windows[::4], edge_windows(L, C, rng), sensor_windows(L, C, 8, rng)])
        out.append((model, fxm.pack(model), windows))
    return out


@pytest.mark.parametrize("runner", RUNNERS)
def test_spectral_models_run_bit_exact(runners, spectral_blobs, runner):
    """fx_model_parse sets the spectral stage up from the blob's FEATURES section (the feature set's
    line in fx_features.c), and fx_model_run gives the reference pipeline's classes and probabilities:
    the spectral kernel's Cortex-M4 variant on the DSP build, else the portable C."""
    expected = "dsp" if native.has_dsp(runners[runner]) else "portable"
    for model, blob, windows in spectral_blobs:
        status, plan, cls, prob = native.model(runners[runner], blob, windows, model.n_classes)
        assert status == 0 and plan["features"] == expected
        ref_cls, ref_prob = Pipeline(model).run(windows)
        assert np.array_equal(cls, ref_cls) and np.array_equal(prob, ref_prob), f"{model.window_len} x {model.n_channels}"


def test_parse_refuses_a_bad_spectral_section(runners, spectral_blobs):
    """A blob whose FEATURES section the set-up refuses is refused by fx_model_parse with the set-up's
    status, and by the host's reader with the same one; a spectral blob without its section too."""
    _, blob, _ = spectral_blobs[0]
    [(tag, _, offset, size)] = [s for s in blobs.sections(blob) if s[0] == fxm.SECTION_FEATURES]

    def edited(at: int, value: int) -> bytes:
        out = bytearray(blob)
        struct.pack_into("<H", out, offset + at, value)
        return blobs.reblob(bytes(out))

    others = [s for s in blobs.sections(blob) if s[0] != fxm.SECTION_FEATURES]
    bad = [(edited(0, 48), FX_ERR_PARAM), (edited(0, 2048), FX_ERR_LIMIT), (edited(0, 128), FX_ERR_SHAPE),
           (edited(2, 0), FX_ERR_PARAM), (edited(4, 65), FX_ERR_LIMIT), (edited(6, 1), FX_ERR_PARAM),
           (edited(8, 0), FX_ERR_PARAM), (blobs.resectioned(blob, others), FX_ERR_LAYOUT)]
    for (data, status), got in zip(bad, native.parse(runners["fx_runner_san"], [b for b, _ in bad])):
        assert got == status
        with pytest.raises(ModelFormatError) as refused:
            fxm.unpack(data)
        assert refused.value.status == status
