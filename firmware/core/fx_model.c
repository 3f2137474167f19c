/* fx_model.c: validating parser for .fxm blobs and the feature -> dense -> softmax pipeline. */
#include "fx_model.h"

#include <string.h>

#include "fx_bytes.h"

/* An array of count elements of size bytes at offset lies inside the payload (before the CRC). */
static int span_ok(uint32_t offset, uint32_t count, uint32_t size, uint32_t payload_end)
{
    if ((offset & 3u) != 0 || offset < FX_MODEL_HEADER_BYTES || offset > payload_end) {
        return 0;
    }
    return (uint64_t)count * size <= (uint64_t)(payload_end - offset);
}

static int params_ok(const int32_t *mult, const int32_t *shift, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        if (mult[i] < 1 || shift[i] < 1 || shift[i] > 62) {
            return 0;
        }
    }
    return 1;
}

/* Every weight of the blocked row pairs (fx_kernels.h) within [-127, 127]. */
static int weights_ok(const int16_t *pairs, uint32_t n)
{
    for (uint32_t k = 0; k < n; ++k) {
        const int32_t odd = fx_pair_odd(pairs[k]);
        if (fx_pair_even(pairs[k]) < -127 || odd < -127 || odd > 127) {
            return 0;
        }
    }
    return 1;
}

static fx_status parse_layer(const uint8_t *blob, const uint8_t *rec, uint32_t payload_end, fx_dense *layer)
{
    layer->in_len = fx_rd16(rec);
    layer->out_len = fx_rd16(rec + 2);
    layer->flags = rec[4];
    const uint32_t w_off = fx_rd32(rec + 8);
    const uint32_t b_off = fx_rd32(rec + 12);
    const uint32_t m_off = fx_rd32(rec + 16);
    const uint32_t s_off = fx_rd32(rec + 20);
    if (layer->in_len == 0 || layer->out_len == 0 || layer->in_len > FX_MAX_FEATURES ||
        layer->out_len > FX_MAX_LAYER_WIDTH) {
        return FX_ERR_LIMIT;
    }
    if ((layer->flags & ~(FX_DENSE_RELU | FX_DENSE_LOGITS)) != 0 || rec[5] || rec[6] || rec[7]) {
        return FX_ERR_PARAM;
    }
    const uint32_t n_pairs = FX_PAD4(layer->out_len) * FX_PAD4(layer->in_len) / 2u;
    if (!span_ok(w_off, n_pairs, 2, payload_end) || !span_ok(b_off, layer->out_len, 4, payload_end) ||
        !span_ok(m_off, layer->out_len, 4, payload_end) || !span_ok(s_off, layer->out_len, 4, payload_end)) {
        return FX_ERR_LAYOUT;
    }
    layer->weights = (const int16_t *)(const void *)(blob + w_off);
    layer->bias = (const int32_t *)(const void *)(blob + b_off);
    layer->mult = (const int32_t *)(const void *)(blob + m_off);
    layer->shift = (const int32_t *)(const void *)(blob + s_off);
    if (!params_ok(layer->mult, layer->shift, layer->out_len) || !weights_ok(layer->weights, n_pairs)) {
        return FX_ERR_PARAM;
    }
    return FX_OK;
}

