/* fx_spectral.h: the spectral kernel's tables, working memory and the steps its variants share. */
#ifndef FX_SPECTRAL_H
#define FX_SPECTRAL_H

#include "fx_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The tables (fx_spectral_tables.c, written by host/tools/spectral_tables.py from the formulas of
   the numpy twin) come in this format; the generated file checks it at build time. */
#define FX_SPECTRAL_TABLES_FORMAT 1
#define FX_SPECTRAL_TABLE_LEN 1024u /* T: one period of the tables, the longest FFT's N */

extern const int16_t fx_spectral_cos_q15[FX_SPECTRAL_TABLE_LEN / 4u + 1u];  /* j = 0 .. T/4 */
extern const int16_t fx_spectral_hann_q15[FX_SPECTRAL_TABLE_LEN / 2u + 1u]; /* j = 0 .. T/2 */
extern const uint8_t fx_spectral_log2_q8[256];

/* round(32767 cos(2 pi j / T)) for j within [0, T/2], from the quarter period. */
static inline int32_t fx_spectral_cos(uint32_t j)
{
    return j <= FX_SPECTRAL_TABLE_LEN / 4u ? fx_spectral_cos_q15[j] : -fx_spectral_cos_q15[FX_SPECTRAL_TABLE_LEN / 2u - j];
}

/* round(32767 sin(2 pi j / T)) for j within [0, T/2]. */
static inline int32_t fx_spectral_sin(uint32_t j)
{
    return j <= FX_SPECTRAL_TABLE_LEN / 4u ? fx_spectral_cos_q15[FX_SPECTRAL_TABLE_LEN / 4u - j]
                                           : fx_spectral_cos_q15[j - FX_SPECTRAL_TABLE_LEN / 4u];
}

/* The periodic Hann window in Q15 at j within [0, T): symmetric about T/2. */
static inline int32_t fx_spectral_hann(uint32_t j)
{
    return fx_spectral_hann_q15[j <= FX_SPECTRAL_TABLE_LEN / 2u ? j : FX_SPECTRAL_TABLE_LEN - j];
}

/* i with its low `bits` bits in reverse order: where the FFT reads point i. */
static inline uint32_t fx_spectral_bit_reverse(uint32_t i, uint32_t bits)
{
    uint32_t r = 0;
    for (uint32_t b = 0; b < bits; ++b) {
        r = (r << 1) | ((i >> b) & 1u);
    }
    return r;
}

/* A channel's statistics: its features mean and rms, and the block exponent of its FFT input. */
typedef struct {
    int32_t mean;     /* floor(sum / window_len) */
    int32_t rms;      /* floor(sqrt(floor(sum (x - mean)^2 / window_len))) */
    int32_t exponent; /* e = 13 - floor(log2 peak), 0 for peak 0, peak = max |x - mean|: within [-2, 13] */
} fx_spectral_channel;

/*
 * The working memory of a stage (fx_spectral_work_at on the caller's buffer): the power per bin
 * summed over the segments, uint64 [N/2 + 1]; the complex spectrum, N/2 words of two int16 lanes
 * (real part low); the channel's scaled deviations, int16 [window_len rounded up to even]; and for
 * the Cortex-M4 variant its tables for N.
 */
typedef struct {
    uint64_t *power;
    uint32_t *spectrum;
    int16_t *deviations;
    uint32_t *tables;
} fx_spectral_work;

#if FX_DSP
/* The Cortex-M4 variant's own part, made by it on every run (its buffer serves other stages between
   runs): the first pass's group records (M/4 records of 8 words: the byte offsets of four points
   and their Hann pairs), the FFT passes' twiddles (fewer than M words), the split's twiddles
   (M/2 + 1 words), then a second channel's deviations. */
#define FX_SPECTRAL_M4_TABLES_BYTES(fft_len, window_len) \
    (4u * ((fft_len) + (fft_len) / 2u + (fft_len) / 4u + 1u) + FX_PAD4(2u * (window_len)))
#else
#define FX_SPECTRAL_M4_TABLES_BYTES(fft_len, window_len) 0u
#endif

/* The working memory's bytes: up to 4 before the first 8-aligned one (the buffer is 4-aligned), then
   the parts above. */
#define FX_SPECTRAL_BUFFER_BYTES(fft_len, window_len)                                                 \
    (4u + 8u * ((fft_len) / 2u + 1u) + 4u * ((fft_len) / 2u) + FX_PAD4(2u * (window_len)) +           \
     FX_SPECTRAL_M4_TABLES_BYTES(fft_len, window_len))

uint32_t fx_spectral_buffer_size(const fx_feature_stage *stage);
fx_spectral_work fx_spectral_work_at(const fx_feature_stage *stage, void *buffer);

/* The statistics of a channel from its sum, sum of squares (exact, int64), minimum and maximum. */
void fx_spectral_channel_stats(int32_t sum, int64_t squares, int32_t lo, int32_t hi, uint16_t window_len,
                               fx_spectral_channel *channel);

#ifdef __cplusplus
}
#endif

#endif
