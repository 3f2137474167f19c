/* fx_features_spectral.c: the spectral kernel (set spectral): FEATURES section, set-up, plan, portable C. */
#include "fx_spectral.h"

#include <string.h>

#include "fx_bytes.h"
#include "fx_spectral_m4.h" /* the Cortex-M4 variant, where FX_DSP */

/* The FEATURES section: u16 fft_len, hop_len, n_bands, reserved (0), then u16 edges[n_bands + 1],
   zero-padded to a multiple of four bytes (docs/model-format.md). */
#define SECTION_HEADER_BYTES 8u

/* fx_spectral_channel_stats divides sums of squares below 2^43 in 20-bit steps (div_u64). */
_Static_assert(FX_MAX_WINDOW_LEN <= 2048u, "div_u64 takes divisors of at most 2^11");
/* Whatever a section says within the limits that init checks, the features and the working memory
   fit: the largest of each needs no check of its own. */
_Static_assert(FX_MAX_CHANNELS * (FX_SPECTRAL_MAX_BANDS + 2u) <= FX_MAX_FEATURES, "spectral features over FX_MAX_FEATURES");
_Static_assert(FX_SPECTRAL_BUFFER_BYTES(FX_SPECTRAL_MAX_FFT_LEN, FX_MAX_WINDOW_LEN) <= FX_FEATURE_WORK_BYTES,
               "the spectral kernel's working memory over FX_FEATURE_WORK_BYTES");

/* ---- working memory ------------------------------------------------------------------------------ */

/* Byte offsets of the parts after the buffer's first 8-aligned byte: power, spectrum, deviations, tables. */
static uint32_t spectrum_offset(const fx_spectral_params *p)
{
    return 8u * (p->fft_len / 2u + 1u);
}

static uint32_t deviations_offset(const fx_spectral_params *p)
{
    return spectrum_offset(p) + 4u * (p->fft_len / 2u);
}

static uint32_t tables_offset(const fx_feature_stage *stage)
{
    return deviations_offset(&stage->params.spectral) + FX_PAD4(2u * stage->window_len);
}

uint32_t fx_spectral_buffer_size(const fx_feature_stage *stage)
{
    return FX_SPECTRAL_BUFFER_BYTES(stage->params.spectral.fft_len, stage->window_len);
}

fx_spectral_work fx_spectral_work_at(const fx_feature_stage *stage, void *buffer)
{
    uint8_t *base = (uint8_t *)buffer + (-(uintptr_t)buffer & 7u);
    fx_spectral_work w;
    w.power = (uint64_t *)(void *)base;
    w.spectrum = (uint32_t *)(void *)(base + spectrum_offset(&stage->params.spectral));
    w.deviations = (int16_t *)(void *)(base + deviations_offset(&stage->params.spectral));
    w.tables = (uint32_t *)(void *)(base + tables_offset(stage));
    return w;
}

/* ---- the steps both variants share --------------------------------------------------------------- */

/* floor(v / d) for v < 2^51 and d within [1, 2^11], by 32-bit divisions of 20 bits at a time: each
   remainder is below 2^11, so remainder * 2^20 + 20 bits stays below 2^31 (no 64-bit division). */
static uint32_t div_u64(uint64_t v, uint32_t d)
{
    uint32_t q = 0, r = (uint32_t)(v >> 40);
    for (int shift = 40; shift >= 0; shift -= 20) {
        const uint32_t part = shift == 40 ? r : (r << 20) | ((uint32_t)(v >> shift) & 0xFFFFFu);
        q = (q << 20) | part / d;
        r = part % d;
    }
    return q;
}

/* floor(sqrt(v)) by Newton's steps from 2^ceil(bits / 2) > sqrt(v): they decrease to it. */
static int32_t isqrt32(uint32_t v)
{
    if (v == 0) {
        return 0;
    }
    uint32_t root = 1u << ((33u - fx_clz32(v)) / 2u);
    for (;;) {
        const uint32_t next = (root + v / root) / 2u;
        if (next >= root) {
            return (int32_t)root;
        }
        root = next;
    }
}