fx_status fx_model_parse(const uint8_t *blob, uint32_t blob_len, fx_model *model)
{
    if (blob == NULL || model == NULL) {
        return FX_ERR_ARG;
    }
    if (((uintptr_t)blob & 3u) != 0) {
        return FX_ERR_ALIGN;
    }
    if (blob_len < FX_MODEL_HEADER_BYTES + 4u) {
        return FX_ERR_SIZE;
    }
    if (fx_rd32(blob) != FX_MODEL_MAGIC) {
        return FX_ERR_MAGIC;
    }
    if (fx_rd16(blob + 4) != FX_MODEL_FORMAT_VERSION || fx_rd16(blob + 6) != FX_MODEL_HEADER_BYTES) {
        return FX_ERR_VERSION;
    }
    if (fx_rd32(blob + 8) != blob_len) {
        return FX_ERR_SIZE;
    }
    const uint32_t payload_end = blob_len - 4u;
    if (fx_crc32(0, blob, payload_end) != fx_rd32(blob + payload_end)) {
        return FX_ERR_CRC;
    }

    fx_model m;
    memset(&m, 0, sizeof m);
    m.blob = blob;
    m.blob_len = blob_len;
    m.model_id = fx_rd32(blob + 12);
    m.window_len = fx_rd16(blob + 16);
    m.n_channels = fx_rd16(blob + 18);
    m.hop_len = fx_rd16(blob + 20);
    m.sample_rate_hz = fx_rd16(blob + 22);
    m.feature_set = blob[24];
    m.n_layers = blob[25];
    m.n_classes = blob[26];
    m.n_features = fx_rd16(blob + 28);
    if (m.window_len < 4 || m.window_len > FX_MAX_WINDOW_LEN || m.n_channels == 0 ||
        m.n_channels > FX_MAX_CHANNELS ||
        (uint32_t)m.window_len * m.n_channels > FX_MAX_WINDOW_VALUES || m.n_layers == 0 ||
        m.n_layers > FX_MAX_LAYERS || m.n_classes == 0 || m.n_classes > FX_MAX_CLASSES ||
        m.n_features == 0 || m.n_features > FX_MAX_FEATURES) {
        return FX_ERR_LIMIT;
    }
    if (m.hop_len == 0 || m.hop_len > m.window_len || m.sample_rate_hz == 0 ||
        fx_features_init(&m.features, m.feature_set, m.window_len, m.n_channels) != FX_OK ||
        m.n_features != m.features.n_features) {
        return FX_ERR_SHAPE;
    }
    if (fx_features_buffer_size(&m.features) > sizeof ((fx_scratch *)0)->act) {
        return FX_ERR_LIMIT;
    }

    const uint32_t iq_off = fx_rd32(blob + 32);
    if (!span_ok(iq_off, 3u * m.n_features, 4, payload_end)) {
        return FX_ERR_LAYOUT;
    }
    m.input.offset = (const int32_t *)(const void *)(blob + iq_off);
    m.input.mult = m.input.offset + m.n_features;
    m.input.shift = m.input.mult + m.n_features;
    m.input.n = m.n_features;
    if (!params_ok(m.input.mult, m.input.shift, m.n_features)) {
        return FX_ERR_PARAM;
    }

    const uint32_t layers_off = fx_rd32(blob + 36);
    if (!span_ok(layers_off, m.n_layers, FX_MODEL_LAYER_BYTES, payload_end)) {
        return FX_ERR_LAYOUT;
    }
    uint16_t expected_in = m.n_features;
    for (uint8_t k = 0; k < m.n_layers; ++k) {
        fx_dense *layer = &m.layers[k];
        const fx_status status =
            parse_layer(blob, blob + layers_off + (uint32_t)k * FX_MODEL_LAYER_BYTES, payload_end, layer);
        if (status != FX_OK) {
            return status;
        }
        const int is_last = (k + 1u == m.n_layers);
        const int is_logits = (layer->flags & FX_DENSE_LOGITS) != 0;
        if (layer->in_len != expected_in || is_logits != is_last ||
            (is_last && (layer->out_len != m.n_classes || (layer->flags & FX_DENSE_RELU)))) {
            return FX_ERR_SHAPE;
        }
        expected_in = layer->out_len;
    }

    m.plan.features = (uint8_t)fx_features_plan(&m.features);
    m.plan.input = (uint8_t)fx_quantize_input_plan(&m.input, &m.layers[0]);
    for (uint8_t k = 0; k < m.n_layers; ++k) {
        m.plan.dense[k] = (uint8_t)fx_dense_plan(&m.layers[k], k == 0 && m.plan.input == FX_VARIANT_DSP_PAIRS);
    }

    const uint32_t names_off = fx_rd32(blob + 40);
    if (!span_ok(names_off, m.n_classes, FX_CLASS_NAME_LEN, payload_end)) {
        return FX_ERR_LAYOUT;
    }
    m.class_names = (const char *)(blob + names_off);
    for (uint8_t c = 0; c < m.n_classes; ++c) {
        if (m.class_names[(uint32_t)c * FX_CLASS_NAME_LEN + FX_CLASS_NAME_LEN - 1u] != '\0') {
            return FX_ERR_LAYOUT;
        }
    }

    const uint32_t scale_off = fx_rd32(blob + 44);
    if (scale_off != 0) {
        if (!span_ok(scale_off, m.n_channels, FX_MODEL_SCALE_BYTES, payload_end)) {
            return FX_ERR_LAYOUT;
        }
        m.input_scale = blob + scale_off;
        for (uint16_t c = 0; c < m.n_channels; ++c) {
            const uint8_t *rec = m.input_scale + (uint32_t)c * FX_MODEL_SCALE_BYTES;
            if (rec[0] > FX_UNIT_OTHER || rec[1] || rec[2] || rec[3] || (rec[0] != FX_UNIT_COUNTS) != (fx_rd32(rec + 4) != 0)) {
                return FX_ERR_PARAM;
            }
        }
    }
    *model = m;
    return FX_OK;
}

fx_unit fx_model_unit(const fx_model *model, uint16_t channel)
{
    if (model->input_scale == NULL || channel >= model->n_channels) {
        return FX_UNIT_COUNTS;
    }
    return (fx_unit)model->input_scale[(uint32_t)channel * FX_MODEL_SCALE_BYTES];
}

uint32_t fx_model_counts_per_unit_q16(const fx_model *model, uint16_t channel)
{
    if (model->input_scale == NULL || channel >= model->n_channels) {
        return 0;
    }
    return fx_rd32(model->input_scale + (uint32_t)channel * FX_MODEL_SCALE_BYTES + 4u);
}

fx_status fx_model_run(const fx_model *model, const int16_t *window, fx_scratch *scratch,
                       fx_result *result)
{
    if (model == NULL || window == NULL || scratch == NULL || result == NULL) {
        return FX_ERR_ARG;
    }
    const fx_plan *plan = &model->plan;
    fx_status status = fx_features_run(&model->features, window, scratch->features, scratch->act,
                                       (fx_variant)plan->features);
    if (status != FX_OK) {
        return status;
    }
    fx_activations *in = &scratch->act[0];
    fx_activations *out = &scratch->act[1];
    status = fx_quantize_input(&model->input, scratch->features, in, (fx_variant)plan->input);
    for (uint8_t k = 0; status == FX_OK && k < model->n_layers; ++k) {
        status = fx_dense_run(&model->layers[k], in, out, (fx_variant)plan->dense[k]);
        fx_activations *next = out;
        out = in;
        in = next;
    }
    if (status == FX_OK) {
        status = fx_softmax_q15(in->logits, model->n_classes, result->prob_q15, &result->class_index);
        result->n_classes = model->n_classes;
    }
    return status;
}
