/* fx_features_rocket.c: the rocket kernel (set rocket, MiniRocket in integers): FEATURES section, set-up, plan, portable C. */
#include "fx_rocket.h"

#include <string.h>

#include "fx_rocket_m4.h" /* the Cortex-M4 variant, where FX_DSP */

/* The FEATURES section: u16 n_kernels, u16 n_blocks, u32 reserved (0), the block records, the kernels
   (u8, zero-padded to 4), the biases (int16, zero-padded to 4): docs/model-format.md. */
#define SECTION_HEADER_BYTES 8u
#define MAX_OFFSET ((int32_t)FX_MAX_CHANNELS * 32768)

/* The largest padded signal is 2048 + 2 x 4 x 255 samples: whatever a section says within the limits
   that init checks, the working memory fits. */
_Static_assert(FX_ROCKET_BUFFER_BYTES(FX_MAX_WINDOW_LEN, 4u * ((FX_MAX_WINDOW_LEN - 1u) / 8u)) <= FX_FEATURE_WORK_BYTES,
               "the rocket kernel's working memory over FX_FEATURE_WORK_BYTES");
/* 12 channels of int16 minus the largest offset stay within int32, and within 2^20 of it. */
_Static_assert(FX_MAX_CHANNELS <= 16u && FX_ROCKET_MAX_SHIFT <= 20u, "the channel sums' range");
/* |bias - conv| <= 24 FX_ROCKET_Y_MAX < 2^15: the Cortex-M4 variant's int16 lanes cannot wrap. */
_Static_assert(24 * FX_ROCKET_Y_MAX <= 32767 && FX_ROCKET_BIAS_MAX == 12 * FX_ROCKET_Y_MAX, "rocket's int16 range");

const uint16_t fx_rocket_triples[FX_ROCKET_KERNELS] = {
    0x210, 0x310, 0x410, 0x510, 0x610, 0x710, 0x810, 0x320, 0x420, 0x520, 0x620, 0x720,
    0x820, 0x430, 0x530, 0x630, 0x730, 0x830, 0x540, 0x640, 0x740, 0x840, 0x650, 0x750,
    0x850, 0x760, 0x860, 0x870, 0x321, 0x421, 0x521, 0x621, 0x721, 0x821, 0x431, 0x531,
    0x631, 0x731, 0x831, 0x541, 0x641, 0x741, 0x841, 0x651, 0x751, 0x851, 0x761, 0x861,
    0x871, 0x432, 0x532, 0x632, 0x732, 0x832, 0x542, 0x642, 0x742, 0x842, 0x652, 0x752,
    0x852, 0x762, 0x862, 0x872, 0x543, 0x643, 0x743, 0x843, 0x653, 0x753, 0x853, 0x763,
    0x863, 0x873, 0x654, 0x754, 0x854, 0x764, 0x864, 0x874, 0x765, 0x865, 0x875, 0x876,
};

/* ---- the steps both variants share --------------------------------------------------------------- */

/* v clamped to +-FX_ROCKET_Y_MAX, times scale, stored at y[i] and (odd not NULL) odd[i - 1]. */
static inline void put(int32_t v, int32_t scale, int16_t *y, int16_t *odd, uint32_t i)
{
    v = (v < -FX_ROCKET_Y_MAX ? -FX_ROCKET_Y_MAX : v > FX_ROCKET_Y_MAX ? FX_ROCKET_Y_MAX : v) * scale;
    y[i] = (int16_t)v;
    if (odd != NULL) {
        odd[i - 1u] = (int16_t)v;
    }
}

void fx_rocket_signal(const fx_feature_stage *stage, const fx_rocket_block *b, const int16_t *window, int32_t scale,
                      int16_t *y, int16_t *odd)
{
    const uint32_t pad = fx_rocket_pad(stage), L = stage->window_len, stride = stage->n_channels;
    const int32_t offset = b->offset;
    const uint32_t shift = b->shift;
    /* The sums are within 2^20 of 0 (12 x 2^15 plus an offset of at most 12 x 2^15) and the shift
       floors them, as numpy's >> does. */
    if ((b->mask & (b->mask - 1u)) == 0) {
        const int16_t *x = window + (31u - fx_clz32(b->mask));
        for (uint32_t t = 0; t < L; ++t, x += stride) {
            put((*x - offset) >> shift, scale, y, odd, pad + t);
        }
        return;
    }
    uint8_t channels[FX_MAX_CHANNELS];
    uint32_t n = 0;
    for (uint32_t c = 0; c < stride; ++c) {
        if (b->mask >> c & 1u) {
            channels[n++] = (uint8_t)c;
        }
    }
    const int16_t *x = window;
    for (uint32_t t = 0; t < L; ++t, x += stride) {
        int32_t sum = 0;
        for (uint32_t k = 0; k < n; ++k) {
            sum += x[channels[k]];
        }
        put((sum - offset) >> shift, scale, y, odd, pad + t);
    }
}

