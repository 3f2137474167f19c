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
