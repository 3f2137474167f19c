"""Feature set 3, spectral: the numpy twin of fx_features_spectral.c, its fitting and its FEATURES section.

The twin is bit-exact with firmware/core/fx_features_spectral.c; fit chooses the FFT length, the hop
and log-spaced bands.

Per channel of an int16 window of L samples, with an FFT of N points (a power of two, 16 .. 1024,
at most L), hop H and B bands (every step below is integer; ">>" floors):

  mean  m = floor(sum x / L);  rms = isqrt(floor(sum (x - m)^2 / L))
  block exponent e = 0 if peak == 0 else 13 - floor(log2 peak), peak = max |x - m|  (e in -2 .. 13)
  d = (x - m) << e, or >> -e below 0: |d| < 2^14
  S = 1 if L == N else ceil((L - N) / H) + 1 segments starting at floor(s (L - N) / (S - 1))
  per segment: y = (d * HANN[n * T / N] + 2^14) >> 15 (periodic Hann, T = TABLE_LEN)
               z = y[2n] + i y[2n+1]: a radix-2 decimation-in-time FFT of M = N/2 points, input in
               bit-reversed order, every butterfly  t = (b W) >> 15 per component,
               a' = (a + t) >> 1, b' = (a - t) >> 1  (so no stage can overflow int16),
               W = COS[k T / 2h] - i SIN[k T / 2h] at the stage of half-size h
               the real split X[k], k = 0 .. M (the DFT / N), and P[k] = Xr^2 + Xi^2
  band b = sum of P over the segments and the bins edge[b] .. edge[b+1] - 1 (uint64)
  feature = LOG2Q8(band) - 512 e, then mean and rms: B + 2 int32 features per channel, channel-major.

docs/model-format.md ("spectral") documents the section; firmware/core/fx_spectral_tables.c is
written from the table formulas below by host/tools/spectral_tables.py.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from ...errors import ModelFormatError, ModelStatus
from ..limits import MAX_CHANNELS, MAX_WINDOW_LEN

FEATURE_SET = 3
NAME = "spectral"

TABLE_LEN = 1024           # one period of the sine tables: the largest FFT's N
MIN_FFT_LEN = 16
MIN_WINDOW_LEN = MIN_FFT_LEN  # one whole FFT segment
MAX_FFT_LEN = TABLE_LEN
MAX_BANDS = 64
MAX_SEGMENTS = 255
HEADER_BYTES = 8           # u16 fft_len, hop_len, n_bands, reserved; then u16 edges[n_bands + 1]
FEATURES_PER_BAND_SET = 2  # mean and rms follow the bands of each channel
_HEADER = struct.Struct("<HHHH")


# ---- tables: the C's are generated from these formulas (host/tools/spectral_tables.py) ----------

def cos_table() -> np.ndarray:
    """round(32767 cos(2 pi j / TABLE_LEN)) for a whole period, j = 0 .. TABLE_LEN - 1."""
    j = np.arange(TABLE_LEN)
    return np.round(32767 * np.cos(2 * np.pi * j / TABLE_LEN)).astype(np.int64)


def sin_table() -> np.ndarray:
    """round(32767 sin(2 pi j / TABLE_LEN)), j = 0 .. TABLE_LEN - 1."""
    j = np.arange(TABLE_LEN)
    return np.round(32767 * np.sin(2 * np.pi * j / TABLE_LEN)).astype(np.int64)


def hann_table() -> np.ndarray:
    """The periodic Hann window in Q15: round(32767 (1 - cos(2 pi j / TABLE_LEN)) / 2) for
    j = 0 .. TABLE_LEN / 2, and HANN[TABLE_LEN - j] = HANN[j] beyond. The mirror is the definition:
    at j = TABLE_LEN / 4 and 3 TABLE_LEN / 4 the exact value is the tie 16383.5, which the float
    formula would round to 16383 at one and 16384 at the other."""
    j = np.minimum(np.arange(TABLE_LEN), TABLE_LEN - np.arange(TABLE_LEN))
    return np.round(32767 * 0.5 * (1 - np.cos(2 * np.pi * j / TABLE_LEN))).astype(np.int64)


def log2_table() -> np.ndarray:
    """round(256 log2(1 + i / 256)), i = 0 .. 255: the fraction of LOG2Q8, within [0, 255]."""
    return np.round(256 * np.log2(1 + np.arange(256) / 256)).astype(np.int64)


COS, SIN, HANN, LOGT = cos_table(), sin_table(), hann_table(), log2_table()


# ---- parameters ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SpectralParams:
    """A spectral stage: the window's shape, the FFT length, the hop between segments and the band
    edges (bins edges[b] .. edges[b + 1] - 1 make band b)."""

    window_len: int
    n_channels: int
    fft_len: int
    hop_len: int
    edges: tuple

    @property
    def n_bands(self) -> int:
        return len(self.edges) - 1

    @property
    def n_segments(self) -> int:
        return segment_count(self.window_len, self.fft_len, self.hop_len)


def segment_count(window_len: int, fft_len: int, hop_len: int) -> int:
    """S = 1 when the window is one FFT long, else ceil((L - N) / H) + 1."""
    return 1 if window_len == fft_len else -(-(window_len - fft_len) // hop_len) + 1


def segment_starts(p: SpectralParams) -> np.ndarray:
    """Segment s starts at floor(s (L - N) / (S - 1)): the first at 0, the last at L - N."""
    S = p.n_segments
    if S == 1:
        return np.zeros(1, dtype=np.int64)
    return np.array([s * (p.window_len - p.fft_len) // (S - 1) for s in range(S)], dtype=np.int64)


def n_features(p: SpectralParams) -> int:
    return p.n_channels * (p.n_bands + FEATURES_PER_BAND_SET)


def working_memory(p: SpectralParams, dsp: bool) -> int:
    """Bytes of working memory the kernel asks for (FX_SPECTRAL_BUFFER_BYTES, fx_spectral.h): alignment,
    the power sums, the spectrum, the deviations, and the Cortex-M4 variant's tables and second lane."""
    def pad4(n: int) -> int:
        return (n + 3) // 4 * 4
    N, L = p.fft_len, p.window_len
    tables = 4 * (N + N // 2 + N // 4 + 1) + pad4(2 * L) if dsp else 0
    return 4 + 8 * (N // 2 + 1) + 2 * N + pad4(2 * L) + tables


def refusal(p: SpectralParams) -> tuple[ModelStatus, str] | None:
    """Why fx_features_spectral_init would refuse p, the first reason in the order it checks them,
    with its status; None when it takes p."""
    N, L, B = p.fft_len, p.window_len, p.n_bands
    if L > MAX_WINDOW_LEN or not 1 <= p.n_channels <= MAX_CHANNELS:
        return ModelStatus.LIMIT, f"windows of {L} x {p.n_channels}: at most {MAX_WINDOW_LEN} x {MAX_CHANNELS}"
    if not 1 <= B:
        return ModelStatus.PARAM, "no bands"
    if B > MAX_BANDS:
        return ModelStatus.LIMIT, f"{B} bands, at most {MAX_BANDS}"
    if N < MIN_FFT_LEN or N & (N - 1):
        return ModelStatus.PARAM, f"FFT length {N}: a power of two from {MIN_FFT_LEN} to {MAX_FFT_LEN}"
    if N > MAX_FFT_LEN:
        return ModelStatus.LIMIT, f"FFT length {N}: at most {MAX_FFT_LEN}"
    if N > L:
        return ModelStatus.SHAPE, f"FFT length {N} is longer than the window ({L} samples)"
    if not 1 <= p.hop_len <= N:
        return ModelStatus.PARAM, f"hop {p.hop_len}: from 1 to the FFT length {N}"
    if p.n_segments > MAX_SEGMENTS:
        return ModelStatus.LIMIT, (f"{p.n_segments} segments of {N} samples at a hop of {p.hop_len}: at most "
                                   f"{MAX_SEGMENTS} (a hop of at least {-(-(L - N) // (MAX_SEGMENTS - 1))})")
    edges = list(p.edges)
    if B > N // 2 or edges[0] < 1 or edges[-1] > N // 2 + 1 or any(b <= a for a, b in zip(edges, edges[1:])):
        return ModelStatus.PARAM, (f"{B} bands with edges {edges} for an FFT of {N}: strictly increasing "
                                   f"within [1, {N // 2 + 1}]")
    return None


def _check(p: SpectralParams, what: str) -> SpectralParams:
    found = refusal(p)
    if found:
        raise ModelFormatError(f"{what}: {found[1]}", found[0])
    return p


def log_band_edges(fft_len: int, n_bands: int) -> tuple:
    """Log-spaced edges over bins 1 .. N/2, every band at least one bin wide; n_bands is cut to N/2."""
    top = fft_len // 2 + 1
    n_bands = min(n_bands, top - 1)
    edges = [1]
    for b in range(n_bands):
        remaining = n_bands - b
        step = int(round(edges[-1] * (top / edges[-1]) ** (1.0 / remaining)))  # geometric to the top
        edges.append(min(max(step, edges[-1] + 1), top - (remaining - 1)))
    edges[-1] = top
    return tuple(edges)


def fit(windows: np.ndarray, labels=None, *, fft_len: int = 64, n_bands: int = 16, hop_len: int | None = None,
        ) -> SpectralParams:
    """Parameters for windows (n, window_len, n_channels): the FFT length cut to the window (a power
    of two), a hop of half of it (Welch's 50 % overlap) unless given, raised where the window would
    need more than MAX_SEGMENTS segments, and n_bands log-spaced bands. Unsupervised: labels are not
    used."""
    L, C = int(windows.shape[-2]), int(windows.shape[-1])
    if L < MIN_FFT_LEN:
        raise ModelFormatError(f"spectral features need windows of at least {MIN_FFT_LEN} samples, not {L}",
                               ModelStatus.SHAPE)
    N = min(fft_len, MAX_FFT_LEN, 1 << (L.bit_length() - 1))
    hop = N // 2 if hop_len is None else min(hop_len, N)
    if L > N:
        hop = max(hop, -(-(L - N) // (MAX_SEGMENTS - 1)))
    return _check(SpectralParams(L, C, N, hop, log_band_edges(N, n_bands)), "spectral features")


def encode(p: SpectralParams) -> bytes:
    """The FEATURES section: u16 fft_len, hop_len, n_bands, 0, then u16 edges[n_bands + 1], zero-padded
    to a multiple of 4 bytes."""
    _check(p, "spectral parameters the firmware would refuse")
    data = _HEADER.pack(p.fft_len, p.hop_len, p.n_bands, 0) + struct.pack(f"<{p.n_bands + 1}H", *p.edges)
    return data + b"\0" * (-len(data) % 4)


def section_bytes(n_bands: int) -> int:
    return HEADER_BYTES + (2 * (n_bands + 1) + 3) // 4 * 4


def decode(data: bytes, window_len: int, n_channels: int) -> SpectralParams:
    """The parameters in a FEATURES section, checked as fx_features_spectral_init checks them, in its
    order: a ModelFormatError with the status it returns."""
    what = "spectral FEATURES section"
    if window_len > MAX_WINDOW_LEN or not 1 <= n_channels <= MAX_CHANNELS:
        raise ModelFormatError(f"{what} for windows of {window_len} x {n_channels}: at most {MAX_WINDOW_LEN} x "
                               f"{MAX_CHANNELS}", ModelStatus.LIMIT)
    if len(data) < HEADER_BYTES:
        raise ModelFormatError(f"{what} of {len(data)} bytes: at least {HEADER_BYTES}", ModelStatus.LAYOUT)
    N, hop, B, reserved = _HEADER.unpack_from(data)
    if not 1 <= B <= MAX_BANDS:
        raise ModelFormatError(f"{what}: {B} bands, from 1 to {MAX_BANDS}",
                               ModelStatus.LIMIT if B else ModelStatus.PARAM)
    if len(data) != section_bytes(B):
        raise ModelFormatError(f"{what} of {len(data)} bytes: {section_bytes(B)} for {B} bands", ModelStatus.LAYOUT)
    if reserved or any(data[HEADER_BYTES + 2 * (B + 1):]):
        raise ModelFormatError(f"{what}: its reserved field and padding must be zero", ModelStatus.PARAM)
    edges = struct.unpack_from(f"<{B + 1}H", data, HEADER_BYTES)
    return _check(SpectralParams(window_len, n_channels, N, hop, tuple(edges)), what)


# ---- the kernel's arithmetic ------------------------------------------------------------------------

def log2q8(v) -> np.ndarray:
    """LOG2Q8(v) = 256 p + LOGT[the 8 bits below the leading one], p = floor(log2 v); 0 for v = 0."""
    v = np.asarray(v, dtype=np.uint64)
    p = np.zeros(v.shape, dtype=np.int64)
    for step in (32, 16, 8, 4, 2, 1):  # floor(log2 v), exactly: a binary search on the leading bit
        hit = (v >> (p + step).astype(np.uint64)) != 0
        p += step * hit
    frac = np.where(p >= 8, v >> np.clip(p - 8, 0, None).astype(np.uint64), v << np.clip(8 - p, 0, None).astype(np.uint64))
    out = 256 * p + LOGT[(frac & np.uint64(255)).astype(np.int64)]
    return np.where(v == 0, 0, out)


def isqrt(v) -> np.ndarray:
    """floor(sqrt(v)) of non-negative integers below 2^52, exactly."""
    v = np.asarray(v, dtype=np.int64)
    r = np.floor(np.sqrt(v.astype(np.float64))).astype(np.int64)
    r = np.where(r * r > v, r - 1, r)
    return np.where((r + 1) * (r + 1) <= v, r + 1, r)


def block_exponent(peak) -> np.ndarray:
    """13 - floor(log2 peak), 0 for peak 0: the shift that brings peak into [2^13, 2^14)."""
    peak = np.asarray(peak, dtype=np.int64)
    return np.where(peak == 0, 0, 13 - log2q8(peak) // 256)


def _bit_reversed(M: int) -> np.ndarray:
    bits = M.bit_length() - 1
    return np.array([int(format(i, f"0{bits}b")[::-1], 2) if bits else 0 for i in range(M)], dtype=np.int64)


def cfft(re: np.ndarray, im: np.ndarray):
    """Radix-2 decimation-in-time FFT of M complex points on the last axis, halving at every stage."""
    M = re.shape[-1]
    order = _bit_reversed(M)
    re, im = re[..., order], im[..., order]
    h = 1
    while h < M:
        shape = re.shape[:-1] + (M // (2 * h), 2, h)
        r, i = re.reshape(shape), im.reshape(shape)
        k = np.arange(h) * (TABLE_LEN // (2 * h))
        wr, wi = COS[k], -SIN[k]
        tr = (r[..., 1, :] * wr - i[..., 1, :] * wi) >> 15
        ti = (r[..., 1, :] * wi + i[..., 1, :] * wr) >> 15
        re = np.stack([(r[..., 0, :] + tr) >> 1, (r[..., 0, :] - tr) >> 1], axis=-2).reshape(re.shape)
        im = np.stack([(i[..., 0, :] + ti) >> 1, (i[..., 0, :] - ti) >> 1], axis=-2).reshape(im.shape)
        h *= 2
    return re, im


def rfft(y: np.ndarray):
    """Real frames (..., N) -> X[0 .. N/2] (real, imaginary parts) = the DFT / N, floor-rounded:
    the complex FFT of the even and odd samples, then the split
    E = (A + B) >> 1, O = (A - B) >> 1 with A = Z[k mod M], B = conj Z[(M - k) mod M],
    X = (E + (O V >> 15)) >> 1 with V = -i W_N^k = (-SIN[k T / N], -COS[k T / N])."""
    N = y.shape[-1]
    M = N // 2
    Zr, Zi = cfft(y[..., 0::2], y[..., 1::2])
    k = np.arange(M + 1)
    Ar, Ai = Zr[..., k % M], Zi[..., k % M]
    Br, Bi = Zr[..., (M - k) % M], -Zi[..., (M - k) % M]
    Er, Ei = (Ar + Br) >> 1, (Ai + Bi) >> 1
    Or, Oi = (Ar - Br) >> 1, (Ai - Bi) >> 1
    j = k * (TABLE_LEN // N) % TABLE_LEN
    vr, vi = -SIN[j], -COS[j]
    Tr = (Or * vr - Oi * vi) >> 15
    Ti = (Or * vi + Oi * vr) >> 15
    return (Er + Tr) >> 1, (Ei + Ti) >> 1


def _channel_stats(x: np.ndarray):
    """x int64 (..., C, L) -> mean, rms, block exponent and the scaled deviations d."""
    L = x.shape[-1]
    m = np.floor_divide(x.sum(axis=-1), L)
    dev = x - m[..., None]
    rms = isqrt((dev * dev).sum(axis=-1) // L)
    e = block_exponent(np.abs(dev).max(axis=-1))
    d = np.where(e[..., None] >= 0, dev << np.clip(e, 0, None)[..., None], dev >> np.clip(-e, 0, None)[..., None])
    return m, rms, e, d


def power_spectrum(p: SpectralParams, windows: np.ndarray):
    """windows (n, L, C) -> (P summed over the segments, uint64 (n, C, N/2 + 1), mean, rms, e (n, C))."""
    x = np.moveaxis(np.asarray(windows, dtype=np.int64), -1, -2)
    m, rms, e, d = _channel_stats(x)
    N = p.fft_len
    idx = segment_starts(p)[:, None] + np.arange(N)[None, :]
    y = (d[..., idx] * HANN[np.arange(N) * (TABLE_LEN // N)] + (1 << 14)) >> 15   # (n, C, S, N)
    Xr, Xi = rfft(y)
    return (Xr * Xr + Xi * Xi).sum(axis=-2).astype(np.uint64), m, rms, e


def transform(p: SpectralParams, windows: np.ndarray) -> np.ndarray:
    """fx_features_spectral on int16 windows (..., window_len, n_channels) -> int64 (..., n_features) of int32
    values."""
    windows = np.asarray(windows)
    if windows.shape[-2:] != (p.window_len, p.n_channels):
        raise ValueError(f"windows of {windows.shape[-2:]} for a spectral stage of {(p.window_len, p.n_channels)}")
    lead = windows.shape[:-2]
    w = windows.reshape((-1, p.window_len, p.n_channels))
    out = []
    for chunk in range(0, len(w), 256):  # bounded memory: (chunk, C, S, N) int64 frames
        P, m, rms, e = power_spectrum(p, w[chunk:chunk + 256])
        cum = np.concatenate([np.zeros(P.shape[:-1] + (1,), np.uint64), np.cumsum(P, axis=-1, dtype=np.uint64)], axis=-1)
        edges = np.asarray(p.edges)
        bands = cum[..., edges[1:]] - cum[..., edges[:-1]]
        f = np.concatenate([log2q8(bands) - 512 * e[..., None], m[..., None], rms[..., None]], axis=-1)
        out.append(f.reshape(len(f), -1))
    feats = np.concatenate(out) if out else np.zeros((0, n_features(p)), np.int64)
    return feats.astype(np.int64).reshape(lead + (n_features(p),))


# ---- what `fxclass train --features auto` asks of a set (features/__init__.py) --------------------

SEARCH_FFT_LENS = (32, 64, 128, 256)


def search_options(window_len: int, n_channels: int) -> list[dict]:
    """FFT lengths to compare by cross-validation: those that fit the window at least twice (finer
    bins for long windows, more averaged segments for short ones), 16 log-spaced bands each."""
    lens = [n for n in SEARCH_FFT_LENS if 2 * n <= window_len] or [min(SEARCH_FFT_LENS[0], window_len)]
    return [{"fft_len": n, "n_bands": 16} for n in lens]


def instructions(p: SpectralParams) -> float:
    """Cortex-M4 instructions of the feature stage, fitted to `make bench`'s two spectral models
    (bench/results.json, feature_sets.spectral: 100 x 6 with N 32 and 1460 x 1 with N 256, each stage
    within 3 %): pass 1 and the deviations 8.35 per value; an FFT segment 3.0 N log2 N + 109; the
    bands 5.0 per bin and 21.1 per band; the per-run tables and statistics 158.6 per channel and
    16.9 per FFT point."""
    L, C, N, B = p.window_len, p.n_channels, p.fft_len, p.n_bands
    fft = C * p.n_segments * (3.0 * N * np.log2(N) + 109.0)
    bands = C * (5.0 * (N // 2 + 1) + 21.1 * B)
    return 8.35 * L * C + fft + bands + 158.6 * C + 16.9 * N
