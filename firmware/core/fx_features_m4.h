/* fx_features_m4.h: Cortex-M4 DSP path of the statistical features, two channels per 32-bit word
   (SSUB16 + SEL for lane-wise maxima and minima), giving the same int32 features as the portable
   definition in fx_features.c; included there only with __ARM_FEATURE_DSP. */
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

static inline uint32_t m4_max2(uint32_t a, uint32_t b)
{
    uint32_t r, t;
    __asm("ssub16 %1, %2, %3\n\tsel %0, %2, %3" : "=r"(r), "=&r"(t) : "r"(a), "r"(b) : "cc");
    return r;
}

static inline uint32_t m4_min2(uint32_t a, uint32_t b)
{
    uint32_t r, t;
    __asm("ssub16 %1, %2, %3\n\tsel %0, %3, %2" : "=r"(r), "=&r"(t) : "r"(a), "r"(b) : "cc");
    return r;
}

static inline void m4_maxmin2(uint32_t a, uint32_t b, uint32_t *mx, uint32_t *mn)
{
    uint32_t hi, lo, t;
    __asm("ssub16 %2, %3, %4\n\tsel %0, %3, %4\n\tsel %1, %4, %3" : "=&r"(hi), "=&r"(lo), "=&r"(t) : "r"(a), "r"(b)
          : "cc");
    *mx = hi;
    *mn = lo;
}

/* Lane 0 and lane 1 of a word as int32. */
#define M4_LO(w) ((int32_t)(int16_t)(w))
#define M4_HI(w) ((int32_t)(w) >> 16)

typedef struct {
    int32_t sum_max[2];  /* sum over t >= 1 of max(x_t, x_{t-1}), plus x_0 */
    uint32_t hi, lo;     /* running lane-wise maximum and minimum */
    uint32_t prev;       /* the last sample seen */
} m4_pair_state;

/* Samples [begin, end) of one segment: returns their lane sums through s0, s1. */
static inline void m4_segment(const uint8_t *p, uint32_t stride, uint32_t rows, m4_pair_state *st, int32_t *s0,
                              int32_t *s1)
{
    int32_t a0 = 0, a1 = 0, m0 = st->sum_max[0], m1 = st->sum_max[1];
    uint32_t hi = st->hi, lo = st->lo, prev = st->prev;
    for (uint32_t k = rows / 2u; k != 0; --k) {
        const uint32_t a = *(const uint32_t *)(const void *)p;
        const uint32_t b = *(const uint32_t *)(const void *)(p + stride);
        p += 2u * stride;
        const uint32_t ma = m4_max2(a, prev);
        uint32_t mb, nb;
        m4_maxmin2(b, a, &mb, &nb);
        a0 += M4_LO(a) + M4_LO(b);
        a1 += M4_HI(a) + M4_HI(b);
        m0 += M4_LO(ma) + M4_LO(mb);
        m1 += M4_HI(ma) + M4_HI(mb);
        hi = m4_max2(mb, hi);
        lo = m4_min2(nb, lo);
        prev = b;
    }
    if (rows & 1u) {
        const uint32_t a = *(const uint32_t *)(const void *)p;
        const uint32_t ma = m4_max2(a, prev);
        a0 += M4_LO(a);
        a1 += M4_HI(a);
        m0 += M4_LO(ma);
        m1 += M4_HI(ma);
        hi = m4_max2(a, hi);
        lo = m4_min2(a, lo);
        prev = a;
    }
    st->sum_max[0] = m0;
    st->sum_max[1] = m1;
    st->hi = hi;
    st->lo = lo;
    st->prev = prev;
    *s0 = a0;
    *s1 = a1;
}

/* sum_t max(x_t, m) per lane over rows samples, m packed as two int16 lanes. */
static inline void m4_sum_max(const uint8_t *p, uint32_t stride, uint32_t rows, uint32_t m, int32_t *d0, int32_t *d1)
{
    int32_t a0 = 0, a1 = 0;
    for (uint32_t k = rows / 2u; k != 0; --k) {
        const uint32_t a = m4_max2(*(const uint32_t *)(const void *)p, m);
        const uint32_t b = m4_max2(*(const uint32_t *)(const void *)(p + stride), m);
        p += 2u * stride;
        a0 += M4_LO(a) + M4_LO(b);
        a1 += M4_HI(a) + M4_HI(b);
    }
    if (rows & 1u) {
        const uint32_t a = m4_max2(*(const uint32_t *)(const void *)p, m);
        a0 += M4_LO(a);
        a1 += M4_HI(a);
    }
    *d0 = a0;
    *d1 = a1;
}

/*
 * fx_features_stats for two lanes at a time: channels (c, c + 1), and for an odd channel count
 * the last channel as lane 1 of (n - 2, n - 1), whose lane 0 is not stored again. Arguments as
 * fx_features_stats, checked by it; n_channels >= 2.
 */
static void fx_features_stats_m4(const int16_t *window, uint16_t window_len, uint16_t n_channels, uint8_t n_segments,
                                 int32_t *features)
{
    const uint32_t stride = 2u * n_channels;
    const uint32_t per_channel = n_segments + 4u;
    for (uint16_t c = 0; c < n_channels; c = (uint16_t)(c + 2u)) {
        const uint16_t first = c + 1u < n_channels ? c : (uint16_t)(n_channels - 2u);
        const int store0 = first == c; /* lane 0 is a channel not done yet */
        const uint8_t *base = (const uint8_t *)(window + first);
        const uint32_t x0 = *(const uint32_t *)(const void *)base;
        m4_pair_state st = {{0, 0}, x0, x0, x0};
        int32_t *f0 = features + (size_t)first * per_channel;
        int32_t *f1 = f0 + per_channel;
        int32_t total0 = 0, total1 = 0;
        uint32_t begin = 0;
        for (uint32_t k = 0; k < n_segments; ++k) {
            const uint32_t end = (k + 1u) * window_len / n_segments;
            int32_t s0, s1;
            m4_segment(base + begin * stride, stride, end - begin, &st, &s0, &s1);
            if (store0) {
                f0[k] = s0;
            }
            f1[k] = s1;
            total0 += s0;
            total1 += s1;
            begin = end;
        }
        const uint32_t last = *(const uint32_t *)(const void *)(base + (window_len - 1u) * stride);
        /* floor(total / window_len); |total| < 2^24 */
        const int32_t mean0 = total0 >= 0 ? total0 / window_len : -((-total0 + window_len - 1) / window_len);
        const int32_t mean1 = total1 >= 0 ? total1 / window_len : -((-total1 + window_len - 1) / window_len);
        int32_t d0, d1;
        m4_sum_max(base, stride, window_len, ((uint32_t)mean1 << 16) | ((uint32_t)mean0 & 0xFFFFu), &d0, &d1);
        const int32_t tv0 = 2 * st.sum_max[0] - 2 * total0 - M4_LO(x0) + M4_LO(last);
        const int32_t tv1 = 2 * st.sum_max[1] - 2 * total1 - M4_HI(x0) + M4_HI(last);
        if (store0) {
            f0[n_segments] = M4_LO(st.lo);
            f0[n_segments + 1u] = M4_LO(st.hi);
            f0[n_segments + 2u] = tv0;
            f0[n_segments + 3u] = 2 * d0 - total0 - (int32_t)window_len * mean0;
        }
        f1[n_segments] = M4_HI(st.lo);
        f1[n_segments + 1u] = M4_HI(st.hi);
        f1[n_segments + 2u] = tv1;
        f1[n_segments + 3u] = 2 * d1 - total1 - (int32_t)window_len * mean1;
    }
}

#endif
