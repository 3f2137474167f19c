"""Model format 3 (docs/model-format.md): the section table, the compact input stage and the larger
limits, the firmware's parser (every C build) and the host's reader refusing the same blobs with the
same fx_status, and models of the largest windows bit-exact with the reference."""
from __future__ import annotations

import struct

import numpy as np
import pytest

import blobs
import native
from fxclass.errors import ModelFormatError, ModelStatus
from fxclass.model import fxm, reference as ref

RUNNERS = ["fx_runner", "fx_runner_portable", "fx_runner_san", "fx_runner_m4", "fx_runner_m4_portable"]
OK = 0


@pytest.fixture(scope="module")
def standard():
    """A format-3 stats16 model of 6 channels with the standard input stage: no sections."""
    return fxm.pack(blobs.trained(64, 6, 2, (8,)))


@pytest.fixture(scope="module")
def compact():
    """The same with the compact input stage: one INPUT_COMPACT section."""
    return fxm.pack(blobs.trained(64, 6, 2, (8,), input_stage="compact"))


def edited(blob: bytes, offset: int, fmt: str, *values) -> bytes:
    out = bytearray(blob)
    struct.pack_into(fmt, out, offset, *values)
    return blobs.reblob(bytes(out))


def refusals(standard: bytes, compact: bytes) -> list[tuple[str, bytes, int]]:
    """(what, blob, the fx_status fx_model_parse returns): one defect each."""
    end = len(standard) - 4  # where resectioned appends
    [(tag, _, c_off, c_bytes)] = blobs.sections(compact)
    assert tag == fxm.SECTION_INPUT_COMPACT
    n = fxm.unpack(compact).n_features
    shifts = c_off + 2 * n
    cases = [
        ("format 3 as it is written", standard, OK),
        ("format 3, compact input stage", compact, OK),
        ("format 3 with format 2's header size", edited(standard, 6, "<H", 48), ModelStatus.VERSION),
        ("format 2 with format 3's header size", edited(standard, 4, "<H", 2), ModelStatus.VERSION),
        ("format 4", edited(standard, 4, "<H", 4), ModelStatus.VERSION),
        ("a format-3 blob shorter than its header and CRC",
         blobs.reblob(standard[:8] + struct.pack("<I", 56) + standard[12:52] + b"\0\0\0\0"), ModelStatus.SIZE),
        ("reserved bytes 54-55", edited(standard, 54, "<H", 1), ModelStatus.PARAM),
        ("sections announced, no table", edited(standard, 52, "<H", 1), ModelStatus.LAYOUT),
        ("an empty table at a valid offset", blobs.resectioned(standard, []), OK),
        ("the table misaligned", blobs.resectioned(standard, [(3, 0, 0, 4)], b"\0" * 8, table=end + 2),
         ModelStatus.LAYOUT),
        ("the table in the header", blobs.resectioned(standard, [], table=52, n_sections=1), ModelStatus.LAYOUT),
        ("the table past the payload", blobs.resectioned(standard, [], table=end, n_sections=1), ModelStatus.LAYOUT),
        ("a DECISION section shorter than its head",
         blobs.resectioned(standard, [(fxm.SECTION_DECISION, 0, end, 4)], b"\0" * 4), ModelStatus.LAYOUT),
        ("an unknown tag", blobs.resectioned(standard, [(7, 0, end, 4)], b"\0" * 4), ModelStatus.PARAM),
        ("tag 0", blobs.resectioned(standard, [(0, 0, end, 4)], b"\0" * 4), ModelStatus.PARAM),
        ("a record's reserved field", blobs.resectioned(compact, [(3, 1, c_off, c_bytes)]), ModelStatus.PARAM),
        ("a FEATURES section for stats16", blobs.resectioned(standard, [(fxm.SECTION_FEATURES, 0, end, 4)], b"\0" * 4),
         ModelStatus.PARAM),
        ("INPUT_COMPACT twice", blobs.resectioned(compact, [(3, 0, c_off, c_bytes)] * 2), ModelStatus.PARAM),
        ("a section of 0 bytes", blobs.resectioned(compact, [(3, 0, c_off, 0)]), ModelStatus.LAYOUT),
        ("a section misaligned", blobs.resectioned(compact, [(3, 0, c_off + 2, c_bytes)]), ModelStatus.LAYOUT),
        ("a section in the header", blobs.resectioned(compact, [(3, 0, 52, c_bytes)]), ModelStatus.LAYOUT),
        ("a section into the CRC", blobs.resectioned(compact, [(3, 0, len(compact) + 12 - c_bytes, c_bytes)]),
         ModelStatus.LAYOUT),
        ("a section past the payload", blobs.resectioned(compact, [(3, 0, len(compact) + 64, c_bytes)]),
         ModelStatus.LAYOUT),
        ("compact and standard input stages both", edited(compact, 32, "<I", 56), ModelStatus.LAYOUT),
        ("neither input stage", edited(standard, 32, "<I", 0), ModelStatus.LAYOUT),
        ("INPUT_COMPACT 4 bytes short", blobs.resectioned(compact, [(3, 0, c_off, c_bytes - 4)]), ModelStatus.LAYOUT),
        ("INPUT_COMPACT 4 bytes long", blobs.resectioned(compact, [(3, 0, c_off, c_bytes + 4)]), ModelStatus.LAYOUT),
        ("a compact shift of 0", edited(compact, shifts + 5, "<B", 0), ModelStatus.PARAM),
        ("a compact shift of 32", edited(compact, shifts + n - 1, "<B", 32), ModelStatus.PARAM),
        ("a compact shift of 255", edited(compact, shifts, "<B", 255), ModelStatus.PARAM),
        ("compact shifts of 1 and 31, offsets at int16's ends",
         edited(edited(compact, shifts, "<BB", 1, 31), c_off, "<hh", -32768, 32767), OK),
        ("the names at offset 48, in format 3's header", edited(standard, 40, "<I", 48), ModelStatus.LAYOUT),
        ("a window of 2049 samples", edited(standard, 16, "<H", 2049), ModelStatus.LIMIT),
        ("2017 features", edited(standard, 28, "<H", 2017), ModelStatus.LIMIT),
        ("a window of 512 x 7 = 3584 values", edited(standard, 16, "<HH", 512, 7),
         ModelStatus.LIMIT),
    ]
    return cases


