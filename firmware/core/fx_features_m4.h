/* fx_features_m4.h: Cortex-M4 DSP path of the statistical features, two channels per 32-bit word
   (SSUB16 + SEL for lane-wise maxima and minima), or for a single channel two successive samples,
   giving the same int32 features as the portable definition in fx_features.c; included there only
   with __ARM_FEATURE_DSP, after its floor_div. */
#ifndef FX_FEATURES_M4_H
#define FX_FEATURES_M4_H

/*
 * The window is time-major int16, so the word at &window[t * n_channels + c] holds channels c and
 * c + 1 of sample t (lane 0, lane 1). SSUB16 sets each lane's GE flags from the exact 17-bit
 * difference, so SEL picks the exact lane-wise maximum or minimum. Two identities remove every
 * absolute value (S: the channel's sum, m: the floored mean, n samples):
 *   total variation  = sum |x_t - x_{t-1}| = 2 sum_{t>=1} max(x_t, x_{t-1}) - 2 S + x_0 + x_{n-1}
 *   absolute deviation = sum |x_t - m|    = 2 sum_t max(x_t, m) - S - n m
 * Samples are taken two at a time (a, b): max(b, a) and min(b, a) come from one SSUB16, and the
 * running maximum and minimum are taken over those, which covers every sample once.
 */

/* Lane 0 and lane 1 of a word as int32. */
#define M4_LO(w) ((int32_t)(int16_t)(w))
#define M4_HI(w) ((int32_t)(w) >> 16)

/* fx_features_pair_m4's job; fx_features_m4.S uses these offsets. */
typedef struct {
    const uint16_t *steps; /* 0: m4_segment_steps */
    int32_t *f0;           /* 4: lane 0's features; lane 1's f1_offset bytes on */
    uint32_t f1_offset;    /* 8 */
    uint32_t n;            /* 12: samples in the window */
} fx_m4_pair;

/* The one-channel pass 1's arguments and results; fx_features_m4.S uses these offsets. */
typedef struct {
    const uint16_t *rows; /* 0: samples per segment */
    int32_t *f0;          /* 4: lane 0's segment sums go to f0[k], lane 1's f1_offset bytes on */
    uint32_t f1_offset;   /* 8 */
    uint32_t hi, lo;      /* 12, 16: lane-wise maximum and minimum */
    uint32_t prev;        /* 20: the last sample */
    int32_t m0, m1;       /* 24, 28: sum max(x_t, x_{t-1}) per lane */
    int32_t s0, s1;       /* 32, 36: the lane sums over the window */
} fx_m4_pass1;

void fx_features_pair_m4(const uint8_t *p, uint32_t stride, const fx_m4_pair *job);
void fx_features_pass1_mono_m4(const int16_t *x, uint32_t n_segments, fx_m4_pass1 *st);
uint64_t fx_features_pass2_m4(const uint8_t *p, uint32_t stride, uint32_t rows, uint32_t m);

/* Samples per segment: segment k spans [k * len / S, (k + 1) * len / S). */
static void m4_segment_rows(uint16_t window_len, uint8_t n_segments, uint16_t *rows)
{
    uint32_t begin = 0;
    for (uint32_t k = 0; k < n_segments; ++k) {
        const uint32_t end = (k + 1u) * window_len / n_segments;
        rows[k] = (uint16_t)(end - begin);
        begin = end;
    }
}

/* Pass 1's two bytes for a segment of rows samples (entries as fx_features_m4.S lists them), as one
   little-endian halfword: the entry into its loop of four pairs of samples, by the pairs left over
   by the fours and an odd sample, and the iterations, counting the one entered partway. */
static uint16_t m4_segment_step(uint32_t rows)
{
    const uint32_t pairs = rows / 2u;
    const uint32_t entry = (pairs == 0 ? 4u : pairs & 3u) + 5u * (rows & 1u);
    return (uint16_t)(entry | (pairs + 3u) / 4u << 8);
}

/* Segment k has q = len / S samples, or q + 1 where floor((k + 1) * len / S) steps past
   floor(k * len / S) by one more: where (k * (len % S)) mod S + len % S reaches S, i.e. where
   the credit below runs out. */
