"""Model blobs for tests: edited blobs with their CRC mended, and format 1 (the first release's)."""
from __future__ import annotations

import struct
import zlib

import numpy as np

from fxclass.model import fxm
from fxclass.model.reference import pad4


def reblob(blob: bytes) -> bytes:
    """blob with its trailing CRC-32 recomputed after an edit."""
    return blob[:-4] + zlib.crc32(blob[:-4]).to_bytes(4, "little")


def weights_offset(blob: bytes, layer: int = 0) -> int:
    layers_off = struct.unpack_from("<I", blob, 36)[0]
    return struct.unpack_from("<I", blob, layers_off + layer * 32 + 8)[0]


def format_1(blob: bytes) -> bytes:
    """A format-2 blob written as format 1: weights as int8, each row's four of a block in a row."""
    model = fxm.unpack(blob)
    out = bytearray(blob)
    struct.pack_into("<H", out, 4, 1)
    for k, layer in enumerate(model.layers):
        op, ip = pad4(layer.out_len), pad4(layer.in_len)
        padded = np.zeros((op, ip), dtype=np.int8)
        padded[:layer.out_len, :layer.in_len] = layer.weights
        v1 = padded.reshape(op // 4, 4, ip // 4, 4).transpose(0, 2, 1, 3).tobytes()
        w_off = weights_offset(blob, k)
        out[w_off:w_off + len(v1)] = v1
    return reblob(bytes(out))


def resectioned(blob: bytes, records: list[tuple[int, int, int, int]], extra: bytes = b"",
                table: int | None = None, n_sections: int | None = None) -> bytes:
    """A format-3 blob with its section table replaced by records (tag, reserved, offset, bytes):
    extra (padded to 4) is appended to the payload, then the table, whose offset the header gives
    (or table, and n_sections records, where given); offsets are the records' own, so a record can
    point into extra, which starts at len(blob) - 4."""
    body = bytearray(blob[:-4])
    body += extra + b"\0" * (-len(extra) % 4)
    at = len(body)
    for record in records:
        body += struct.pack("<HHII", *record)
    struct.pack_into("<IH", body, 48, at if table is None else table, len(records) if n_sections is None else n_sections)
    struct.pack_into("<I", body, 8, len(body) + 4)
    return bytes(body) + zlib.crc32(body).to_bytes(4, "little")


def sections(blob: bytes) -> list[tuple[int, int, int, int]]:
    """A format-3 blob's section records (tag, reserved, offset, bytes)."""
    table, n = struct.unpack_from("<IH", blob, 48)
    return [struct.unpack_from("<HHII", blob, table + 12 * k) for k in range(n)]


def windows(window_len: int, n_channels: int, n_per_class: int = 20, seed: int = 0):
    """The synthetic dataset's four activities in windows of window_len x n_channels (its six channels
    over and over)."""
    from fxclass.data import datasets

    ws = datasets.synthetic(n_per_class, window_len, seed)
    pick = np.arange(n_channels) % 6
    return datasets.WindowSet(np.ascontiguousarray(ws.windows[:, :, pick]), ws.labels, ws.class_names,
                              ws.sample_rate_hz, [f"c{i}" for i in range(n_channels)])


def trained(window_len: int, n_channels: int, feature_set: int = 2, hidden: tuple[int, ...] = (16,),
            input_stage: str = "standard", seed: int = 0, epochs: int = 40) -> fxm.Model:
    """A small quantized model of the synthetic activities at that window shape, trained briefly."""
    from fxclass.model import train
    from fxclass.model.quantize import quantize

    data = windows(window_len, n_channels, seed=seed)
    fm = train.train(data, hidden, epochs, hop_len=max(1, window_len // 2), seed=seed, feature_set=feature_set)
    return quantize(fm, data.windows, input_stage=input_stage)
