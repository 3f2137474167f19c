"""Feature set 4, rocket: the twin of fx_features_rocket.c (integer MiniRocket), its fitting and FEATURES section.

MiniRocket (Dempster, Schmidt and Webb, KDD 2021) convolves a series with 84 fixed kernels of length 9,
weights -1 everywhere but 2 at three of the nine taps (the 3-subsets of 0..8, in lexicographic order),
each at several dilations, and pools each output into the proportion of its values above a bias taken
from the quantiles of the training data's outputs (PPV). Here every step is integer and the firmware's
kernel is bit-exact with this twin. The stage is made of blocks; a block is one dilation d, one channel
combination and its biases per kernel. For a window x (L samples, C channels, int16) and each block:

  s[t]    = sum of x[t, c] over the block's channels c (its mask)
  y[t]    = clamp((s[t] - offset) >> shift, -Y_MAX, Y_MAX), and y = 0 outside 0 .. L - 1 (zero padding)
  conv[t] = sum over j = 0..8 of w[j] y[t + (j - 4) d], w = -1 but 2 at the kernel's taps a, b, c
          = 3 (y[t + (a-4)d] + y[t + (b-4)d] + y[t + (c-4)d]) - S9[t],  S9[t] = sum of the nine taps
  feature = the count of t with conv[t] > bias, over t = 0 .. L - 1 for a padded kernel and over
            t = 4d .. L - 4d - 1 (the outputs that see no padding) for the others: as MiniRocket, a
            kernel is padded where its index plus the block's phase (its dilation's index, mod 2) is even.

Y_MAX = 1365 = floor(32767 / 24) is what lets the Cortex-M4 variant work on two int16 samples a word:
|conv| <= 12 Y_MAX = 16380 (weights 2, 2, 2 and six -1: 12 in absolute sum) and |bias| <= 16380, so
bias - conv, the kernel's last step, stays within int16 (|.| <= 32760), as do S9 (9 Y_MAX) and the
partial sums it takes (11 Y_MAX). `fit` sets offset and shift so that nearly all of the training windows'
sums land well inside that range; the clamp keeps the arithmetic exact on any input, full scale included.

Features come block by block, then kernel by kernel, then bias by bias. docs/model-format.md ("rocket")
gives the FEATURES section.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from ...errors import ModelFormatError, ModelStatus
from ..limits import MAX_CHANNELS, MAX_FEATURES, MAX_WINDOW_LEN

FEATURE_SET = 4
NAME = "rocket"

KERNEL_LEN = 9
TRIPLES = np.array(list(combinations(range(KERNEL_LEN), 3)), dtype=np.int64)  # MiniRocket's 84 kernels
N_KERNELS = len(TRIPLES)
Y_MAX = 1365                 # floor(32767 / 24): see above
BIAS_MAX = 12 * Y_MAX        # 16380, the largest |conv|
MAX_BLOCKS = 64
MAX_SHIFT = 20               # 12 channels of int16 sum to 20 bits
MAX_OFFSET = MAX_CHANNELS * 32768
MIN_WINDOW_LEN = KERNEL_LEN  # dilation 1 needs 9 samples for one output that sees no padding
HEADER_BYTES = 8             # u16 n_kernels, u16 n_blocks, u32 reserved
BLOCK_BYTES = 12             # u16 dilation, u16 channel mask, i32 offset, u8 shift, n_biases, phase, reserved
_HEADER = struct.Struct("<HHI")
_BLOCK = struct.Struct("<HHiBBBB")
GOLDEN = (np.sqrt(5) + 1) / 2
SCALE_PERCENTILE = 99.0     # of the training samples' distances from the offset: see _scale


def _pad4(n: int) -> int:
    return (n + 3) // 4 * 4


# ---- parameters ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    """One dilation, one channel combination (mask of channels, offset and shift of their sum) and the
    number of biases of each kernel."""

    dilation: int
    mask: int
    offset: int
    shift: int
    n_biases: int
    phase: int


@dataclass(frozen=True)
class RocketParams:
    """A rocket stage: the window's shape, the kernels (indices into TRIPLES, increasing), the blocks and
    the biases, int16, block by block, kernel by kernel, bias by bias."""

    window_len: int
    n_channels: int
    kernels: tuple
    blocks: tuple
    biases: tuple

    @property
    def max_dilation(self) -> int:
        return max(b.dilation for b in self.blocks)


def n_features(p: RocketParams) -> int:
    return len(p.kernels) * sum(b.n_biases for b in p.blocks)


def max_dilation(window_len: int) -> int:
    """The largest dilation that leaves an unpadded kernel one output: 8 d <= L - 1."""
    return (window_len - 1) // (KERNEL_LEN - 1)


def working_memory(p: RocketParams, dsp: bool) -> int:
    """Bytes of working memory the kernel asks for (fx_rocket_buffer_size): the padded signal and S9 for
    the portable C; for the Cortex-M4 variant, 3 y padded twice (even and odd sample first), S9 and the
    pair sums, each with a spare word, and a byte per kernel."""
    L, pad = p.window_len, 4 * p.max_dilation
    padded = L + 2 * pad
    if dsp:
        return 2 * _pad4(2 * (padded + 2)) + 2 * _pad4(2 * (L + 2)) + N_KERNELS
    return _pad4(2 * padded) + _pad4(2 * L)


def _raw(p: RocketParams) -> bytes:
    """p's FEATURES section as encode writes it, unchecked: header, block records, kernel indices (u8,
    zero-padded to 4), biases (int16, zero-padded to 4)."""
    data = _HEADER.pack(len(p.kernels), len(p.blocks), 0)
    data += b"".join(_BLOCK.pack(b.dilation, b.mask, b.offset, b.shift, b.n_biases, b.phase, 0) for b in p.blocks)
    kernels = bytes(p.kernels)
    data += kernels + b"\0" * (-len(kernels) % 4)
    biases = np.asarray(p.biases, dtype="<i2").tobytes()
    return data + biases + b"\0" * (-len(biases) % 4)


def refusal(p: RocketParams) -> tuple[ModelStatus, str] | None:
    """Why fx_features_rocket_init would refuse p, with its status; None when it takes p."""
    try:
        decode(_raw(p), p.window_len, p.n_channels)
    except (ModelFormatError, struct.error, OverflowError, ValueError) as exc:
        return getattr(exc, "status", None) or ModelStatus.PARAM, str(exc)
    return None


def _check(p: RocketParams, what: str) -> RocketParams:
    found = refusal(p)
    if found:
        raise ModelFormatError(f"{what}: {found[1]}", found[0])
    return p


def section_bytes(n_kernels: int, n_blocks: int, n_features_: int) -> int:
    return HEADER_BYTES + BLOCK_BYTES * n_blocks + _pad4(n_kernels) + _pad4(2 * n_features_)


def encode(p: RocketParams) -> bytes:
    """The FEATURES section (docs/model-format.md), of parameters the firmware takes."""
    _check(p, "rocket parameters the firmware would refuse")
    return _raw(p)


def _refuse(message: str, status: ModelStatus):
    raise ModelFormatError(f"rocket FEATURES section: {message}", status)


def decode(data: bytes, window_len: int, n_channels: int) -> RocketParams:
    """The parameters in a FEATURES section, checked as fx_features_rocket_init checks them, in its order:
    a ModelFormatError with the status it returns."""
    L, C = window_len, n_channels
    if L > MAX_WINDOW_LEN or not 1 <= C <= MAX_CHANNELS:
        _refuse(f"windows of {L} x {C}: at most {MAX_WINDOW_LEN} x {MAX_CHANNELS}", ModelStatus.LIMIT)
    if L < MIN_WINDOW_LEN:
        _refuse(f"windows of {L} samples: rocket's kernels need at least {MIN_WINDOW_LEN}", ModelStatus.SHAPE)
    if len(data) < HEADER_BYTES:
        _refuse(f"{len(data)} bytes: at least {HEADER_BYTES}", ModelStatus.LAYOUT)
    K, B, reserved = _HEADER.unpack_from(data)
    if K == 0 or B == 0 or reserved:
        _refuse(f"{K} kernels, {B} blocks, reserved {reserved}: at least one kernel and block, reserved 0",
                ModelStatus.PARAM)
    if K > N_KERNELS or B > MAX_BLOCKS:
        _refuse(f"{K} kernels and {B} blocks, at most {N_KERNELS} and {MAX_BLOCKS}", ModelStatus.LIMIT)
    at = HEADER_BYTES + BLOCK_BYTES * B
    if len(data) < at + _pad4(K):
        _refuse(f"{len(data)} bytes: too short for {B} blocks and {K} kernels", ModelStatus.LAYOUT)
    blocks = []
    for i in range(B):
        d, mask, offset, shift, nb, phase, spare = _BLOCK.unpack_from(data, HEADER_BYTES + BLOCK_BYTES * i)
        if spare or not 1 <= d <= max_dilation(L) or mask == 0 or mask >> C or abs(offset) > MAX_OFFSET \
                or shift > MAX_SHIFT or nb == 0 or phase > 1:
            _refuse(f"block {i}: dilation {d} (1 .. {max_dilation(L)} for {L} samples), channel mask 0x{mask:x} "
                    f"({C} channels), offset {offset} (at most {MAX_OFFSET} in size), shift {shift} (at most "
                    f"{MAX_SHIFT}), {nb} biases (at least 1), phase {phase} (0 or 1), reserved {spare} (0)",
                    ModelStatus.PARAM)
        blocks.append(Block(d, mask, offset, shift, nb, phase))
    kernels = tuple(data[at:at + K])
    if any(k >= N_KERNELS for k in kernels) or any(b <= a for a, b in zip(kernels, kernels[1:])) \
            or any(data[at + K:at + _pad4(K)]):
        _refuse(f"kernels {list(kernels)}: increasing, below {N_KERNELS}, zero padding", ModelStatus.PARAM)
    F = K * sum(b.n_biases for b in blocks)
    if F > MAX_FEATURES:
        _refuse(f"{F} features, at most {MAX_FEATURES}", ModelStatus.LIMIT)
    if len(data) != section_bytes(K, B, F):
        _refuse(f"{len(data)} bytes: {section_bytes(K, B, F)} for {K} kernels, {B} blocks and {F} features",
                ModelStatus.LAYOUT)
    at += _pad4(K)
    biases = tuple(int(v) for v in np.frombuffer(data, dtype="<i2", count=F, offset=at))
    if any(abs(b) > BIAS_MAX for b in biases) or any(data[at + 2 * F:]):
        _refuse(f"a bias beyond +-{BIAS_MAX}, or padding that is not zero", ModelStatus.PARAM)
    return RocketParams(L, C, kernels, tuple(blocks), biases)


# ---- the kernel's arithmetic ------------------------------------------------------------------------

def signal(block: Block, windows: np.ndarray) -> np.ndarray:
    """y of a block: windows (n, L, C) -> int64 (n, L)."""
    channels = [c for c in range(windows.shape[-1]) if block.mask >> c & 1]
    s = windows[..., channels].astype(np.int64).sum(axis=-1)
    return np.clip((s - block.offset) >> block.shift, -Y_MAX, Y_MAX)


def convolutions(y: np.ndarray, dilation: int, kernels) -> np.ndarray:
    """conv of kernels (indices) over y (n, L), zero-padded: int64 (n, len(kernels), L)."""
    L, pad = y.shape[-1], 4 * dilation
    padded = np.pad(y, ((0, 0), (pad, pad)))
    taps = np.stack([padded[:, j * dilation:j * dilation + L] for j in range(KERNEL_LEN)], axis=1)  # (n, 9, L)
    s9 = taps.sum(axis=1)
    t = TRIPLES[np.asarray(kernels)]
    return 3 * (taps[:, t[:, 0]] + taps[:, t[:, 1]] + taps[:, t[:, 2]]) - s9[:, None, :]


def _padded(block: Block, kernels) -> np.ndarray:
    return (block.phase + np.asarray(kernels)) % 2 == 0


def transform(p: RocketParams, windows: np.ndarray) -> np.ndarray:
    """fx_features_rocket on int16 windows (..., window_len, n_channels) -> int64 (..., n_features)."""
    windows = np.asarray(windows)
    if windows.shape[-2:] != (p.window_len, p.n_channels):
        raise ValueError(f"windows of {windows.shape[-2:]} for a rocket stage of {(p.window_len, p.n_channels)}")
    lead = windows.shape[:-2]
    w = windows.reshape((-1, p.window_len, p.n_channels))
    L, K = p.window_len, len(p.kernels)
    biases = np.asarray(p.biases, dtype=np.int64)
    chunk = max(1, 4_000_000 // (K * L))  # bounded memory: (chunk, K, L) int64 outputs
    out = np.zeros((len(w), n_features(p)), dtype=np.int64)
    for first in range(0, len(w), chunk):
        part = w[first:first + chunk]
        at = 0
        for block in p.blocks:
            conv = convolutions(signal(block, part), block.dilation, p.kernels)
            pad = 4 * block.dilation
            inside = np.zeros(L, dtype=bool)
            inside[pad:L - pad] = True
            counted = _padded(block, p.kernels)[:, None] | inside[None, :]          # (K, L)
            nb = block.n_biases
            b = biases[at:at + K * nb].reshape(K, nb)
            above = (conv[:, :, None, :] > b[None, :, :, None]) & counted[None, :, None, :]
            out[first:first + chunk, at:at + K * nb] = above.sum(axis=-1).reshape(len(part), K * nb)
            at += K * nb
    return out.reshape(lead + (n_features(p),))


# ---- fitting ------------------------------------------------------------------------------------

def dilations(window_len: int, features_per_kernel: int, max_dilations: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """MiniRocket's dilations and features per dilation (its _fit_dilations): min(features per kernel,
    max_dilations) exponents spread evenly over 0 .. log2((L - 1) / 8), floored to integers; a dilation
    hit several times gets as many features, the remainder spread from the smallest dilation on."""
    n = max(1, min(features_per_kernel, max_dilations))
    multiplier = features_per_kernel / n
    top = np.log2((window_len - 1) / (KERNEL_LEN - 1))
    values, counts = np.unique(np.floor(np.logspace(0, top, n, base=2)).astype(np.int64), return_counts=True)
    per = (counts * multiplier).astype(np.int64)
    i = 0
    while per.sum() < features_per_kernel:
        per[i] += 1
        i = (i + 1) % len(per)
    return values, per


def _combination(rng: np.random.Generator, n_channels: int) -> int:
    """MiniRocket's random channel combination: 2^U(0, log2(min(C, 9) + 1)) channels, drawn without
    replacement, as a mask."""
    count = int(2 ** rng.uniform(0, np.log2(min(n_channels, 9) + 1)))
    return sum(1 << int(c) for c in rng.choice(n_channels, count, replace=False))


def _scale(windows: np.ndarray, mask: int) -> tuple[int, int]:
    """offset and shift of a combination: its training mean, and the smallest shift that brings the
    99th percentile of the training samples' distances from it to at most Y_MAX / 2. A percentile, not
    the largest distance: series with rare spikes (appliance currents, impacts) would otherwise spend
    the signal's few hundred levels on the spikes alone; values up to twice that distance, and so
    unseen data that is somewhat larger, stay unclamped, and the clamp keeps any other input exact."""
    channels = [c for c in range(windows.shape[-1]) if mask >> c & 1]
    s = windows[..., channels].astype(np.int64).sum(axis=-1)
    offset = int(np.clip(np.round(s.mean()), -MAX_OFFSET, MAX_OFFSET))
    spread = int(np.ceil(np.percentile(np.abs(s - offset), SCALE_PERCENTILE))) if s.size else 0
    shift = 0
    while (spread >> shift) > Y_MAX // 2 and shift < MAX_SHIFT:
        shift += 1
    return offset, shift


def fit(windows: np.ndarray, labels=None, *, n_features: int = 504, n_kernels: int = N_KERNELS,
        max_dilations: int = 32, seed: int = 0) -> RocketParams:
    """Parameters for int16 windows (n, L, C), as MiniRocket fits them: n_kernels of the 84 (all, or a
    seeded random subset), n_features // n_kernels features per kernel spread over its dilations; for
    one channel a block per dilation with that many biases, for several a block per feature of a
    dilation (at most 64 blocks in all: beyond, a block takes several biases), each with a random channel
    combination (blocks that agree merge); biases the floors of the
    quantiles (golden-ratio low-discrepancy sequence) of the padded convolution of one random training
    window per block and kernel. Unsupervised: labels are not used."""
    windows = np.asarray(windows)
    n, L, C = windows.shape
    if L < MIN_WINDOW_LEN:
        raise ModelFormatError(f"rocket features need windows of at least {MIN_WINDOW_LEN} samples, not {L} (use a "
                               "longer --window-len)", ModelStatus.SHAPE)
    if n == 0:
        raise ModelFormatError("rocket features are fitted on training windows: none given", ModelStatus.SHAPE)
    rng = np.random.default_rng(seed)
    K = max(1, min(int(n_kernels), N_KERNELS))
    kernels = tuple(range(N_KERNELS)) if K == N_KERNELS else tuple(sorted(int(k) for k in rng.choice(N_KERNELS, K,
                                                                                                    replace=False)))
    per_kernel = max(1, min(int(n_features), MAX_FEATURES) // K)
    values, counts = dilations(L, per_kernel, min(max_dilations, MAX_BLOCKS))
    per_dilation = MAX_BLOCKS // len(values)  # combinations of a dilation, within the firmware's blocks
    plan: dict[tuple[int, int], list] = {}  # (dilation, mask) -> [n_biases, phase], in the order made
    for index, (d, count) in enumerate(zip(values, counts)):
        n_masks = 1 if C == 1 else min(int(count), per_dilation)
        for m in range(n_masks):
            mask = 1 if C == 1 else _combination(rng, C)
            entry = plan.setdefault((int(d), mask), [0, index % 2])
            entry[0] += int(count) // n_masks + (m < int(count) % n_masks)
    blocks, biases = [], []
    quantile_index = 0
    for (d, mask), (nb, phase) in plan.items():
        offset, shift = _scale(windows, mask)
        block = Block(d, mask, offset, shift, nb, phase)
        blocks.append(block)
        for k, example in zip(kernels, rng.integers(0, n, size=K)):
            conv = convolutions(signal(block, windows[example:example + 1]), d, [k])[0, 0]
            q = (np.arange(quantile_index + 1, quantile_index + nb + 1) * GOLDEN) % 1
            biases += [int(np.floor(v)) for v in np.quantile(conv, q)]
            quantile_index += nb
    return _check(RocketParams(L, C, kernels, tuple(blocks), tuple(biases)), "rocket features")
