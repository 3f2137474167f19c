/* fx_spectral_m4.c: Cortex-M4 variant of the spectral kernel, two int16 lanes a word; empty without FX_DSP. */
#include "fx_spectral_m4.h"

#if FX_DSP

/*
 * The portable C's arithmetic, arranged for the DSP instructions (fx_spectral_m4.S):
 * - Pass 1 and the deviations take two int16 lanes a word: two channels of the time-major window
 *   (c, c + 1), or for one channel two successive samples. An odd channel count runs its last
 *   channel as lane 1 of the pair (n - 2, n - 1).
 * - The deviations are stored doubled, 2 d (|2 d| < 2^15), so that the Hann product
 *   (2 d HANN + 2^15) >> 16 = (d HANN + 2^14) >> 15 is the high half of one SMLABB or SMLATT.
 *   Where an exponent is negative (a channel spanning more than 2^14 about its mean) the deviations
 *   are made here in C, as the portable C makes them.
 * - The tables for N are made on every run: the Hann pairs and bit-reversed offsets of the first
 *   pass, the twiddles of each FFT pass in the order the passes read them, and the split's.
 */

#define LANE0(w) ((int32_t)(int16_t)(w))
#define LANE1(w) ((int32_t)(w) >> 16)

/* Two int16 values as one word, lane 0 low. */
static uint32_t pack(int32_t lane0, int32_t lane1)
{
    return (uint16_t)lane0 | (uint32_t)lane1 << 16;
}

/* The words out[i * stride], i < count, for the angles j = first + i step (2 pi j / T), all within
   [0, T/2]: W = exp(-2 pi i j / T) = (cos, -sin) in Q15 as (real, imaginary), or for the split
   V = -i W = (-sin, -cos). The quarter period is read up to T/4 and down beyond, no branch per word;
   split is a constant where this is inlined (fft_twiddles, split_twiddles). */
static inline __attribute__((always_inline)) void angles(uint32_t *out, uint32_t stride, uint32_t first,
                                                         uint32_t step, uint32_t count, int split)
{
    const int16_t *quarter = fx_spectral_cos_q15;
    const uint32_t below = first > FX_SPECTRAL_TABLE_LEN / 4u ? 0u : (FX_SPECTRAL_TABLE_LEN / 4u - first) / step + 1u;
    const uint32_t rising = below < count ? below : count;
    uint32_t j = first;
    for (uint32_t i = 0; i < rising; ++i, j += step, out += stride) {
        const int32_t c = quarter[j], s = quarter[FX_SPECTRAL_TABLE_LEN / 4u - j];
        *out = split ? pack(-s, -c) : pack(c, -s);
    }
    for (uint32_t i = rising; i < count; ++i, j += step, out += stride) {
        const int32_t c = -quarter[FX_SPECTRAL_TABLE_LEN / 2u - j], s = quarter[j - FX_SPECTRAL_TABLE_LEN / 4u];
        *out = split ? pack(-s, -c) : pack(c, -s);
    }
}

static void fft_twiddles(uint32_t *out, uint32_t stride, uint32_t first, uint32_t step, uint32_t count)
{
    angles(out, stride, first, step, count, 0);
}

static void split_twiddles(uint32_t *out, uint32_t first, uint32_t step, uint32_t count)
{
    angles(out, 1u, first, step, count, 1);
}

/* The run's tables at tables (fx_spectral.h) and the job's fields but the deviations; returns the
   second lane's deviations, after the tables. */