void fx_spectral_channel_stats(int32_t sum, int64_t squares, int32_t lo, int32_t hi, uint16_t window_len,
                               fx_spectral_channel *channel)
{
    const int32_t mean = fx_floor_div(sum, window_len);
    /* sum (x - m)^2 = sum x^2 - 2 m sum x + L m^2, each term below 2^43 in magnitude: exact in int64,
       and its mean is at most (2^16)^2 (the deviations are within 16 bits): a uint32 after division. */
    const uint64_t deviation_squares =
        (uint64_t)(squares - 2 * (int64_t)mean * sum + (int64_t)window_len * mean * mean);
    const int32_t peak = hi - mean > mean - lo ? hi - mean : mean - lo;
    channel->mean = mean;
    channel->rms = isqrt32(deviation_squares >> 32 ? div_u64(deviation_squares, window_len)
                                                   : (uint32_t)deviation_squares / window_len);
    channel->exponent = peak == 0 ? 0 : (int32_t)fx_clz32((uint32_t)peak) - 18; /* 13 - floor(log2 peak) */
}

/* ---- the portable C: the definition ------------------------------------------------------------- */

/* A channel's statistics and its deviations from the mean scaled by 2^e: |d| < 2^14. */
static void deviations(const int16_t *x, uint16_t window_len, uint16_t stride, fx_spectral_channel *channel,
                       int16_t *d)
{
    int32_t sum = 0, lo = x[0], hi = x[0];
    int64_t squares = 0;
    for (uint32_t t = 0; t < window_len; ++t) {
        const int32_t v = x[t * stride];
        sum += v;
        squares += v * v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    fx_spectral_channel_stats(sum, squares, lo, hi, window_len, channel);
    const int32_t e = channel->exponent;
    for (uint32_t t = 0; t < window_len; ++t) {
        const int32_t deviation = x[t * stride] - channel->mean;
        d[t] = (int16_t)(e >= 0 ? deviation * (1 << e) : deviation >> -e);
    }
}

/* The first sample of segment s: floor(s (window_len - N) / (S - 1)), 0 for one segment. */
static uint32_t segment_start(const fx_feature_stage *stage, uint32_t s)
{
    const fx_spectral_params *p = &stage->params.spectral;
    return p->n_segments == 1u ? 0u : s * (stage->window_len - p->fft_len) / (p->n_segments - 1u);
}

/* LOG2Q8(v) = 256 p + log2_q8[the 8 bits below the leading one], p = floor(log2 v); 0 for v = 0. The
   leading one is brought to bit 31 of top, so that those 8 bits are top's bits 30 .. 23 ((lo >> 1)
   >> (31 - zeros) is lo >> (32 - zeros), and 0 for no zeros, where a shift by 32 would be undefined). */
static int32_t log2_q8(uint64_t v)
{
    const uint32_t hi = (uint32_t)(v >> 32), lo = (uint32_t)v;
    uint32_t p, top;
    if (hi != 0) {
        const uint32_t zeros = fx_clz32(hi);
        p = 63u - zeros;
        top = hi << zeros | (lo >> 1) >> (31u - zeros);
    } else if (lo != 0) {
        const uint32_t zeros = fx_clz32(lo);
        p = 31u - zeros;
        top = lo << zeros;
    } else {
        return 0;
    }
    return (int32_t)(256u * p) + fx_spectral_log2_q8[(top >> 23) & 255u];
}

/* A channel's n_bands + 2 features from its power per bin. */
static void bands(const fx_spectral_params *params, const uint64_t *power, const fx_spectral_channel *channel,
                  int32_t *features)
{
    const uint16_t *edges = params->edges;
    for (uint32_t b = 0; b < params->n_bands; ++b) {
        const uint64_t *bin = power + edges[b];
        const uint64_t *end = power + edges[b + 1u];
        uint64_t band = 0; /* at most 513 bins x 255 segments x 2^31: below 2^49 */
        do {
            band += *bin++;
        } while (bin != end);
        /* the spectrum was computed on the input scaled by 2^e, its power by 2^(2e): 512 e in Q8 */
        features[b] = log2_q8(band) - 512 * channel->exponent;
    }
    features[params->n_bands] = channel->mean;
    features[params->n_bands + 1u] = channel->rms;
}

/* One segment's samples times the Hann window, y = (d HANN + 2^14) >> 15, as the complex points
   z[n] = y[2n] + i y[2n + 1], written in bit-reversed order for the FFT. */
static void window_segment(const fx_spectral_params *p, const int16_t *d, int16_t *z)
{
    const uint32_t step = FX_SPECTRAL_TABLE_LEN / p->fft_len;
    for (uint32_t i = 0; i < p->fft_len; ++i) {
        const uint32_t n = i / 2u;
        z[2u * fx_spectral_bit_reverse(n, p->log2_half_len) + (i & 1u)] =
            (int16_t)((d[i] * fx_spectral_hann(i * step) + (1 << 14)) >> 15);
    }
}

/* Radix-2 decimation in time over N/2 points, each butterfly halved: t = (b W) >> 15 per part,
   a' = (a + t) >> 1, b' = (a - t) >> 1. No part ever leaves int16 (docs/model-format.md), and
   |b W| < 2^31 whatever b (|b| <= 2^15 sqrt 2, |W| <= 2^15). */
static void fft(const fx_spectral_params *p, int16_t *z)
{
    const uint32_t half = p->fft_len / 2u;
    for (uint32_t h = 1; h < half; h *= 2u) {
        const uint32_t step = FX_SPECTRAL_TABLE_LEN / (2u * h);
        for (uint32_t k = 0; k < h; ++k) {
            const int32_t wr = fx_spectral_cos(k * step);
            const int32_t wi = -fx_spectral_sin(k * step);
            for (uint32_t a = k; a < half; a += 2u * h) {
                int16_t *za = z + 2u * a;
                int16_t *zb = z + 2u * (a + h);
                const int32_t tr = (zb[0] * wr - zb[1] * wi) >> 15;
                const int32_t ti = (zb[0] * wi + zb[1] * wr) >> 15;
                const int32_t ar = za[0], ai = za[1];
                za[0] = (int16_t)((ar + tr) >> 1);
                za[1] = (int16_t)((ai + ti) >> 1);
                zb[0] = (int16_t)((ar - tr) >> 1);
                zb[1] = (int16_t)((ai - ti) >> 1);
            }
        }
    }
}

/* The real spectrum X[k] = DFT / N, k = 0 .. N/2, from the complex one Z of the even and odd samples:
   A = Z[k mod M], B = conj Z[(M - k) mod M], E = (A + B) >> 1, O = (A - B) >> 1,
   X = (E + ((O V) >> 15)) >> 1 with V = -i W_N^k; its power Xr^2 + Xi^2 added to power[k]. */
static void split_power(const fx_spectral_params *p, const int16_t *z, uint64_t *power)
{
    const uint32_t half = p->fft_len / 2u;
    const uint32_t step = FX_SPECTRAL_TABLE_LEN / p->fft_len;
    for (uint32_t k = 0; k <= half; ++k) {
        const int16_t *a = z + 2u * (k % half);
        const int16_t *b = z + 2u * ((half - k) % half);
        const int32_t er = (a[0] + b[0]) >> 1, ei = (a[1] - b[1]) >> 1;
        const int32_t or_ = (a[0] - b[0]) >> 1, oi = (a[1] + b[1]) >> 1;
        const int32_t vr = -fx_spectral_sin(k * step);
        const int32_t vi = -fx_spectral_cos(k * step);
        const int32_t xr = (er + ((or_ * vr - oi * vi) >> 15)) >> 1;
        const int32_t xi = (ei + ((or_ * vi + oi * vr) >> 15)) >> 1;
        power[k] += (uint32_t)(xr * xr) + (uint32_t)(xi * xi);
    }
}

static void spectral(const fx_feature_stage *stage, const int16_t *window, int32_t *features, void *buffer)
{
    const fx_spectral_params *p = &stage->params.spectral;
    const fx_spectral_work w = fx_spectral_work_at(stage, buffer);
    int16_t *z = (int16_t *)(void *)w.spectrum;
    for (uint16_t c = 0; c < stage->n_channels; ++c) {
        fx_spectral_channel channel;
        deviations(window + c, stage->window_len, stage->n_channels, &channel, w.deviations);
        memset(w.power, 0, (p->fft_len / 2u + 1u) * sizeof w.power[0]);
        for (uint32_t s = 0; s < p->n_segments; ++s) {
            window_segment(p, w.deviations + segment_start(stage, s), z);
            fft(p, z);
            split_power(p, z, w.power);
        }
        bands(p, w.power, &channel, features + (size_t)c * (p->n_bands + 2u));
    }
}

/* ---- set-up -------------------------------------------------------------------------------------- */

/* The Cortex-M4 variant's pass 1 selects its extremes on SSUB16's GE flags. */
static fx_variant spectral_plan(const fx_feature_stage *stage)
{
    (void)stage;
    return fx_sel_variant();
}

static const fx_feature_kernel spectral_kernel = {
    fx_spectral_buffer_size,
    spectral_plan,
#if FX_DSP
    {spectral, fx_features_spectral_m4},
#else
    {spectral, NULL},
#endif
};

/* Band edges strictly increasing within [1, N/2 + 1]. */
static int edges_ok(const uint16_t *edges, uint32_t n_bands, uint32_t fft_len)
{
    if (edges[0] < 1u || edges[n_bands] > fft_len / 2u + 1u) {
        return 0;
    }
    for (uint32_t b = 0; b < n_bands; ++b) {
        if (edges[b + 1u] <= edges[b]) {
            return 0;
        }
    }
    return 1;
}

fx_status fx_features_spectral_init(fx_feature_stage *stage, const uint8_t *params, uint32_t params_bytes,
                                    uint16_t window_len, uint16_t n_channels)
{
    if (stage == NULL) {
        return FX_ERR_ARG;
    }
    if (window_len > FX_MAX_WINDOW_LEN || n_channels == 0 || n_channels > FX_MAX_CHANNELS) {
        return FX_ERR_LIMIT;
    }
    if (params == NULL || params_bytes < SECTION_HEADER_BYTES) {
        return FX_ERR_LAYOUT;
    }
    const uint32_t fft_len = fx_rd16(params);
    const uint32_t hop_len = fx_rd16(params + 2);
    const uint32_t n_bands = fx_rd16(params + 4);
    if (n_bands == 0) {
        return FX_ERR_PARAM;
    }
    if (n_bands > FX_SPECTRAL_MAX_BANDS) {
        return FX_ERR_LIMIT;
    }
    const uint32_t edges_bytes = 2u * (n_bands + 1u);
    if (params_bytes != SECTION_HEADER_BYTES + FX_PAD4(edges_bytes)) {
        return FX_ERR_LAYOUT;
    }
    const uint32_t padding = FX_PAD4(edges_bytes) - edges_bytes;
    if (fx_rd16(params + 6) != 0 || (padding != 0 && fx_rd16(params + SECTION_HEADER_BYTES + edges_bytes) != 0)) {
        return FX_ERR_PARAM;
    }
    if (fft_len < FX_SPECTRAL_MIN_FFT_LEN || (fft_len & (fft_len - 1u)) != 0) {
        return FX_ERR_PARAM;
    }
    if (fft_len > FX_SPECTRAL_MAX_FFT_LEN) {
        return FX_ERR_LIMIT;
    }
    if (fft_len > window_len) {
        return FX_ERR_SHAPE;
    }
    if (hop_len == 0 || hop_len > fft_len) {
        return FX_ERR_PARAM;
    }
    const uint32_t n_segments = window_len == fft_len ? 1u : (window_len - fft_len + hop_len - 1u) / hop_len + 1u;
    if (n_segments > FX_SPECTRAL_MAX_SEGMENTS) {
        return FX_ERR_LIMIT;
    }
    const uint16_t *edges = (const uint16_t *)(const void *)(params + SECTION_HEADER_BYTES);
    if (n_bands > fft_len / 2u || !edges_ok(edges, n_bands, fft_len)) {
        return FX_ERR_PARAM;
    }
    fx_feature_stage s;
    memset(&s, 0, sizeof s);
    s.kernel = &spectral_kernel;
    s.window_len = window_len;
    s.n_channels = n_channels;
    s.n_features = (uint16_t)(n_channels * (n_bands + 2u));
    s.params.spectral.edges = edges;
    s.params.spectral.fft_len = (uint16_t)fft_len;
    s.params.spectral.hop_len = (uint16_t)hop_len;
    s.params.spectral.log2_half_len = (uint8_t)(30u - fx_clz32(fft_len)); /* log2(N) - 1 */
    s.params.spectral.n_bands = (uint8_t)n_bands;
    s.params.spectral.n_segments = (uint8_t)n_segments;
    *stage = s;
    return FX_OK;
}