def test_the_cases_cover_every_status_of_the_sections():
    """Not a blob test: a guard that the table above keeps a case of each status it is about."""
    statuses = {s for *_, s in refusals(fxm.pack(blobs.trained(64, 6, 2, (8,))),
                                         fxm.pack(blobs.trained(64, 6, 2, (8,), input_stage="compact")))}
    assert statuses >= {OK, ModelStatus.VERSION, ModelStatus.SIZE, ModelStatus.PARAM, ModelStatus.LAYOUT,
                        ModelStatus.LIMIT}


@pytest.mark.parametrize("runner", RUNNERS)
def test_the_firmware_and_the_host_refuse_the_same_blobs_with_the_same_status(runners, standard, compact, runner):
    cases = refusals(standard, compact)
    got = native.parse(runners[runner], [blob for _, blob, _ in cases])
    for (what, blob, status), c_status in zip(cases, got):
        assert c_status == status, f"{what}: fx_model_parse gives {c_status}, {status} expected"
        if status == OK:
            model = fxm.unpack(blob)
            assert fxm.unpack(fxm.pack(model)).n_features == model.n_features, what
        else:
            with pytest.raises(ModelFormatError) as err:
                fxm.unpack(blob)
            assert err.value.status == status, f"{what}: the host says {err.value.status!r}: {err.value}"


