/* fx_spectral_m4.h: the spectral kernel's Cortex-M4 variant: job layouts the assembly shares, and its routines. */
#ifndef FX_SPECTRAL_M4_H
#define FX_SPECTRAL_M4_H

#include "fx_compiler.h"

#if FX_DSP

/* fx_spectral_job, as fx_spectral_segments_m4 reads it. */
#define FX_SPECTRAL_JOB_GROUPS 0
#define FX_SPECTRAL_JOB_GROUPS_END 4
#define FX_SPECTRAL_JOB_TWIDDLES 8
#define FX_SPECTRAL_JOB_SPLIT 12
#define FX_SPECTRAL_JOB_SPECTRUM 16
#define FX_SPECTRAL_JOB_POWER 20
#define FX_SPECTRAL_JOB_DEVIATIONS 24
#define FX_SPECTRAL_JOB_HALF_LEN 28
#define FX_SPECTRAL_JOB_SEGMENTS 32
#define FX_SPECTRAL_JOB_SPAN 36
#define FX_SPECTRAL_JOB_DIVISOR 40

/* fx_spectral_sums, as fx_spectral_pass1_m4 writes it. */
#define FX_SPECTRAL_SUMS_SQUARES 0
#define FX_SPECTRAL_SUMS_SUM 16
#define FX_SPECTRAL_SUMS_HI 24
#define FX_SPECTRAL_SUMS_LO 28

/* fx_spectral_scale, as fx_spectral_deviations_m4 reads it. */
#define FX_SPECTRAL_SCALE_MEANS 0
#define FX_SPECTRAL_SCALE_FACTORS 4
#define FX_SPECTRAL_SCALE_LANE0 8
#define FX_SPECTRAL_SCALE_LANE1 12

#ifndef __ASSEMBLER__
#include <stddef.h>

#include "fx_spectral.h"

/* The segments of one channel: every field as fx_spectral_prepare_m4 and the channel set it. */
typedef struct {
    const uint32_t *groups;     /* the first pass's records */
    const uint32_t *groups_end;
    const uint32_t *twiddles;   /* per radix-4 pass of half-size h, per k < h: W_2h^k, W_4h^k, W_4h^(k+h);
                                   then for a last radix-2 stage W_M^k, k < M/2 */
    const uint32_t *split;      /* V_k = -i W_N^k, k = 0 .. M/2 */
    uint32_t *spectrum;         /* M words */
    uint64_t *power;            /* M + 1 sums, zeroed by the routine */
    const int16_t *deviations;  /* the channel's 2 d, window_len int16 */
    uint32_t half_len;          /* M */
    uint32_t n_segments;
    uint32_t span;              /* window_len - N, or 0 for one segment */
    uint32_t divisor;           /* n_segments - 1, or 1 for one segment */
} fx_spectral_job;

/* Pass 1 over two int16 lanes: per lane the sum of squares, the sum, and lane-wise extremes. */
typedef struct {
    int64_t squares[2];
    int32_t sum[2];
    uint32_t hi, lo;
} fx_spectral_sums;

/* The deviation pass of two lanes whose exponents are both >= 0: 2 d = (x - mean) 2^(e + 1), which
   is d in the high half of the Hann product (fx_spectral_m4.c). */
typedef struct {
    uint32_t means;    /* the lanes' means, packed (each within int16) */
    uint32_t factors;  /* 2^(e + 1) per lane, packed: within [2, 2^14] */
    int16_t *lane0;    /* lane 0's values, in order; both lanes', as words, where lane1 is NULL */
    int16_t *lane1;    /* lane 1's values; NULL where the lanes are successive samples of one channel */
} fx_spectral_scale;

FX_ASSERT_FIELD(fx_spectral_job, groups, FX_SPECTRAL_JOB_GROUPS, 4);
FX_ASSERT_FIELD(fx_spectral_job, groups_end, FX_SPECTRAL_JOB_GROUPS_END, 4);
FX_ASSERT_FIELD(fx_spectral_job, twiddles, FX_SPECTRAL_JOB_TWIDDLES, 4);
FX_ASSERT_FIELD(fx_spectral_job, split, FX_SPECTRAL_JOB_SPLIT, 4);
FX_ASSERT_FIELD(fx_spectral_job, spectrum, FX_SPECTRAL_JOB_SPECTRUM, 4);
FX_ASSERT_FIELD(fx_spectral_job, power, FX_SPECTRAL_JOB_POWER, 4);
FX_ASSERT_FIELD(fx_spectral_job, deviations, FX_SPECTRAL_JOB_DEVIATIONS, 4);
FX_ASSERT_FIELD(fx_spectral_job, half_len, FX_SPECTRAL_JOB_HALF_LEN, 4);
FX_ASSERT_FIELD(fx_spectral_job, n_segments, FX_SPECTRAL_JOB_SEGMENTS, 4);
FX_ASSERT_FIELD(fx_spectral_job, span, FX_SPECTRAL_JOB_SPAN, 4);
FX_ASSERT_FIELD(fx_spectral_job, divisor, FX_SPECTRAL_JOB_DIVISOR, 4);
FX_ASSERT_FIELD(fx_spectral_sums, squares, FX_SPECTRAL_SUMS_SQUARES, 16);
FX_ASSERT_FIELD(fx_spectral_sums, sum, FX_SPECTRAL_SUMS_SUM, 8);
FX_ASSERT_FIELD(fx_spectral_sums, hi, FX_SPECTRAL_SUMS_HI, 4);
FX_ASSERT_FIELD(fx_spectral_sums, lo, FX_SPECTRAL_SUMS_LO, 4);
FX_ASSERT_FIELD(fx_spectral_scale, means, FX_SPECTRAL_SCALE_MEANS, 4);
FX_ASSERT_FIELD(fx_spectral_scale, factors, FX_SPECTRAL_SCALE_FACTORS, 4);
FX_ASSERT_FIELD(fx_spectral_scale, lane0, FX_SPECTRAL_SCALE_LANE0, 4);
FX_ASSERT_FIELD(fx_spectral_scale, lane1, FX_SPECTRAL_SCALE_LANE1, 4);

/* fx_spectral_m4.S: pass 1 over rows (>= 1) words, stride bytes apart from p. */
void fx_spectral_pass1_m4(const uint8_t *p, uint32_t stride, uint32_t rows, fx_spectral_sums *sums);
/* fx_spectral_m4.S: the deviation pass over rows (>= 1) words, stride bytes apart from p. */
void fx_spectral_deviations_m4(const uint8_t *p, uint32_t stride, uint32_t rows, const fx_spectral_scale *scale);
/* fx_spectral_m4.S: every segment of one channel, its power summed into job->power. */
void fx_spectral_segments_m4(const fx_spectral_job *job);
/* fx_spectral_m4.S: the band features, as the portable C's bands computes them, offset by -512 e. */
void fx_spectral_bands_m4(const uint64_t *power, const uint16_t *edges, uint32_t n_bands, int32_t *features,
                          int32_t offset);

/* fx_spectral_m4.c: the variant. */
void fx_features_spectral_m4(const fx_feature_stage *stage, const int16_t *window, int32_t *features, void *buffer);
#endif

#endif

#endif