static void m4_segment_steps(uint16_t window_len, uint8_t n_segments, uint16_t *steps)
{
    const uint32_t rows = window_len / n_segments;
    const uint32_t rest = window_len % n_segments;
    const uint16_t shorter = m4_segment_step(rows);
    const uint16_t longer = m4_segment_step(rows + 1u);
    /* The credit is n_segments less (k * (len % S)) mod S; an IT block picks the step. */
    int32_t credit = n_segments;
    uint16_t *step = steps;
    uint32_t k = n_segments;
    __asm("1:\n\t"
          "subs   %[credit], %[credit], %[rest]\n\t"
          "itet   le\n\t"
          "strhle %[longer], [%[step]], #2\n\t"
          "strhgt %[shorter], [%[step]], #2\n\t"
          "addle  %[credit], %[credit], %[segments]\n\t"
          "subs   %[k], %[k], #1\n\t"
          "bne    1b"
          : [credit] "+&r"(credit), [step] "+&r"(step), [k] "+&r"(k), "=m"(*(uint16_t(*)[FX_MAX_SEGMENTS])steps)
          : [rest] "r"(rest), [longer] "r"(longer), [shorter] "r"(shorter), [segments] "r"((uint32_t)n_segments)
          : "cc");
    *step = 10; /* the end */
}

/* fx_features_stats for one channel, two successive samples per word. */
static void fx_features_mono_m4(const int16_t *x, uint16_t window_len, uint8_t n_segments, int32_t *features)
{
    uint16_t rows[FX_MAX_SEGMENTS];
    m4_segment_rows(window_len, n_segments, rows);
    --rows[0]; /* sample 0 is counted here */
    fx_m4_pass1 st;
    st.rows = rows;
    st.f0 = features;
    st.hi = st.lo = (uint16_t)x[0] * 0x00010001u;
    st.m0 = st.s0 = x[0];
    fx_features_pass1_mono_m4(x, n_segments, &st);
    const int32_t mean = floor_div(st.s0, window_len);
    /* The deviation pass of the pairs, on words of two successive samples, and a last odd one. */
    const uint64_t lanes = fx_features_pass2_m4((const uint8_t *)x, 4u, window_len / 2u, (uint16_t)mean * 0x00010001u);
    int32_t dev = (int32_t)(uint32_t)lanes + (int32_t)(uint32_t)(lanes >> 32);
    if (window_len & 1u) {
        dev += x[window_len - 1u] > mean ? x[window_len - 1u] : mean;
    }
    int32_t *f = features + n_segments;
    f[0] = M4_LO(st.lo) < M4_HI(st.lo) ? M4_LO(st.lo) : M4_HI(st.lo);
    f[1] = M4_LO(st.hi) > M4_HI(st.hi) ? M4_LO(st.hi) : M4_HI(st.hi);
    f[2] = 2 * (st.m0 - st.s0) - x[0] + x[window_len - 1u];
    f[3] = 2 * dev - st.s0 - (int32_t)window_len * mean;
}

/*
 * fx_features_stats for two lanes at a time: channels (c, c + 1), and for an odd channel count
 * the last channel as lane 1 of (n - 2, n - 1). Arguments as fx_features_stats, checked by it;
 * n_channels >= 2.
 */
static void fx_features_stats_m4(const int16_t *window, uint16_t window_len, uint16_t n_channels, uint8_t n_segments,
                                 int32_t *features)
{
    const uint32_t stride = 2u * n_channels;
    const uint32_t per_channel = n_segments + 4u;
    uint16_t steps[FX_MAX_SEGMENTS + 1u];
    m4_segment_steps(window_len, n_segments, steps);
    fx_m4_pair job = {steps, NULL, per_channel * sizeof features[0], window_len};
    for (uint16_t c = 0; c < n_channels; c = (uint16_t)(c + 2u)) {
        /* With an odd count the last pair is (n - 2, n - 1): lane 0 repeats channel n - 2 on the
           same samples, so writing its features again writes the same values. */
        const uint16_t first = c + 1u < n_channels ? c : (uint16_t)(n_channels - 2u);
        job.f0 = features + (size_t)first * per_channel;
        fx_features_pair_m4((const uint8_t *)(window + first), stride, &job);
    }
}

#endif
