/* fx_rocket.h: the rocket kernel's blocks, tables, working memory and the steps its variants share. */
#ifndef FX_ROCKET_H
#define FX_ROCKET_H

#include "fx_bytes.h"
#include "fx_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FX_ROCKET_TAPS 9u
#define FX_ROCKET_BLOCK_BYTES 12u

/* MiniRocket's kernels in its order, the 3-subsets {a < b < c} of the taps 0..8 weighted 2 in
   lexicographic order, each as a | b << 4 | c << 8 (fx_features_rocket.c). */
extern const uint16_t fx_rocket_triples[FX_ROCKET_KERNELS];

/* A block record of the FEATURES section, read from the blob (docs/model-format.md). */
typedef struct {
    int32_t offset;    /* subtracted from the channels' sum, |offset| <= 12 x 32768 */
    uint16_t dilation; /* [1, (window_len - 1) / 8] */
    uint16_t mask;     /* the channels summed: bit c for channel c */
    uint8_t shift;     /* [0, FX_ROCKET_MAX_SHIFT] */
    uint8_t n_biases;  /* per kernel, >= 1 */
    uint8_t phase;     /* kernel k is padded where (phase + k) is even */
} fx_rocket_block;

static inline fx_rocket_block fx_rocket_block_at(const fx_rocket_params *p, uint32_t i)
{
    const uint8_t *r = p->blocks + FX_ROCKET_BLOCK_BYTES * i;
    fx_rocket_block b;
    b.dilation = fx_rd16(r);
    b.mask = fx_rd16(r + 2);
    b.offset = (int32_t)fx_rd32(r + 4);
    b.shift = r[8];
    b.n_biases = r[9];
    b.phase = r[10];
    return b;
}

/* The samples a kernel counts: [4d, window_len - 4d) unpadded, the whole window padded. */
static inline uint32_t fx_rocket_first(const fx_rocket_block *b, uint32_t kernel)
{
    return ((b->phase + kernel) & 1u) == 0 ? 0u : 4u * b->dilation;
}

/* The zero padding on each side of the signal: 4 times the largest dilation, even. */
static inline uint32_t fx_rocket_pad(const fx_feature_stage *stage)
{
    return 4u * stage->params.rocket.max_dilation;
}

/*
 * The block's signal times scale (1 or 3) into y[pad + t], t < window_len, and where odd is not NULL
 * also into odd[pad + t - 1] (odd[i] = y[i + 1]: the samples from an odd index on, word-aligned):
 * y = clamp((sum of the block's channels - offset) >> shift, -FX_ROCKET_Y_MAX, FX_ROCKET_Y_MAX).
 */
void fx_rocket_signal(const fx_feature_stage *stage, const fx_rocket_block *b, const int16_t *window, int32_t scale,
                      int16_t *y, int16_t *odd);

/*
 * Working memory: for the portable C the padded signal y, int16 [window_len + 2 pad], and S9, int16
 * [window_len]; for the Cortex-M4 variant 3 y padded twice (y and odd above), S9 and the pair sums Q,
 * each with a spare word, then a byte per kernel (its place among the model's kernels).
 */
#define FX_ROCKET_PADDED(window_len, pad) ((window_len) + 2u * (pad))
#if FX_DSP
#define FX_ROCKET_BUFFER_BYTES(window_len, pad)                                                        \
    (2u * FX_PAD4(2u * (FX_ROCKET_PADDED(window_len, pad) + 2u)) + 2u * FX_PAD4(2u * ((window_len) + 2u)) + \
     FX_ROCKET_KERNELS)
#else
#define FX_ROCKET_BUFFER_BYTES(window_len, pad) (FX_PAD4(2u * FX_ROCKET_PADDED(window_len, pad)) + FX_PAD4(2u * (window_len)))
#endif

#ifdef __cplusplus
}
#endif

#endif
