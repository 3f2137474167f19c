"""The wire protocol: golden frames shared by the C and Python sides, and the frame reader."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import native
from fxclass.device import protocol as p

GOLDEN = Path(__file__).with_name("golden_frames.txt")


def golden():
    for line in GOLDEN.read_text().splitlines():
        if line and not line.startswith("#"):
            name, msg_type, seq, payload, wire = line.split()
            yield name, int(msg_type, 16), int(seq), bytes.fromhex("" if payload == "-" else payload), bytes.fromhex(wire)


def test_python_encodes_and_decodes_the_golden_frames():
    for name, msg_type, seq, payload, wire in golden():
        assert p.encode(msg_type, seq, payload) == wire, name
        frame = p.decode(wire[:-1])
        assert (frame.type, frame.seq, frame.payload) == (msg_type, seq, payload), name


def test_c_encodes_and_decodes_the_golden_frames(runners):
    cases = list(golden())
    got = native.frames(runners["fx_runner_san"], [(t, s, pl) for _, t, s, pl, _ in cases])
    for (name, msg_type, seq, payload, wire), (c_wire, c_body) in zip(cases, got):
        assert c_wire == wire, name
        assert c_body == p.body(msg_type, seq, payload), name


@pytest.mark.parametrize("size", [1, 253, 254, 255, 508, 1000, p.MAX_PAYLOAD])
def test_c_and_python_agree_on_block_boundaries(runners, size):
    rng = np.random.default_rng(size)
    for payload in (bytes(rng.integers(1, 256, size=size, dtype=np.uint8)), bytes(size),
                    bytes(rng.integers(0, 3, size=size, dtype=np.uint8))):
        (c_wire, c_body), = native.frames(runners["fx_runner"], [(p.INFER, 5, payload)])
        assert c_wire == p.encode(p.INFER, 5, payload)
        assert c_body == p.body(p.INFER, 5, payload)


def test_decode_rejects_corruption():
    wire = p.encode(p.INFO, 3)[:-1]
    assert p.decode(wire) is not None
    for i in range(len(wire)):
        bad = bytearray(wire)
        bad[i] ^= 0x10
        if 0 in bad:
            continue
        assert p.decode(bytes(bad)) is None, i
    assert p.decode(b"") is None
    assert p.decode(b"\x03ab") is None


def test_reader_separates_frames_text_and_garbage():
    r = p.FrameReader()
    stream = (b"\0fxclass 0.1.0 test ready\r\n\0" + p.encode(p.ACK, 1, b"\x03") + b"\x07garbage\0"
              + p.encode(p.STATS_REPLY, 2, bytes(32)))
    for i in range(0, len(stream), 3):  # arrives in small pieces
        r.feed(stream[i:i + 3])
    assert r.texts == ["fxclass 0.1.0 test ready"]
    assert [(f.type, f.seq) for f in r.frames] == [(p.ACK, 1), (p.STATS_REPLY, 2)]
    assert r.bad_frames == 1


def test_payload_limit_is_enforced():
    with pytest.raises(ValueError):
        p.encode(p.INFER, 1, bytes(p.MAX_PAYLOAD + 1))


def test_the_decision_frames_read_as_documented():
    """EVENT and a result record with the decision stage's bytes (docs/protocol.md), from the golden frames."""
    frames = {name: p.decode(wire[:-1]) for name, _, _, _, wire in golden()}
    changed = p.Event.parse(frames["event_changed"].payload)
    assert (changed.hop, changed.samples, changed.decided, changed.previous, changed.prob_q15) == (7, 400, 2, 0xFE, 21000)
    unknown = p.Event.parse(frames["event_unknown"].payload)
    assert (unknown.decided, unknown.previous) == (0xFE, 0xFF)
    [record] = p.Result.parse_many(frames["stream_reply_decided"].payload[6:], 1)
    assert (record.index, record.class_index, record.decided, record.outside, record.changed, record.cycles) == \
        (7, 2, 2, True, True, 12519)
    assert record.prob_q15.tolist() == [100, 200, 32000, 468]
    with pytest.raises(p.LinkError):
        p.Event.parse(b"\0" * 11)
