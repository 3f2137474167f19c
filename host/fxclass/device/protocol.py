"""The fxclass wire protocol (docs/protocol.md): COBS-framed messages with a CRC-32."""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np
from cobs import cobs

from ..errors import LinkError
from ..model.decide import NONE
from ..model.fxm import UNIT_NAMES
from ..model.shape import Shape, Shaped

PROTOCOL_VERSION = 1
HEADER = struct.Struct("<BBHH")
OVERHEAD = HEADER.size + 4
MAX_PAYLOAD = 6144  # the largest INFER: a window of 3072 int16 values

INFO, INFER, STREAM_START, STREAM_DATA = 0x01, 0x02, 0x03, 0x04
UPLOAD_BEGIN, UPLOAD_CHUNK, UPLOAD_COMMIT, STATS, RESET, MODE = 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A
ACK, INFO_REPLY, RESULT, STREAM_REPLY, STATS_REPLY, ERROR = 0x80, 0x81, 0x82, 0x84, 0x88, 0xFF
CONFIG_GET, CONFIG_SET, CONFIG_RESET, CONFIG_REPLY = 0x10, 0x11, 0x12, 0x90
FORGET = 0x13  # the kept models and configuration erased: the built-in model and the defaults
UPLOAD_KEEP = 0x01  # UPLOAD_BEGIN's flags: write the model to flash
# Where the model in use or the configuration comes from (INFO, CONFIG_REPLY)
KEPT_NAMES = {0: "built-in", 1: "RAM", 2: "flash slot 0", 3: "flash slot 1"}
MODE_REPLY, LIVE_RESULT, SAMPLES, SENSOR_EVENT, EVENT = 0x8A, 0x8B, 0x8C, 0x8D, 0x8E
# Sent without a request: in LIVE and RECORD, and EVENT in STREAM too (with the STREAM_DATA's seq).
UNSOLICITED = (LIVE_RESULT, SAMPLES, SENSOR_EVENT, EVENT)
# A result record's flags (byte 7): its window lies outside every class; its hop changed the decision.
RESULT_OUTSIDE, RESULT_CHANGED = 0x01, 0x02
MODE_HOST, MODE_LIVE, MODE_RECORD = 0x00, 0x01, 0x02

ERROR_NAMES = {
    0x01: "unknown message type",
    0x02: "payload has the wrong length for this model",
    0x03: "upload out of sequence (chunk or commit without begin, wrong offset, or abandoned for an inference)",
    0x04: "model too large for the firmware's upload buffer",
    0x05: "uploaded model does not match the CRC announced at begin",
    0x06: "stream data before STREAM_START",
    0x07: "no sensor answers on the board's bus (no shield fitted, or an emulator without one)",
    0x08: "the model declares no physical scale for its inputs (counts per g, dps, ...) that the sensor can give",
    0x09: "the model's channels are not the sensor's (accelerometer x, y, z then gyroscope x, y, z, in g or "
          "m/s2 and dps or rad/s)",
    0x0A: "the model's sample rate is above the sensor's fastest",
    0x0B: "the sensor answered, then failed on its bus while starting",
    0x0C: "this board has no flash controller (QEMU): upload with --ram, the model then lasts until a reset",
    0x0D: "the flash controller failed to erase or program; the model or configuration kept before stays",
    0x0E: "the firmware does not know this configuration key (`fxclass config show` lists the keys it knows)",
    0x0F: "a configuration value outside its key's range",
}
MODEL_STATUS = {
    1: "bad argument", 2: "bad magic", 3: "unsupported format version", 4: "size mismatch",
    5: "CRC mismatch", 6: "exceeds firmware limits", 7: "array outside the blob", 8: "layer shapes do not chain",
    9: "a parameter out of range (a weight outside [-127, 127], a multiplier or shift, a feature set's parameter)",
    10: "misaligned blob",
}
STATS_FIELDS = ("frames_ok", "crc_errors", "framing_errors", "oversize_frames", "error_replies",
                "rx_overruns", "inferences", "uptime_ms", "sensor_samples", "sensor_lost", "sensor_errors",
                "live_results")


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
    decided: int = NONE   # the decision after this hop: a class, UNKNOWN, or NONE (none yet, and INFER)
    flags: int = 0        # RESULT_OUTSIDE, RESULT_CHANGED

    RECORD = struct.Struct("<IBBBBI")

    @property
    def outside(self) -> bool:
        return bool(self.flags & RESULT_OUTSIDE)

    @property
    def changed(self) -> bool:
        return bool(self.flags & RESULT_CHANGED)

    @classmethod
    def parse_many(cls, payload: bytes, count: int | None = None) -> list["Result"]:
        out, offset = [], 0
        while offset < len(payload) and (count is None or len(out) < count):
            if len(payload) - offset < cls.RECORD.size:
                raise LinkError("truncated result record")
            index, cls_idx, n, decided, flags, cycles = cls.RECORD.unpack_from(payload, offset)
            offset += cls.RECORD.size
            if len(payload) - offset < 2 * n:
                raise LinkError("truncated result probabilities")
            prob = np.frombuffer(payload, dtype="<i2", count=n, offset=offset).astype(np.int16)
            offset += 2 * n
            out.append(cls(index, cls_idx, prob, cycles, decided, flags))
        if count is not None and len(out) < count:
            raise LinkError(f"the device sent {len(out)} result records where {count} were due")
        return out


