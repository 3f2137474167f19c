/* fx_features.c: the feature stage: the table of feature sets and the entry that runs one. */
#include "fx_kernels.h"

static fx_status stats8(fx_feature_stage *stage, uint16_t window_len, uint16_t n_channels)
{
    return fx_features_stats_init(stage, window_len, n_channels, 4);
}

static fx_status stats16(fx_feature_stage *stage, uint16_t window_len, uint16_t n_channels)
{
    return fx_features_stats_init(stage, window_len, n_channels, 12);
}

/* A feature set's number in the blob (fx_model.h) and the set-up of its kernel. */
static const struct {
    uint8_t feature_set;
    fx_status (*init)(fx_feature_stage *stage, uint16_t window_len, uint16_t n_channels);
} feature_sets[] = {
    {FX_FEATURE_SET_STATS8, stats8},
    {FX_FEATURE_SET_STATS16, stats16},
};

fx_status fx_features_init(fx_feature_stage *stage, uint8_t feature_set, uint16_t window_len, uint16_t n_channels)
{
    for (size_t k = 0; k < sizeof feature_sets / sizeof feature_sets[0]; ++k) {
        if (feature_sets[k].feature_set == feature_set) {
            return feature_sets[k].init(stage, window_len, n_channels);
        }
    }
    return FX_ERR_SHAPE;
}

fx_variant fx_features_plan(const fx_feature_stage *stage)
{
    return stage->kernel->plan(stage);
}

uint32_t fx_features_buffer_size(const fx_feature_stage *stage)
{
    return stage->kernel->buffer_size(stage);
}

fx_status fx_features_run(const fx_feature_stage *stage, const int16_t *window, int32_t *features, void *buffer,
                          fx_variant variant)
{
    const size_t variants = sizeof stage->kernel->run / sizeof stage->kernel->run[0];
    if (stage == NULL || window == NULL || features == NULL || (size_t)variant >= variants ||
        stage->kernel->run[variant] == NULL) {
        return FX_ERR_ARG;
    }
    stage->kernel->run[variant](stage, window, features, buffer);
    return FX_OK;
}