def test_the_writer_lays_out_format_3(standard, compact):
    """Header of 56 bytes, sections after it, the compact stage in its section with the header's input
    offset 0, and every array after the header; the host reads formats 2 and 3 alike."""
    for blob, n_sections in ((standard, 0), (compact, 1)):
        version, header, total = struct.unpack_from("<HHI", blob, 4)
        table, n, reserved = struct.unpack_from("<IHH", blob, 48)
        assert (version, header, total, n, reserved) == (3, 56, len(blob), n_sections, 0)
        assert (table == 0) == (n_sections == 0)
        offsets = struct.unpack_from("<IIII", blob, 32)
        assert all(o == 0 or (o >= 56 and o % 4 == 0) for o in offsets)
    assert struct.unpack_from("<I", compact, 32)[0] == 0 and struct.unpack_from("<I", standard, 32)[0] == 56
    model = fxm.unpack(compact)
    assert model.input_compact and model.input_mult is None
    [(_, _, offset, size)] = blobs.sections(compact)
    assert size == ref.pad4(3 * model.n_features)
    assert np.array_equal(np.frombuffer(compact, "<i2", model.n_features, offset), model.input_offset)
    assert np.array_equal(np.frombuffer(compact, "u1", model.n_features, offset + 2 * model.n_features),
                          model.input_shift)


def test_the_writer_refuses_what_the_firmware_would(compact):
    model = fxm.unpack(compact)
    for field, index, value, message in (("input_shift", 0, 0, "shift outside"), ("input_shift", 3, 32, "shift outside"),
                                         ("input_offset", 1, 40000, "offset outside int16")):
        bad = fxm.unpack(compact)
        getattr(bad, field)[index] = value
        with pytest.raises(ModelFormatError, match=message):
            fxm.pack(bad)
    wide = fxm.unpack(compact)
    wide.shape = fxm.Shape(2049, 1, 1, 10)
    with pytest.raises(ModelFormatError, match="window_len 2049 outside"):
        fxm.pack(wide)
    assert fxm.pack(model) == compact


def test_compact_input_stage_reference_is_the_formula():
    """quantize_input_compact against the formula in Python's integers, over int32 features, int16
    offsets and every shift."""
    rng = np.random.default_rng(11)
    f = rng.integers(-2**31, 2**31, size=20000, dtype=np.int64)
    f[:100] = rng.integers(-3000, 3000, size=100)
    o = rng.integers(-2**15, 2**15, size=20000)
    s = rng.integers(1, 32, size=20000)
    got = ref.quantize_input_compact(f, o, s)
    want = [max(-128, min(127, ((int(a) - int(b)) * 65536 + (1 << (int(c) - 1))) >> int(c))) for a, b, c in zip(f, o, s)]
    assert np.array_equal(got, want)


# ---- the largest windows, the compact stage: fx_model_run on every build against the reference -----

def large_window_models():
    return [
        ("2048 x 1 stats16", blobs.trained(2048, 1, 2, (8,))),
        ("2048 x 1 stats8, compact", blobs.trained(2048, 1, 1, (), input_stage="compact")),
        ("256 x 12 stats16 (192 features)", blobs.trained(256, 12, 2, (16,))),
        ("256 x 12 stats16, compact", blobs.trained(256, 12, 2, (12, 8), input_stage="compact")),
        ("256 x 12 stats16 softmax, compact", blobs.trained(256, 12, 2, (), input_stage="compact")),
    ]


def edge_windows(rng, window_len: int, n_channels: int) -> np.ndarray:
    shape = (window_len, n_channels)
    windows = [np.round(rng.normal(0, s, size=shape)) for s in (50, 800, 4000, 20000) for _ in range(4)]
    windows += [np.full(shape, v) for v in (-32768, 0, 32767)]
    windows += [np.where(np.arange(window_len)[:, None] % 2 == 0, 32767, -32768) * np.ones(shape),
                np.cumsum(rng.integers(-3000, 3000, size=shape), axis=0)]
    windows += list(blobs.windows(window_len, n_channels, n_per_class=2, seed=5).windows)
    return np.clip(np.array(windows), -32768, 32767).astype(np.int16)


@pytest.fixture(scope="module")
def large_models():
    return large_window_models()


