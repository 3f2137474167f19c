"""The fxclass wire protocol (docs/protocol.md): COBS-framed messages with a CRC-32."""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np
from cobs import cobs

from .errors import LinkError

PROTOCOL_VERSION = 1
HEADER = struct.Struct("<BBHH")
OVERHEAD = HEADER.size + 4
MAX_PAYLOAD = 1600

INFO, INFER, STREAM_START, STREAM_DATA = 0x01, 0x02, 0x03, 0x04
UPLOAD_BEGIN, UPLOAD_CHUNK, UPLOAD_COMMIT, STATS, RESET = 0x05, 0x06, 0x07, 0x08, 0x09
ACK, INFO_REPLY, RESULT, STREAM_REPLY, STATS_REPLY, ERROR = 0x80, 0x81, 0x82, 0x84, 0x88, 0xFF

ERROR_NAMES = {
    0x01: "unknown message type",
    0x02: "payload has the wrong length for this model",
    0x03: "upload out of sequence (chunk or commit without begin, or wrong offset)",
    0x04: "model too large for the firmware's upload buffer",
    0x05: "uploaded model does not match the CRC announced at begin",
    0x06: "stream data before STREAM_START",
}
MODEL_STATUS = {
    1: "bad argument", 2: "bad magic", 3: "unsupported format version", 4: "size mismatch",
    5: "CRC mismatch", 6: "exceeds firmware limits", 7: "array outside the blob", 8: "layer shapes do not chain",
    9: "requantization parameter out of range", 10: "misaligned blob",
}
STATS_FIELDS = ("frames_ok", "crc_errors", "framing_errors", "oversize_frames", "error_replies",
                "rx_overruns", "inferences", "uptime_ms")


def error_text(code: int) -> str:
    if code >= 0x10:
        return f"model rejected: {MODEL_STATUS.get(code - 0x10, f'status {code - 0x10}')}"
    return ERROR_NAMES.get(code, f"error code {code}")


# INFO's cycle source: what the cycle counts in RESULT records count.
CYCLE_SOURCES = {0: "dwt", 1: "systick", 2: "host"}  # host: nanoseconds, in a native run


@dataclass
class Frame:
    type: int
    seq: int
    payload: bytes


def body(msg_type: int, seq: int, payload: bytes = b"") -> bytes:
    """The unencoded frame body: header, payload, CRC-32."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds the maximum {MAX_PAYLOAD}")
    head = HEADER.pack(msg_type, 0, seq & 0xFFFF, len(payload)) + payload
    return head + struct.pack("<I", zlib.crc32(head))


def encode(msg_type: int, seq: int, payload: bytes = b"") -> bytes:
    """Bytes on the wire for one frame: COBS(body) followed by the 0x00 delimiter."""
    return cobs.encode(body(msg_type, seq, payload)) + b"\0"


def decode(chunk: bytes) -> Frame | None:
    """Decode the bytes between two delimiters; None for anything that is not a valid frame."""
    try:
        raw = cobs.decode(chunk)
    except cobs.DecodeError:
        return None
    if len(raw) < OVERHEAD:
        return None
    msg_type, flags, seq, length = HEADER.unpack_from(raw)
    if flags != 0 or length + OVERHEAD != len(raw):
        return None
    if zlib.crc32(raw[:-4]) != struct.unpack_from("<I", raw, len(raw) - 4)[0]:
        return None
    return Frame(msg_type, seq, raw[HEADER.size:-4])


@dataclass
class Result:
    index: int
    class_index: int
    prob_q15: np.ndarray
    cycles: int

    RECORD = struct.Struct("<IBBHI")

    @classmethod
    def parse_many(cls, payload: bytes, count: int | None = None) -> list["Result"]:
        out, offset = [], 0
        while offset < len(payload) and (count is None or len(out) < count):
            if len(payload) - offset < cls.RECORD.size:
                raise LinkError("truncated result record")
            index, cls_idx, n, _, cycles = cls.RECORD.unpack_from(payload, offset)
            offset += cls.RECORD.size
            if len(payload) - offset < 2 * n:
                raise LinkError("truncated result probabilities")
            prob = np.frombuffer(payload, dtype="<i2", count=n, offset=offset).astype(np.int16)
            offset += 2 * n
            out.append(cls(index, cls_idx, prob, cycles))
        return out


@dataclass
class Info:
    protocol_version: int
    firmware_version: str
    cycle_source: str
    max_payload: int
    sysclk_hz: int
    model_id: int
    window_len: int
    n_channels: int
    hop_len: int
    sample_rate_hz: int
    n_classes: int
    n_layers: int
    model_uploaded: bool
    max_model_bytes: int
    max_window_values: int
    max_classes: int
    board: str
    class_names: list[str]

    FIXED = struct.Struct("<HBBBBHIIHHHHBBBxIHH")

    @classmethod
    def parse(cls, payload: bytes) -> "Info":
        if len(payload) < cls.FIXED.size:
            raise LinkError("INFO reply too short")
        (proto, major, minor, patch, cyc, max_payload, sysclk, model_id, wlen, nch, hop, rate, ncls,
         nlay, uploaded, max_model, max_values, max_classes) = cls.FIXED.unpack_from(payload)
        strings = payload[cls.FIXED.size:].split(b"\0")
        board, names = strings[0].decode(errors="replace"), [s.decode(errors="replace") for s in strings[1:1 + ncls]]
        return cls(proto, f"{major}.{minor}.{patch}", CYCLE_SOURCES.get(cyc, f"unknown ({cyc})"), max_payload, sysclk,
                   model_id, wlen, nch, hop, rate, ncls, nlay, bool(uploaded), max_model, max_values,
                   max_classes, board, names)


class FrameReader:
    """Splits a byte stream at 0x00 delimiters into frames and text lines (announcements, faults)."""

    def __init__(self):
        self._buf = bytearray()
        self.frames: list[Frame] = []
        self.texts: list[str] = []
        self.bad_frames = 0

    def feed(self, data: bytes) -> None:
        self._buf.extend(data)
        while True:
            end = self._buf.find(b"\0")
            if end < 0:
                break
            chunk = bytes(self._buf[:end])
            del self._buf[:end + 1]
            if not chunk:
                continue
            frame = decode(chunk)
            if frame is not None:
                self.frames.append(frame)
            elif _is_text(chunk):
                self.texts.append(chunk.decode("ascii").strip())
            else:
                self.bad_frames += 1


def _is_text(chunk: bytes) -> bool:
    return chunk.endswith(b"\n") and all(32 <= b < 127 or b in (9, 10, 13) for b in chunk)
