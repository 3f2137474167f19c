/* fx_features.c: the feature stage: the table of feature sets and the entry that runs one. */
#include "fx_kernels.h"

/* A feature set's number in the blob (fx_model.h), whether its blob must carry a FEATURES section
   (those that take none refuse one), and the set-up of its kernel. */
static const struct {
    uint8_t feature_set;
    uint8_t needs_section;
    fx_feature_init_fn *init;
} feature_sets[] = {
    {FX_FEATURE_SET_STATS8, 0, fx_features_stats8_init},
    {FX_FEATURE_SET_STATS16, 0, fx_features_stats16_init},
    {FX_FEATURE_SET_SPECTRAL, 1, fx_features_spectral_init},
    {FX_FEATURE_SET_ROCKET, 1, fx_features_rocket_init},
};

fx_status fx_features_init(fx_feature_stage *stage, uint8_t feature_set, const uint8_t *params,
                           uint32_t params_bytes, uint16_t window_len, uint16_t n_channels)
{
    for (size_t k = 0; k < sizeof feature_sets / sizeof feature_sets[0]; ++k) {
        if (feature_sets[k].feature_set == feature_set) {
            if (feature_sets[k].needs_section && params == NULL) {
                return FX_ERR_LAYOUT;
            }
            if (!feature_sets[k].needs_section && params != NULL) {
                return FX_ERR_PARAM;
            }
            return feature_sets[k].init(stage, params, params_bytes, window_len, n_channels);
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