@pytest.mark.parametrize("runner", RUNNERS)
def test_models_of_the_largest_windows_and_the_compact_stage_are_bit_exact(runners, large_models, runner):
    """Windows of 2048 x 1 and 256 x 12 (192 features, a first layer longer than the Cortex-M4 makes
    its pairs for at once), with the standard and the compact input stage: the plan each build takes
    and fx_model_run's classes and probabilities against the reference."""
    rng = np.random.default_rng(12)
    dsp = native.has_dsp(runners[runner])
    classes = set()
    for what, model in large_models:
        windows = edge_windows(rng, model.window_len, model.n_channels)
        status, plan, cls, prob = native.model(runners[runner], fxm.pack(model), windows, model.n_classes)
        ref_cls, ref_prob = ref.Pipeline(model).run(windows)
        assert status == 0, what
        assert np.array_equal(cls, ref_cls) and np.array_equal(prob, ref_prob), what
        classes |= set(ref_cls.tolist())
        if not dsp:
            assert plan == {"features": "portable", "input": "portable",
                            "dense": ["portable"] * len(model.layers)}, what
        else:
            assert plan["features"] == "dsp"
            first = model.layers[0]
            if model.input_compact:
                assert plan["input"] == "dsp", what
            # A first layer of more than 128 inputs never takes the whole-layer variant on int8 inputs.
            if first.in_len > 128 and plan["input"] != "dsp_pairs":
                assert plan["dense"][0] == "dsp", what
    assert len(classes) > 1


# ---- the plumbing that a feature set with parameters (spectral, rocket) goes through ---------------

class _Scaled:
    """A feature set with parameters, for the host's plumbing alone (the firmware has no such set
    number): one int32 gain, features gain x the window's sum per channel."""

    @staticmethod
    def fit(windows, labels, gain=3):
        return {"gain": gain, "n_channels": windows.shape[2]}

    @staticmethod
    def transform(params, windows):
        return params["gain"] * np.asarray(windows, dtype=np.int64).sum(axis=-2)

    @staticmethod
    def encode(params):
        return struct.pack("<i", params["gain"])

    @staticmethod
    def decode(data, window_len, n_channels):
        if len(data) != 4:
            raise ModelFormatError(f"a FEATURES section of {len(data)} bytes, 4 expected", ModelStatus.LAYOUT)
        (gain,) = struct.unpack("<i", data)
        if not 1 <= gain <= 100:
            raise ModelFormatError(f"gain {gain} outside [1, 100]", ModelStatus.PARAM)
        return {"gain": gain, "n_channels": n_channels}

    @staticmethod
    def n_features(params):
        return params["n_channels"]


def test_a_set_with_parameters_travels_in_its_features_section(monkeypatch, tmp_path):
    """train fits the set and keeps its parameters (the float model file holds its FEATURES section),
    quantize and pack write the section, unpack checks and decodes it, the reference runs with it; a
    blob without the section, or with one the set's decode refuses, is refused with its status."""
    from fxclass.model import features, train
    from fxclass.model.quantize import quantize

    fset = features.FeatureSet(250, "scaled", _Scaled, True, "test set", 1)
    monkeypatch.setitem(features.SETS, 250, fset)
    data = blobs.windows(32, 3)
    fm = train.train(data, (4,), 20, feature_set=250, feature_options={"gain": 7})
    assert fm.feature_params == {"gain": 7, "n_channels": 3}
    fm.save(tmp_path / "fm.npz")
    assert train.FloatModel.load(tmp_path / "fm.npz").feature_params == fm.feature_params
    blob = fxm.pack(quantize(fm, data.windows))
    [(tag, _, offset, size)] = blobs.sections(blob)
    assert (tag, blob[offset:offset + size]) == (fxm.SECTION_FEATURES, struct.pack("<i", 7))
    model = fxm.unpack(blob)
    assert model.feature_params == {"gain": 7, "n_channels": 3}
    assert np.array_equal(ref.Pipeline(model).features(data.windows[:2]), 7 * data.windows[:2].astype(np.int64).sum(1))
    for bad, status in ((blobs.resectioned(blob, []), ModelStatus.LAYOUT),
                        (edited(blob, offset, "<i", 101), ModelStatus.PARAM),
                        (blobs.resectioned(blob, [(1, 0, offset, 8)]), ModelStatus.LAYOUT)):
        with pytest.raises(ModelFormatError) as err:
            fxm.unpack(bad)
        assert err.value.status == status
