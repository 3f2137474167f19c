/* fx_features_m4.h: offsets, entry codes and routines of fx_features_m4.S, checked against the C. */
#ifndef FX_FEATURES_M4_H
#define FX_FEATURES_M4_H

#include "fx_compiler.h"

/* Included by fx_features_m4.S too (its C part is skipped there); empty without FX_DSP. */
#if FX_DSP

/* fx_pair_job, as fx_features_pair_m4 reads it. */
#define FX_PAIR_JOB_STEPS 0
#define FX_PAIR_JOB_F0 4
#define FX_PAIR_JOB_F1_OFFSET 8
#define FX_PAIR_JOB_N 12

/* fx_mono_job, as fx_features_pass1_mono_m4 reads and writes it. */
#define FX_MONO_JOB_ROWS 0
#define FX_MONO_JOB_F0 4
#define FX_MONO_JOB_HI 8
#define FX_MONO_JOB_LO 12
#define FX_MONO_JOB_M 16
#define FX_MONO_JOB_S 20

/*
 * A segment's step in pass 1 of fx_features_pair_m4: two bytes, its entry code and the iterations
 * of the loop of four pairs of samples after the first, counting the one entered partway (so that a
 * segment of FX_MAX_WINDOW_LEN samples, 256 iterations, fits the byte). The loop is entered where
 * the pairs left over by the fours begin; an odd sample goes first. The codes index both of the
 * routine's TBB tables, which the assembler checks entry by entry against these numbers.
 */
#define FX_STEP_BYTES 2
#define FX_STEP_ENTRY_BYTE 0
#define FX_STEP_ITERATIONS_BYTE 1
#define FX_STEP_LOOP 0       /* a multiple of four pairs: the loop from its start; */
                             /* 1, 2, 3 pairs left over: the loop at its 4th, 3rd, 2nd pair */
#define FX_STEP_NO_PAIRS 4   /* no pairs */
#define FX_STEP_ODD 5        /* added to the above: one sample first */
#define FX_STEP_END 10       /* the end of the window */
#define FX_STEP_CODES 11

#ifndef __ASSEMBLER__
#include <stddef.h>

#include "fx_kernels.h"

/* A step's two bytes as one little-endian half-word of the table (fx_stats_params.dsp_segments). */
#define FX_STEP(entry, iterations) \
    ((uint16_t)((entry) << (8 * FX_STEP_ENTRY_BYTE) | (iterations) << (8 * FX_STEP_ITERATIONS_BYTE)))

/* fx_features_pair_m4's job: a pair of channels. */
typedef struct {
    const uint16_t *steps; /* FX_STEP per segment, then FX_STEP(FX_STEP_END, 0) */
    int32_t *f0;           /* lane 0's features; lane 1's f1_offset bytes on */
    uint32_t f1_offset;
    uint32_t n;            /* samples in the window */
} fx_pair_job;

/* fx_features_pass1_mono_m4's arguments and results: one channel. */
typedef struct {
    const uint16_t *rows; /* samples per segment, the first one less */
    int32_t *f0;          /* the segment sums go to f0[k] */
    uint32_t hi, lo;      /* lane-wise maximum and minimum (both lanes are samples of the channel) */
    int32_t m;            /* sum max(x_t, x_{t-1}) */
    int32_t s;            /* the sum over the window */
} fx_mono_job;

/* A wrong offset or code fails the build here rather than the inference at run time. LDRD and STRD
   take two neighbouring fields at once: those pairs are checked by fx_features_m4.S itself. */
FX_ASSERT_FIELD(fx_pair_job, steps, FX_PAIR_JOB_STEPS, 4);
FX_ASSERT_FIELD(fx_pair_job, f0, FX_PAIR_JOB_F0, 4);
FX_ASSERT_FIELD(fx_pair_job, f1_offset, FX_PAIR_JOB_F1_OFFSET, 4);
FX_ASSERT_FIELD(fx_pair_job, n, FX_PAIR_JOB_N, 4);
FX_ASSERT_FIELD(fx_mono_job, rows, FX_MONO_JOB_ROWS, 4);
FX_ASSERT_FIELD(fx_mono_job, f0, FX_MONO_JOB_F0, 4);
FX_ASSERT_FIELD(fx_mono_job, hi, FX_MONO_JOB_HI, 4);
FX_ASSERT_FIELD(fx_mono_job, lo, FX_MONO_JOB_LO, 4);
FX_ASSERT_FIELD(fx_mono_job, m, FX_MONO_JOB_M, 4);
FX_ASSERT_FIELD(fx_mono_job, s, FX_MONO_JOB_S, 4);
_Static_assert(sizeof(uint16_t) == FX_STEP_BYTES && FX_STEP(1, 0) == 1u << (8 * FX_STEP_ENTRY_BYTE) &&
                   __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "a step is one little-endian half-word, its entry in byte FX_STEP_ENTRY_BYTE");
_Static_assert(FX_STEP_NO_PAIRS + FX_STEP_ODD < FX_STEP_END && FX_STEP_END < FX_STEP_CODES &&
                   FX_STEP_LOOP + 3 < FX_STEP_NO_PAIRS,
               "the codes of the steps must stay distinct");
_Static_assert((FX_MAX_WINDOW_LEN / 2u + 3u) / 4u - 1u <= 255u, "a segment's iterations fit in a byte");

/* fx_features_m4.S: a pair of channels (fx_features_m4.c explains the arithmetic). */
void fx_features_pair_m4(const uint8_t *p, uint32_t stride, const fx_pair_job *job);
/* fx_features_m4.S: pass 1 of one channel, from sample 1 on. */
void fx_features_pass1_mono_m4(const int16_t *x, uint32_t n_segments, fx_mono_job *job);
/* fx_features_m4.S: per lane, the sum of max(x_t, m) over rows samples, lane 0's in the low word. */
uint64_t fx_features_pass2_m4(const uint8_t *p, uint32_t stride, uint32_t rows, uint32_t m);

/* fx_features_m4.c: the DSP segment table of a stats stage, made once by fx_features_stats_init. */
void fx_features_stats_prepare_m4(fx_feature_stage *stage);
/* fx_features_m4.c: the DSP variant of the stats kernel. */
void fx_features_stats_m4(const fx_feature_stage *stage, const int16_t *window, int32_t *features, void *buffer);
#endif

#endif

#endif