static int16_t *prepare(const fx_feature_stage *stage, uint32_t *tables, fx_spectral_job *job)
{
    const fx_spectral_params *p = &stage->params.spectral;
    const int16_t *hann = fx_spectral_hann_q15;
    const uint32_t half = p->fft_len / 2u;
    const uint32_t step = FX_SPECTRAL_TABLE_LEN / p->fft_len;
    uint32_t *t = tables;
    /* Group g of the first pass holds FFT points 4g .. 4g + 3, which read z[n], z[n + M/2],
       z[n + M/4] and z[n + 3M/4] for n the bit reverse of g (counted in reverse: the carry runs
       down from the top bit): its record is the byte offsets of points 0 and 1 in the segment, their
       Hann pairs, then those of points 2 and 3. Points below M/2 read the Hann half table at
       j = 2 point step and j + step (both within it); the others at T - j and T - j - step, by the
       window's symmetry. */
    job->groups = t;
    const uint32_t top = half / 8u; /* the top bit of log2(M / 4) bits */
    uint32_t n = 0;
    for (uint32_t g = 0; g < half / 4u; ++g, t += 8) {
        const uint32_t low = 2u * n * step, high = FX_SPECTRAL_TABLE_LEN / 2u - low;
        t[0] = 4u * n;
        t[1] = t[0] + 2u * half;
        t[2] = pack(hann[low], hann[low + step]);
        t[3] = pack(hann[high], hann[high - step]);
        t[4] = t[0] + half;
        t[5] = t[0] + 3u * half;
        t[6] = pack(hann[low + FX_SPECTRAL_TABLE_LEN / 4u], hann[low + FX_SPECTRAL_TABLE_LEN / 4u + step]);
        t[7] = pack(hann[high - FX_SPECTRAL_TABLE_LEN / 4u], hann[high - FX_SPECTRAL_TABLE_LEN / 4u - step]);
        uint32_t bit = top;
        while (n & bit) {
            n ^= bit;
            bit >>= 1;
        }
        n |= bit;
    }
    job->groups_end = t;
    job->twiddles = t;
    uint32_t h = 4;
    for (; 4u * h <= half; h *= 4u) {
        /* per k < h: W_2h^k, W_4h^k, W_4h^(k + h), W_4h's step a quarter of T / h */
        const uint32_t quarter = FX_SPECTRAL_TABLE_LEN / (4u * h);
        fft_twiddles(t, 3u, 0u, 2u * quarter, h);
        fft_twiddles(t + 1, 3u, 0u, quarter, h);
        fft_twiddles(t + 2, 3u, h * quarter, quarter, h);
        t += 3u * h;
    }
    if (h < half) {
        fft_twiddles(t, 1u, 0u, 2u * step, h); /* W_M^k, k < h = M/2 */
    }
    t = (uint32_t *)job->groups_end + half; /* the passes' twiddles take fewer than M words */
    job->split = t;
    split_twiddles(t, 0u, step, half / 2u + 1u);
    t += half / 2u + 1u;
    job->half_len = half;
    job->n_segments = p->n_segments;
    job->span = p->n_segments == 1u ? 0u : (uint32_t)(stage->window_len - p->fft_len);
    job->divisor = p->n_segments == 1u ? 1u : p->n_segments - 1u;
    return (int16_t *)(void *)t;
}

/* 2 d of one channel whose values are stride apart, by the portable C's arithmetic. */
static void deviations_c(const int16_t *x, uint16_t window_len, uint32_t stride, const fx_spectral_channel *channel,
                         int16_t *doubled)
{
    const int32_t e = channel->exponent;
    for (uint32_t t = 0; t < window_len; ++t) {
        const int32_t deviation = x[t * stride] - channel->mean;
        doubled[t] = (int16_t)(2 * (e >= 0 ? deviation * (1 << e) : deviation >> -e));
    }
}

/* The factor 2^(e + 1) that doubles and scales a deviation where e >= 0. */
static int32_t factor(const fx_spectral_channel *channel)
{
    return 2 << channel->exponent;
}

/* The features of a channel from the power of its segments (the portable C's bands). */
static void bands(const fx_spectral_params *params, const uint64_t *power, const fx_spectral_channel *channel,
                  int32_t *features)
{
    fx_spectral_bands_m4(power, params->edges, params->n_bands, features, -512 * channel->exponent);
    features[params->n_bands] = channel->mean;
    features[params->n_bands + 1u] = channel->rms;
}