@dataclass
class Info(Shaped):
    protocol_version: int
    firmware_version: str
    cycle_source: str
    max_payload: int
    sysclk_hz: int
    model_id: int
    shape: Shape  # of the model the device runs
    n_classes: int
    n_layers: int
    model_uploaded: bool
    max_model_bytes: int
    max_window_values: int
    max_classes: int
    board: str
    class_names: list[str]
    mode: int = 0
    sensor: str | None = None  # the part the firmware found on its bus, None without one
    model_source: str = "built-in"  # KEPT_NAMES: built-in, RAM (until a reset), flash slot 0 or 1
    flash_controller: bool = False  # False: nothing can be kept (QEMU)
    config_source: str = "built-in"
    boot_mode: int = 0  # 0 host-driven, 1 LIVE at power-on
    model_seq: int = 0  # the flash record's sequence number
    config_seq: int = 0

    FIXED = struct.Struct("<HBBBBHIIHHHHBBBBIHH")
    KEPT = struct.Struct("<BBBBII")

    @classmethod
    def parse(cls, payload: bytes) -> "Info":
        if len(payload) < cls.FIXED.size:
            raise LinkError("INFO reply too short")
        (proto, major, minor, patch, cyc, max_payload, sysclk, model_id, wlen, nch, hop, rate, ncls,
         nlay, uploaded, state, max_model, max_values, max_classes) = cls.FIXED.unpack_from(payload)
        # board, the class names, the sensor: NUL-terminated strings; then what is kept, when the
        # firmware says (a firmware before flash storage ends with the strings)
        strings, at = [], cls.FIXED.size
        for _ in range(ncls + 2):
            end = payload.find(b"\0", at)
            if end < 0:
                break
            strings.append(payload[at:end].decode(errors="replace"))
            at = end + 1
        board, names = (strings or [""])[0], strings[1:1 + ncls]
        sensor = strings[1 + ncls] if len(strings) > 1 + ncls and state & 0x10 else None
        kept = cls.KEPT.unpack_from(payload, at) if len(payload) >= at + cls.KEPT.size else (uploaded, 0, 0, 0, 0, 0)
        model_source, flash, config_source, boot_mode, model_seq, config_seq = kept
        return cls(proto, f"{major}.{minor}.{patch}", CYCLE_SOURCES.get(cyc, f"unknown ({cyc})"), max_payload, sysclk,
                   model_id, Shape(wlen, nch, hop, rate), ncls, nlay, bool(uploaded), max_model, max_values,
                   max_classes, board, names, state & 0x03, sensor or None,
                   KEPT_NAMES.get(model_source, f"source {model_source}"), bool(flash & 1),
                   KEPT_NAMES.get(config_source, f"source {config_source}"), boot_mode, model_seq, config_seq)


@dataclass
class ConfigReply:
    """The device configuration: where it comes from (KEPT_NAMES), its record's seq, key -> value."""

    source: str
    seq: int
    values: dict[int, int]

    HEAD = struct.Struct("<BBxxI")
    ENTRY = struct.Struct("<Hi")

    @classmethod
    def parse(cls, payload: bytes) -> "ConfigReply":
        if len(payload) < cls.HEAD.size:
            raise LinkError("CONFIG reply too short")
        source, n, seq = cls.HEAD.unpack_from(payload)
        if len(payload) != cls.HEAD.size + cls.ENTRY.size * n:
            raise LinkError(f"CONFIG reply of {len(payload)} bytes for {n} entries")
        values = dict(cls.ENTRY.iter_unpack(payload[cls.HEAD.size:]))
        return cls(KEPT_NAMES.get(source, f"source {source}"), seq, values)

    @classmethod
    def entries(cls, values: dict[int, int]) -> bytes:
        """CONFIG_SET's payload."""
        return b"".join(cls.ENTRY.pack(key, value) for key, value in values.items())


