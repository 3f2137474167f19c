/* fx_model.c: validating parser for .fxm blobs and the feature -> dense -> softmax pipeline. */
#include "fx_model.h"

#include <string.h>

#include "fx_bytes.h"

/* An array of count elements of size bytes at offset lies inside the payload (before the CRC),
   after the header. */
static int span_ok(uint32_t offset, uint32_t count, uint32_t size, uint32_t header_bytes, uint32_t payload_end)
{
    if ((offset & 3u) != 0 || offset < header_bytes || offset > payload_end) {
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

static fx_status parse_layer(const uint8_t *blob, const uint8_t *rec, uint32_t header_bytes, uint32_t payload_end,
                             fx_dense *layer)
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
    if (!span_ok(w_off, n_pairs, 2, header_bytes, payload_end) ||
        !span_ok(b_off, layer->out_len, 4, header_bytes, payload_end) ||
        !span_ok(m_off, layer->out_len, 4, header_bytes, payload_end) ||
        !span_ok(s_off, layer->out_len, 4, header_bytes, payload_end)) {
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

/* The sections of a format-3 blob that this build takes, found in its section table. */
typedef struct {
    const uint8_t *features;      /* FX_MODEL_SECTION_FEATURES, or NULL */
    uint32_t features_bytes;
    const uint8_t *input_compact; /* FX_MODEL_SECTION_INPUT_COMPACT, or NULL */
    uint32_t input_compact_bytes;
    const uint8_t *decision;      /* FX_MODEL_SECTION_DECISION, or NULL */
    uint32_t decision_bytes;
} sections;

/* The section table: FX_ERR_LAYOUT for a table or a section outside the payload, misaligned or
   empty; FX_ERR_PARAM for a reserved field that is not 0 and for a tag that is unknown or there twice. */
static fx_status parse_sections(const uint8_t *blob, uint32_t payload_end, sections *found)
{
    const uint32_t table = fx_rd32(blob + 48);
    const uint16_t n = fx_rd16(blob + 52);
    memset(found, 0, sizeof *found);
    if (fx_rd16(blob + 54) != 0) {
        return FX_ERR_PARAM;
    }
    if (table == 0) {
        return n == 0 ? FX_OK : FX_ERR_LAYOUT;
    }
    if (!span_ok(table, n, FX_MODEL_SECTION_BYTES, FX_MODEL_HEADER_BYTES, payload_end)) {
        return FX_ERR_LAYOUT;
    }
    for (uint16_t k = 0; k < n; ++k) {
        const uint8_t *rec = blob + table + (uint32_t)k * FX_MODEL_SECTION_BYTES;
        const uint16_t tag = fx_rd16(rec);
        const uint32_t offset = fx_rd32(rec + 4);
        const uint32_t bytes = fx_rd32(rec + 8);
        const uint8_t **slot = tag == FX_MODEL_SECTION_FEATURES        ? &found->features
                               : tag == FX_MODEL_SECTION_INPUT_COMPACT ? &found->input_compact
                               : tag == FX_MODEL_SECTION_DECISION      ? &found->decision
                                                                       : NULL;
        if (fx_rd16(rec + 2) != 0 || slot == NULL || *slot != NULL) {
            return FX_ERR_PARAM;
        }
        if (bytes == 0 || !span_ok(offset, bytes, 1, FX_MODEL_HEADER_BYTES, payload_end)) {
            return FX_ERR_LAYOUT;
        }
        *slot = blob + offset;
        if (tag == FX_MODEL_SECTION_FEATURES) {
            found->features_bytes = bytes;
        } else if (tag == FX_MODEL_SECTION_DECISION) {
            found->decision_bytes = bytes;
        } else {
            found->input_compact_bytes = bytes;
        }
    }
    return FX_OK;
}

/* The input quantization: the header's standard arrays, or (format 3) the INPUT_COMPACT section,
   never both (FX_ERR_LAYOUT). */
static fx_status parse_input(const uint8_t *blob, const sections *found, uint32_t header_bytes, uint32_t payload_end,
                             fx_input_quant *input)
{
    const uint32_t iq_off = fx_rd32(blob + 32);
    const uint32_t n = input->n;
    if (found->input_compact != NULL) {
        if (iq_off != 0 || found->input_compact_bytes != FX_PAD4(3u * n)) {
            return FX_ERR_LAYOUT;
        }
        input->compact_offset = (const int16_t *)(const void *)found->input_compact;
        input->compact_shift = found->input_compact + 2u * n;
        for (uint32_t i = 0; i < n; ++i) {
            if (input->compact_shift[i] < 1 || input->compact_shift[i] > 31) {
                return FX_ERR_PARAM;
            }
        }
        for (uint32_t i = 3u * n; i < found->input_compact_bytes; ++i) {
            if (found->input_compact[i] != 0) {
                return FX_ERR_PARAM;
            }
        }
        return FX_OK;
    }
    if (!span_ok(iq_off, 3u * n, 4, header_bytes, payload_end)) {
        return FX_ERR_LAYOUT;
    }
    input->offset = (const int32_t *)(const void *)(blob + iq_off);
    input->mult = input->offset + n;
    input->shift = input->mult + n;
    return params_ok(input->mult, input->shift, n) ? FX_OK : FX_ERR_PARAM;
}

/* The DECISION section (fx_model.h), or the settings of a model without one: LAYOUT for a section
   shorter than its head or of another size than its fields give, LIMIT for more hops than
   FX_MAX_DECISION_HOPS, PARAM for a setting out of range, a negative threshold or a reserved byte or
   padding that is not 0, SHAPE for another class count or centroids of another length than the
   first layer's inputs. */
static fx_status parse_decision(const uint8_t *data, uint32_t bytes, fx_model *m)
{
    m->decision = (fx_decide_config){1, 1, 1, m->n_classes, NULL};
    m->space = (fx_decide_space){0, m->n_classes, NULL, NULL};
    if (data == NULL) {
        return FX_OK;
    }
    if (bytes < FX_MODEL_DECISION_HEAD_BYTES) {
        return FX_ERR_LAYOUT;
    }
    const uint8_t hops = data[0];
    const uint8_t votes = data[1];
    const uint8_t dwell = data[2];
    const uint16_t n_dims = fx_rd16(data + 6);
    const uint32_t n = m->n_classes;
    if (hops > FX_MAX_DECISION_HOPS) {
        return FX_ERR_LIMIT;
    }
    if (data[3] != 0 || data[5] != 0 || hops == 0 || votes == 0 || votes > hops || dwell == 0) {
        return FX_ERR_PARAM;
    }
    if (data[4] != n || (n_dims != 0 && n_dims != m->n_features)) {
        return FX_ERR_SHAPE;
    }
    const uint32_t thresholds_bytes = FX_PAD4(2u * n);
    const uint32_t centroids_bytes = FX_PAD4(n * n_dims);
    if (bytes != FX_MODEL_DECISION_HEAD_BYTES + thresholds_bytes + (n_dims != 0 ? 4u * n + centroids_bytes : 0u)) {
        return FX_ERR_LAYOUT;
    }
    const int16_t *thresholds = (const int16_t *)(const void *)(data + FX_MODEL_DECISION_HEAD_BYTES);
    for (uint32_t c = 0; c < n; ++c) {
        if (thresholds[c] < 0) {
            return FX_ERR_PARAM;
        }
    }
    const uint8_t *centroids = data + FX_MODEL_DECISION_HEAD_BYTES + thresholds_bytes + 4u * n;
    for (uint32_t i = 2u * n; i < thresholds_bytes; ++i) {
        if (data[FX_MODEL_DECISION_HEAD_BYTES + i] != 0) {
            return FX_ERR_PARAM;
        }
    }
    for (uint32_t i = n * n_dims; n_dims != 0 && i < centroids_bytes; ++i) {
        if (centroids[i] != 0) {
            return FX_ERR_PARAM;
        }
    }
    m->decision = (fx_decide_config){hops, votes, dwell, (uint8_t)n, thresholds};
    if (n_dims != 0) {
        m->space = (fx_decide_space){n_dims, (uint8_t)n,
                                     (const uint32_t *)(const void *)(data + FX_MODEL_DECISION_HEAD_BYTES +
                                                                       thresholds_bytes),
                                     (const int8_t *)centroids};
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
    if (blob_len < FX_MODEL_HEADER_BYTES_2 + 4u) {
        return FX_ERR_SIZE;
    }
    if (fx_rd32(blob) != FX_MODEL_MAGIC) {
        return FX_ERR_MAGIC;
    }
    const uint16_t version = fx_rd16(blob + 4);
    const uint32_t header_bytes = fx_rd16(blob + 6);
    if (!(version == FX_MODEL_FORMAT_VERSION && header_bytes == FX_MODEL_HEADER_BYTES) &&
        !(version == FX_MODEL_FORMAT_VERSION_2 && header_bytes == FX_MODEL_HEADER_BYTES_2)) {
        return FX_ERR_VERSION;
    }
    if (blob_len < header_bytes + 4u || fx_rd32(blob + 8) != blob_len) {
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
    if (m.hop_len == 0 || m.hop_len > m.window_len || m.sample_rate_hz == 0) {
        return FX_ERR_SHAPE;
    }
    sections found = {NULL, 0, NULL, 0, NULL, 0};
    fx_status status = version == FX_MODEL_FORMAT_VERSION ? parse_sections(blob, payload_end, &found) : FX_OK;
    if (status != FX_OK) {
        return status;
    }
    status = fx_features_init(&m.features, m.feature_set, found.features, found.features_bytes, m.window_len,
                              m.n_channels);
    if (status != FX_OK) {
        return status;
    }
    if (m.n_features != m.features.n_features) {
        return FX_ERR_SHAPE;
    }
    if (fx_features_buffer_size(&m.features) > FX_FEATURE_WORK_BYTES) {
        return FX_ERR_LIMIT;
    }

    m.input.n = m.n_features;
    status = parse_input(blob, &found, header_bytes, payload_end, &m.input);
    if (status != FX_OK) {
        return status;
    }

    const uint32_t layers_off = fx_rd32(blob + 36);
    if (!span_ok(layers_off, m.n_layers, FX_MODEL_LAYER_BYTES, header_bytes, payload_end)) {
        return FX_ERR_LAYOUT;
    }
    uint16_t expected_in = m.n_features;
    for (uint8_t k = 0; k < m.n_layers; ++k) {
        fx_dense *layer = &m.layers[k];
        status = parse_layer(blob, blob + layers_off + (uint32_t)k * FX_MODEL_LAYER_BYTES, header_bytes, payload_end,
                             layer);
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
    if (!span_ok(names_off, m.n_classes, FX_CLASS_NAME_LEN, header_bytes, payload_end)) {
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
        if (!span_ok(scale_off, m.n_channels, FX_MODEL_SCALE_BYTES, header_bytes, payload_end)) {
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
    status = parse_decision(found.decision, found.decision_bytes, &m);
    if (status != FX_OK) {
        return status;
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
    fx_status status = fx_features_run(&model->features, window, scratch->features, scratch->work.feature_buffer,
                                       (fx_variant)plan->features);
    if (status != FX_OK) {
        return status;
    }
    fx_activations *in = &scratch->work.act[0];
    fx_activations *out = &scratch->work.act[1];
    status = fx_quantize_input(&model->input, scratch->features, in, (fx_variant)plan->input);
    result->outside = (uint8_t)(status == FX_OK &&
                                fx_decide_outside(&model->space, in, plan->input == FX_VARIANT_DSP_PAIRS));
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