/* One channel: two successive samples a word. */
static void mono(const fx_feature_stage *stage, const int16_t *window, int32_t *features, const fx_spectral_work *w,
                 fx_spectral_job *job)
{
    const uint16_t window_len = stage->window_len;
    const uint32_t words = window_len / 2u;
    fx_spectral_sums sums;
    fx_spectral_pass1_m4((const uint8_t *)window, 4u, words, &sums);
    int32_t sum = sums.sum[0] + sums.sum[1];
    int64_t squares = sums.squares[0] + sums.squares[1];
    int32_t lo = LANE0(sums.lo) < LANE1(sums.lo) ? LANE0(sums.lo) : LANE1(sums.lo);
    int32_t hi = LANE0(sums.hi) > LANE1(sums.hi) ? LANE0(sums.hi) : LANE1(sums.hi);
    const int32_t last = window[window_len - 1u];
    if (window_len & 1u) {
        sum += last;
        squares += last * last;
        lo = last < lo ? last : lo;
        hi = last > hi ? last : hi;
    }
    fx_spectral_channel channel;
    fx_spectral_channel_stats(sum, squares, lo, hi, window_len, &channel);
    if (channel.exponent >= 0) {
        const fx_spectral_scale scale = {pack(channel.mean, channel.mean), pack(factor(&channel), factor(&channel)),
                                         w->deviations, NULL};
        fx_spectral_deviations_m4((const uint8_t *)window, 4u, words, &scale);
        if (window_len & 1u) {
            w->deviations[window_len - 1u] = (int16_t)((last - channel.mean) * factor(&channel));
        }
    } else {
        deviations_c(window, window_len, 1u, &channel, w->deviations);
    }
    job->deviations = w->deviations;
    fx_spectral_segments_m4(job);
    bands(&stage->params.spectral, w->power, &channel, features);
}

/* Channels (c, c + 1) as the lanes of the window's words, and for an odd count the last one as
   lane 1 of (n - 2, n - 1): lane 0 is then channel n - 2 again, whose features are already out. */
static void pairs(const fx_feature_stage *stage, const int16_t *window, int32_t *features, const fx_spectral_work *w,
                  fx_spectral_job *job, int16_t *second)
{
    const uint16_t window_len = stage->window_len;
    const uint16_t n_channels = stage->n_channels;
    const uint32_t per_channel = stage->params.spectral.n_bands + 2u;
    int16_t *deviations[2] = {w->deviations, second};
    for (uint16_t c = 0; c < n_channels; c = (uint16_t)(c + 2u)) {
        const uint16_t first = c + 1u < n_channels ? c : (uint16_t)(n_channels - 2u);
        const int16_t *x = window + first;
        fx_spectral_sums sums;
        fx_spectral_pass1_m4((const uint8_t *)x, 2u * n_channels, window_len, &sums);
        fx_spectral_channel channel[2];
        fx_spectral_channel_stats(sums.sum[0], sums.squares[0], LANE0(sums.lo), LANE0(sums.hi), window_len, &channel[0]);
        fx_spectral_channel_stats(sums.sum[1], sums.squares[1], LANE1(sums.lo), LANE1(sums.hi), window_len, &channel[1]);
        if (channel[0].exponent >= 0 && channel[1].exponent >= 0) {
            const fx_spectral_scale scale = {pack(channel[0].mean, channel[1].mean),
                                             pack(factor(&channel[0]), factor(&channel[1])), deviations[0],
                                             deviations[1]};
            fx_spectral_deviations_m4((const uint8_t *)x, 2u * n_channels, window_len, &scale);
        } else {
            deviations_c(x, window_len, n_channels, &channel[0], deviations[0]);
            deviations_c(x + 1, window_len, n_channels, &channel[1], deviations[1]);
        }
        for (uint32_t lane = first == c ? 0u : 1u; lane < 2u; ++lane) {
            job->deviations = deviations[lane];
            fx_spectral_segments_m4(job);
            bands(&stage->params.spectral, w->power, &channel[lane], features + (size_t)(first + lane) * per_channel);
        }
    }
}

void fx_features_spectral_m4(const fx_feature_stage *stage, const int16_t *window, int32_t *features, void *buffer)
{
    const fx_spectral_work w = fx_spectral_work_at(stage, buffer);
    fx_spectral_job job;
    job.spectrum = w.spectrum;
    job.power = w.power;
    int16_t *second = prepare(stage, w.tables, &job);
    if (stage->n_channels == 1u) {
        mono(stage, window, features, &w, &job);
    } else {
        pairs(stage, window, features, &w, &job, second);
    }
}

#endif