/* ---- working memory ------------------------------------------------------------------------------ */

static uint32_t rocket_buffer_size(const fx_feature_stage *stage)
{
    return FX_ROCKET_BUFFER_BYTES(stage->window_len, fx_rocket_pad(stage));
}

/* ---- the portable C: the definition ------------------------------------------------------------- */

/* One block's features: the kernels' counts of conv > bias over their samples, conv = 3 (y_a + y_b +
   y_c) - S9 in int32 (the Cortex-M4 variant's int16 lanes give the same: the ranges above). */
static void block_features(const fx_feature_stage *stage, const fx_rocket_block *b, const int16_t *y,
                           const int16_t *s9, const int16_t *biases, int32_t *features)
{
    const fx_rocket_params *p = &stage->params.rocket;
    const uint32_t L = stage->window_len;
    const int32_t d = b->dilation;
    for (uint32_t k = 0; k < p->n_kernels; ++k) {
        const uint32_t kernel = p->kernels[k];
        const uint32_t triple = fx_rocket_triples[kernel];
        const int16_t *ya = y + ((int32_t)(triple & 15u) - 4) * d;
        const int16_t *yb = y + ((int32_t)(triple >> 4 & 15u) - 4) * d;
        const int16_t *yc = y + ((int32_t)(triple >> 8) - 4) * d;
        const uint32_t first = fx_rocket_first(b, kernel);
        for (uint32_t i = 0; i < b->n_biases; ++i) {
            const int32_t bias = *biases++;
            int32_t count = 0;
            for (uint32_t t = first; t < L - first; ++t) {
                const int32_t conv = 3 * (ya[t] + yb[t] + yc[t]) - s9[t];
                count += conv > bias;
            }
            *features++ = count;
        }
    }
}

static void rocket(const fx_feature_stage *stage, const int16_t *window, int32_t *features, void *buffer)
{
    const fx_rocket_params *p = &stage->params.rocket;
    const uint32_t L = stage->window_len, pad = fx_rocket_pad(stage);
    int16_t *y = (int16_t *)buffer;
    int16_t *s9 = y + FX_PAD4(2u * FX_ROCKET_PADDED(L, pad)) / 2u;
    memset(y, 0, 2u * FX_ROCKET_PADDED(L, pad));
    const int16_t *biases = p->biases;
    for (uint32_t i = 0; i < p->n_blocks; ++i) {
        const fx_rocket_block b = fx_rocket_block_at(p, i);
        fx_rocket_signal(stage, &b, window, 1, y, NULL);
        const int16_t *centre = y + pad;
        for (uint32_t t = 0; t < L; ++t) {
            int32_t sum = 0;
            for (int32_t j = -4; j <= 4; ++j) {
                sum += centre[(int32_t)t + j * b.dilation];
            }
            s9[t] = (int16_t)sum; /* |S9| <= 9 FX_ROCKET_Y_MAX */
        }
        block_features(stage, &b, centre, s9, biases, features);
        const uint32_t n = (uint32_t)p->n_kernels * b.n_biases;
        biases += n;
        features += n;
    }
}

/* ---- set-up -------------------------------------------------------------------------------------- */

/* The Cortex-M4 variant adds and subtracts int16 lanes (SADD16, SSUB16) and reads no GE flag, so it
   gives its results on every core that runs the DSP instructions, Renode 1.15.3's among them. */
static fx_variant rocket_plan(const fx_feature_stage *stage)
{
    (void)stage;
    return FX_DSP ? FX_VARIANT_DSP : FX_VARIANT_PORTABLE;
}

static const fx_feature_kernel rocket_kernel = {
    rocket_buffer_size,
    rocket_plan,
#if FX_DSP
    {rocket, fx_features_rocket_m4},
#else
    {rocket, NULL},
#endif
};

