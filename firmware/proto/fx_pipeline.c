/* fx_pipeline.c: the windowing pipeline that STREAM and LIVE feed: window, hop, timed inference. */
#include "fx_pipeline.h"

#include <string.h>

void fx_pipeline_init(fx_pipeline *p, const fx_model *model, int16_t *window, uint32_t (*cycles)(void *ctx),
                      void *cycles_ctx)
{
    p->model = model;
    p->window = window;
    p->cycles = cycles;
    p->cycles_ctx = cycles_ctx;
}

fx_status fx_pipeline_start(fx_pipeline *p, const fx_sensor_setup *sensor)
{
    if (sensor != NULL) {
        const fx_status status = fx_sensor_path_init(&p->path, sensor->n_channels, sensor->mult, sensor->shift,
                                                     sensor->rate_millihertz, (uint32_t)p->model->sample_rate_hz * 1000u);
        if (status != FX_OK) {
            return status;
        }
    }
    const fx_decide_config decision = fx_decide_config_apply(p->model->decision, &p->settings);
    if (fx_decide_init(&p->decider, &decision) != FX_OK) {
        /* The parser checked the model's settings, so only a device configuration can be wrong here:
           the model's own then apply. */
        (void)fx_decide_init(&p->decider, &p->model->decision);
    }
    p->from_sensor = sensor != NULL;
    p->window_fill = 0;
    p->samples = 0;
    p->hops = 0;
    return FX_OK;
}

void fx_pipeline_decide_settings(fx_pipeline *p, const fx_decide_settings *settings)
{
    static const fx_decide_settings model_settings = {0, 0, 0};
    p->settings = settings != NULL ? *settings : model_settings;
}

void fx_pipeline_gap(fx_pipeline *p)
{
    fx_sensor_path_restart(&p->path);
    fx_decide_restart(&p->decider);
    p->window_fill = 0;
}

void fx_pipeline_classify(fx_pipeline *p, const int16_t *window, fx_pipeline_output *out)
{
    const uint32_t start = p->cycles(p->cycles_ctx);
    (void)fx_model_run(p->model, window, &p->scratch, &out->result);
    out->cycles = p->cycles(p->cycles_ctx) - start;
    out->decision = (fx_decision){FX_DECISION_NONE, 0, 0};
}

int fx_pipeline_push(fx_pipeline *p, const int16_t *sample, fx_pipeline_output *out)
{
    const fx_model *m = p->model;
    const uint32_t ch = m->n_channels;
    int16_t converted[FX_MAX_CHANNELS];
    if (p->from_sensor) {
        if (fx_sensor_path_push(&p->path, sample, converted) == 0) {
            return 0;
        }
        sample = converted;
    }
    /* A full window first slides by one hop, the oldest hop_len samples leaving it. */
    if (p->window_fill == m->window_len) {
        memmove(p->window, p->window + (size_t)m->hop_len * ch, (size_t)(m->window_len - m->hop_len) * ch * 2u);
        p->window_fill = (uint32_t)(m->window_len - m->hop_len);
    }
    memcpy(p->window + (size_t)p->window_fill * ch, sample, ch * 2u);
    ++p->window_fill;
    ++p->samples;
    if (p->window_fill < m->window_len) {
        return 0;
    }
    out->hop_index = p->hops++;
    out->samples = p->samples;
    fx_pipeline_classify(p, p->window, out);
    const uint8_t vote = out->result.outside ? (uint8_t)FX_DECISION_UNKNOWN : (uint8_t)out->result.class_index;
    (void)fx_decide_push(&p->decider, out->result.prob_q15, vote, &out->decision);
    return 1;
}
