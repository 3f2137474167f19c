/* fx_features_m4.c: Cortex-M4 variant of the stats kernel, two int16 lanes a word; empty without FX_DSP. */
#include "fx_features_m4.h"

#if FX_DSP

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
#define LANE0(w) ((int32_t)(int16_t)(w))
#define LANE1(w) ((int32_t)(w) >> 16)

/* A segment of rows samples in pass 1 of a pair of channels: its entry code and the iterations of
   the loop of four pairs after the first, counting the one entered partway (fx_features_m4.h). */
static uint16_t segment_step(uint32_t rows)
{
    const uint32_t pairs = rows / 2u;
    if (pairs == 0) {
        return FX_STEP(FX_STEP_NO_PAIRS + FX_STEP_ODD * (rows & 1u), 0u);
    }
    return FX_STEP(FX_STEP_LOOP + pairs % 4u + FX_STEP_ODD * (rows & 1u), (pairs + 3u) / 4u - 1u);
}

/* Segment k spans [k * len / S, (k + 1) * len / S). */
void fx_features_stats_prepare_m4(fx_feature_stage *stage)
{
    fx_stats_params *params = &stage->params.stats;
    uint32_t begin = 0;
    for (uint32_t k = 0; k < params->n_segments; ++k) {
        const uint32_t end = (k + 1u) * stage->window_len / params->n_segments;
        params->dsp_segments[k] = stage->n_channels == 1u ? (uint16_t)(end - begin) : segment_step(end - begin);
        begin = end;
    }
    if (stage->n_channels == 1u) {
        --params->dsp_segments[0]; /* sample 0 is counted before pass 1 */
    }
    params->dsp_segments[params->n_segments] = FX_STEP(FX_STEP_END, 0u);
}

/* One channel, two successive samples per word. */
static void stats_mono(const fx_feature_stage *stage, const int16_t *x, int32_t *features)
{
    const uint32_t n_segments = stage->params.stats.n_segments;
    const uint16_t window_len = stage->window_len;
    fx_mono_job job;
    job.rows = stage->params.stats.dsp_segments;
    job.f0 = features;
    job.hi = job.lo = (uint16_t)x[0] * 0x00010001u;
    job.m = job.s = x[0];
    fx_features_pass1_mono_m4(x, n_segments, &job);
    const int32_t mean = fx_floor_div(job.s, window_len);
    /* The deviation pass of the pairs, on words of two successive samples, and a last odd one. */
    const uint64_t lanes = fx_features_pass2_m4((const uint8_t *)x, 4u, window_len / 2u, (uint16_t)mean * 0x00010001u);
    int32_t dev = (int32_t)(uint32_t)lanes + (int32_t)(uint32_t)(lanes >> 32);
    if (window_len & 1u) {
        dev += x[window_len - 1u] > mean ? x[window_len - 1u] : mean;
    }
    int32_t *f = features + n_segments;
    f[0] = LANE0(job.lo) < LANE1(job.lo) ? LANE0(job.lo) : LANE1(job.lo);
    f[1] = LANE0(job.hi) > LANE1(job.hi) ? LANE0(job.hi) : LANE1(job.hi);
    f[2] = 2 * (job.m - job.s) - x[0] + x[window_len - 1u];
    f[3] = 2 * dev - job.s - (int32_t)window_len * mean;
}

/* Two lanes at a time: channels (c, c + 1), and for an odd channel count the last channel as lane 1
   of (n - 2, n - 1). */
static void stats_pairs(const fx_feature_stage *stage, const int16_t *window, int32_t *features)
{
    const uint16_t n_channels = stage->n_channels;
    const uint32_t per_channel = stage->params.stats.n_segments + 4u;
    fx_pair_job job = {stage->params.stats.dsp_segments, NULL, per_channel * sizeof features[0], stage->window_len};
    for (uint16_t c = 0; c < n_channels; c = (uint16_t)(c + 2u)) {
        /* With an odd count the last pair is (n - 2, n - 1): lane 0 repeats channel n - 2 on the
           same samples, so writing its features again writes the same values. */
        const uint16_t first = c + 1u < n_channels ? c : (uint16_t)(n_channels - 2u);
        job.f0 = features + (size_t)first * per_channel;
        fx_features_pair_m4((const uint8_t *)(window + first), 2u * n_channels, &job);
    }
}

void fx_features_stats_m4(const fx_feature_stage *stage, const int16_t *window, int32_t *features, void *buffer)
{
    (void)buffer;
    if (stage->n_channels == 1u) {
        stats_mono(stage, window, features);
    } else {
        stats_pairs(stage, window, features);
    }
}

#endif