@dataclass
class SensorChannel:
    mult: int
    shift: int
    unit: str
    full_scale: int  # in g or dps
    counts_per_unit: float  # the model's


@dataclass
class ModeReply:
    """How the sensor feeds the model in LIVE and RECORD: its rate, and each channel's conversion."""

    mode: int
    sensor_rate_millihertz: int
    channels: list[SensorChannel]

    HEAD = struct.Struct("<BBxxI")

    @classmethod
    def parse(cls, payload: bytes) -> "ModeReply":
        if len(payload) < cls.HEAD.size:
            raise LinkError("MODE reply too short")
        mode, n, rate = cls.HEAD.unpack_from(payload)
        if len(payload) != cls.HEAD.size + 12 * n:
            raise LinkError(f"MODE reply of {len(payload)} bytes for {n} channels")
        channels = [SensorChannel(m, sh, UNIT_NAMES.get(u, f"unit {u}"), fs, cpu / 65536)
                    for m, sh, u, fs, cpu in struct.iter_unpack("<iBBHI", payload[cls.HEAD.size:])]
        return cls(mode, rate, channels)


@dataclass
class LiveResult:
    """A LIVE result: the hop's result record and the model-rate samples seen up to its window's end."""

    samples: int
    result: "Result"

    @classmethod
    def parse(cls, payload: bytes) -> "LiveResult":
        if len(payload) < 4:
            raise LinkError("LIVE result too short")
        return cls(struct.unpack_from("<I", payload)[0], Result.parse_many(payload[4:], 1)[0])


@dataclass
class SampleBlock:
    """RECORD samples: the index of the first since the mode started, the FIFO's losses so far, and
    the sensor's counts (count, channels) int16 at its rate."""

    first: int
    lost: int
    samples: np.ndarray

    HEAD = struct.Struct("<IIBBxx")

    @classmethod
    def parse(cls, payload: bytes) -> "SampleBlock":
        if len(payload) < cls.HEAD.size:
            raise LinkError("SAMPLES frame too short")
        first, lost, count, ch = cls.HEAD.unpack_from(payload)
        if len(payload) != cls.HEAD.size + 2 * count * ch or ch == 0:
            raise LinkError(f"SAMPLES frame of {len(payload)} bytes for {count} samples of {ch} channels")
        data = np.frombuffer(payload, dtype="<i2", offset=cls.HEAD.size).astype(np.int16).reshape(count, ch)
        return cls(first, lost, data)


@dataclass
class SensorEvent:
    answering: bool
    bus_errors: int

    @classmethod
    def parse(cls, payload: bytes) -> "SensorEvent":
        if len(payload) != 8:
            raise LinkError("SENSOR_EVENT frame of the wrong length")
        return cls(bool(payload[0]), struct.unpack_from("<I", payload, 4)[0])


@dataclass
class Event:
    """The decision changed at a hop (STREAM and LIVE): to a class, or UNKNOWN; from previous (NONE
    at the first decision); with the smoothed probability (Q15) of the decided class, or of the lead
    class when unknown; at the model-rate sample index that ended the hop's window."""

    hop: int
    samples: int
    decided: int
    previous: int
    prob_q15: int

    PAYLOAD = struct.Struct("<IIBBh")

    @classmethod
    def parse(cls, payload: bytes) -> "Event":
        if len(payload) != cls.PAYLOAD.size:
            raise LinkError(f"EVENT frame of {len(payload)} bytes, {cls.PAYLOAD.size} expected")
        return cls(*cls.PAYLOAD.unpack(payload))

    def encode(self) -> bytes:
        return self.PAYLOAD.pack(self.hop, self.samples, self.decided, self.previous, self.prob_q15)


class FrameReader:
    """Splits a byte stream at 0x00 delimiters into frames and text lines (announcements, faults)."""

    def __init__(self):
        self._buf = bytearray()
        self.frames: list[Frame] = []
        self.texts: list[str] = []
        self.bad_frames = 0

    @property
    def pending(self) -> int:
        """Bytes of a frame or line begun and not yet ended."""
        return len(self._buf)

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