/* Every block's fields within their ranges; the features they make through *n_features. */
static fx_status blocks_ok(const uint8_t *records, uint32_t n_blocks, uint32_t n_kernels, uint16_t window_len,
                           uint16_t n_channels, uint32_t *n_features, uint16_t *max_dilation)
{
    fx_rocket_params p;
    p.blocks = records;
    uint32_t biases = 0;
    *max_dilation = 0;
    for (uint32_t i = 0; i < n_blocks; ++i) {
        const fx_rocket_block b = fx_rocket_block_at(&p, i);
        if (records[FX_ROCKET_BLOCK_BYTES * i + 11u] != 0 || b.dilation == 0 ||
            b.dilation > (window_len - 1u) / (FX_ROCKET_TAPS - 1u) || b.mask == 0 || (b.mask >> n_channels) != 0 ||
            b.offset > MAX_OFFSET || b.offset < -MAX_OFFSET || b.shift > FX_ROCKET_MAX_SHIFT || b.n_biases == 0 ||
            b.phase > 1u) {
            return FX_ERR_PARAM;
        }
        biases += b.n_biases;
        *max_dilation = b.dilation > *max_dilation ? b.dilation : *max_dilation;
    }
    *n_features = biases * n_kernels;
    return FX_OK;
}

/* Kernels increasing below FX_ROCKET_KERNELS, their padding zero. */
static int kernels_ok(const uint8_t *kernels, uint32_t n_kernels)
{
    for (uint32_t k = 0; k < FX_PAD4(n_kernels); ++k) {
        if (k < n_kernels ? kernels[k] >= FX_ROCKET_KERNELS || (k > 0 && kernels[k] <= kernels[k - 1u])
                          : kernels[k] != 0) {
            return 0;
        }
    }
    return 1;
}

fx_status fx_features_rocket_init(fx_feature_stage *stage, const uint8_t *params, uint32_t params_bytes,
                                  uint16_t window_len, uint16_t n_channels)
{
    if (stage == NULL) {
        return FX_ERR_ARG;
    }
    if (window_len > FX_MAX_WINDOW_LEN || n_channels == 0 || n_channels > FX_MAX_CHANNELS) {
        return FX_ERR_LIMIT;
    }
    if (window_len < FX_ROCKET_TAPS) {
        return FX_ERR_SHAPE;
    }
    if (params == NULL || params_bytes < SECTION_HEADER_BYTES) {
        return FX_ERR_LAYOUT;
    }
    const uint32_t n_kernels = fx_rd16(params);
    const uint32_t n_blocks = fx_rd16(params + 2);
    if (n_kernels == 0 || n_blocks == 0 || fx_rd32(params + 4) != 0) {
        return FX_ERR_PARAM;
    }
    if (n_kernels > FX_ROCKET_KERNELS || n_blocks > FX_ROCKET_MAX_BLOCKS) {
        return FX_ERR_LIMIT;
    }
    const uint32_t kernels_at = SECTION_HEADER_BYTES + FX_ROCKET_BLOCK_BYTES * n_blocks;
    if (params_bytes < kernels_at + FX_PAD4(n_kernels)) {
        return FX_ERR_LAYOUT;
    }
    uint32_t n_features;
    uint16_t max_dilation;
    fx_status status = blocks_ok(params + SECTION_HEADER_BYTES, n_blocks, n_kernels, window_len, n_channels,
                                 &n_features, &max_dilation);
    if (status != FX_OK) {
        return status;
    }
    if (!kernels_ok(params + kernels_at, n_kernels)) {
        return FX_ERR_PARAM;
    }
    if (n_features > FX_MAX_FEATURES) {
        return FX_ERR_LIMIT;
    }
    const uint32_t biases_at = kernels_at + FX_PAD4(n_kernels);
    if (params_bytes != biases_at + FX_PAD4(2u * n_features)) {
        return FX_ERR_LAYOUT;
    }
    const int16_t *biases = (const int16_t *)(const void *)(params + biases_at);
    for (uint32_t i = 0; i < n_features; ++i) {
        if (biases[i] > FX_ROCKET_BIAS_MAX || biases[i] < -FX_ROCKET_BIAS_MAX) {
            return FX_ERR_PARAM;
        }
    }
    if ((n_features & 1u) != 0 && biases[n_features] != 0) {
        return FX_ERR_PARAM;
    }
    fx_feature_stage s;
    memset(&s, 0, sizeof s);
    s.kernel = &rocket_kernel;
    s.window_len = window_len;
    s.n_channels = n_channels;
    s.n_features = (uint16_t)n_features;
    s.params.rocket.blocks = params + SECTION_HEADER_BYTES;
    s.params.rocket.kernels = params + kernels_at;
    s.params.rocket.biases = biases;
    s.params.rocket.max_dilation = max_dilation;
    s.params.rocket.n_kernels = (uint8_t)n_kernels;
    s.params.rocket.n_blocks = (uint8_t)n_blocks;
    *stage = s;
    return FX_OK;
}
