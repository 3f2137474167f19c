/* fx_features_stats.c: the stats kernel (sets stats8 and stats16): set-up, plan, portable C. */
#include "fx_features_m4.h"
#include "fx_kernels.h"

static uint32_t stats_buffer_size(const fx_feature_stage *stage)
{
    (void)stage;
    return 0;
}

/* The Cortex-M4 variant selects its extremes on SSUB16's GE flags. */
static fx_variant stats_plan(const fx_feature_stage *stage)
{
    (void)stage;
    return fx_sel_variant();
}

/* The definition; the Cortex-M4 variant must give the same bits. */
static void stats(const fx_feature_stage *stage, const int16_t *window, int32_t *features, void *buffer)
{
    const uint16_t window_len = stage->window_len;
    const uint16_t n_channels = stage->n_channels;
    const uint32_t n_segments = stage->params.stats.n_segments;
    const uint32_t per_channel = n_segments + 4u;
    (void)buffer;
    /* |sum| <= 2048 * 32768 = 2^26 and the absolute sums stay below 2048 * 65535 < 2^27: no int32
       overflow at FX_MAX_WINDOW_LEN. */
    for (uint16_t c = 0; c < n_channels; ++c) {
        int32_t *f = features + (size_t)c * per_channel;
        const int16_t *x = window + c;
        int32_t lo = x[0];
        int32_t hi = x[0];
        int32_t total_variation = 0;
        int32_t total = 0;
        for (uint32_t k = 0; k < n_segments; ++k) {
            const uint16_t begin = (uint16_t)(k * window_len / n_segments);
            const uint16_t end = (uint16_t)((k + 1u) * window_len / n_segments);
            int32_t segment = 0;
            for (uint16_t t = begin; t < end; ++t) {
                const int32_t v = x[(size_t)t * n_channels];
                segment += v;
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
                if (t > 0) {
                    const int32_t d = v - x[(size_t)(t - 1u) * n_channels];
                    total_variation += d < 0 ? -d : d;
                }
            }
            f[k] = segment;
            total += segment;
        }
        const int32_t mean = fx_floor_div(total, window_len);
        int32_t deviation = 0;
        for (uint16_t t = 0; t < window_len; ++t) {
            const int32_t d = x[(size_t)t * n_channels] - mean;
            deviation += d < 0 ? -d : d;
        }
        f[n_segments] = lo;
        f[n_segments + 1u] = hi;
        f[n_segments + 2u] = total_variation;
        f[n_segments + 3u] = deviation;
    }
}

static const fx_feature_kernel stats_kernel = {
    stats_buffer_size,
    stats_plan,
#if FX_DSP
    {stats, fx_features_stats_m4},
#else
    {stats, NULL},
#endif
};

fx_status fx_features_stats_init(fx_feature_stage *stage, uint16_t window_len, uint16_t n_channels, uint8_t n_segments)
{
    if (stage == NULL || window_len < 2u || window_len > FX_MAX_WINDOW_LEN || n_channels == 0 ||
        n_channels > FX_MAX_CHANNELS) {
        return FX_ERR_ARG;
    }
    if (n_segments == 0 || n_segments > FX_MAX_SEGMENTS || window_len < n_segments) {
        return FX_ERR_SHAPE;
    }
    stage->kernel = &stats_kernel;
    stage->window_len = window_len;
    stage->n_channels = n_channels;
    stage->n_features = (uint16_t)(n_channels * (n_segments + 4u));
    stage->params.stats.n_segments = n_segments;
#if FX_DSP
    fx_features_stats_prepare_m4(stage);
#endif
    return FX_OK;
}

/* Sets stats8 and stats16: their segment counts are fixed by the set, so their blobs carry no
   FEATURES section. */
static fx_status stats_set(fx_feature_stage *stage, const uint8_t *params, uint16_t window_len, uint16_t n_channels,
                           uint8_t n_segments)
{
    if (params != NULL) {
        return FX_ERR_PARAM;
    }
    return fx_features_stats_init(stage, window_len, n_channels, n_segments);
}

fx_status fx_features_stats8_init(fx_feature_stage *stage, const uint8_t *params, uint32_t params_bytes,
                                  uint16_t window_len, uint16_t n_channels)
{
    (void)params_bytes;
    return stats_set(stage, params, window_len, n_channels, 4);
}

fx_status fx_features_stats16_init(fx_feature_stage *stage, const uint8_t *params, uint32_t params_bytes,
                                   uint16_t window_len, uint16_t n_channels)
{
    (void)params_bytes;
    return stats_set(stage, params, window_len, n_channels, 12);
}
