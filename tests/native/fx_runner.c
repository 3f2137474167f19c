/* fx_runner.c: feeds binary test cases to the C core; writes its outputs and the variants that ran. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx_dense_m4.h"
#include "fx_frame.h"
#include "fx_model.h"
#include "fx_pipeline.h"

/* The case file, read as the kernels ask for it: a Cortex-M4 build in QEMU has 128 KiB of RAM for
   case files of megabytes. take() returns a buffer that the next take() may reuse. */
typedef struct {
    FILE *in;
    uint8_t *buf;
    size_t cap;
} reader;

static const void *take(reader *r, size_t n)
{
    if (n > r->cap) {
        free(r->buf);
        r->cap = n < 256u ? 256u : n;
        r->buf = malloc(r->cap);
    }
    if (r->buf == NULL || fread(r->buf, 1, n, r->in) != n) {
        fprintf(stderr, "fx_runner: truncated input\n");
        exit(2);
    }
    return r->buf;
}

static void write_u32(FILE *out, uint32_t v)
{
    fwrite(&v, 4, 1, out);
}

static uint32_t take_u32(reader *r)
{
    uint32_t v;
    memcpy(&v, take(r, 4), 4);
    return v;
}

/* Read n bytes of input into a fresh aligned allocation of their own, so kernels see aligned arrays
   (and the reader's buffer does not grow to the largest of them). */
static void *take_copy(reader *r, size_t n)
{
    void *dst = malloc(n + 4u);
    if (dst == NULL || fread(dst, 1, n, r->in) != n) {
        fprintf(stderr, "fx_runner: truncated input\n");
        exit(2);
    }
    return dst;
}

/* softmax: u32 cases, then per case u32 n and int32 logits[n] -> u32 status, u32 argmax, int16 p[n] */
static void run_softmax(reader *r, FILE *out)
{
    const uint32_t cases = take_u32(r);
    for (uint32_t c = 0; c < cases; ++c) {
        const uint32_t n = take_u32(r);
        int32_t *logits = take_copy(r, (size_t)n * 4u);
        int16_t prob[FX_MAX_CLASSES + 1] = {0};
        uint16_t best = 0;
        const uint32_t status = (uint32_t)fx_softmax_q15(logits, (uint16_t)n, prob, &best);
        const uint32_t best32 = best;
        fwrite(&status, 4, 1, out);
        fwrite(&best32, 4, 1, out);
        fwrite(prob, 2, n, out);
        free(logits);
    }
}

/* One layer: u32 in_len, out_len, flags, first; blocked int16 row-pair weights (fx_kernels.h); int32 bias,
   mult, shift [out_len]; u32 count; int8 inputs [count][pad4(in_len)] -> u32 variant (fx_dense_plan's),
   then per input u32 status and int8 [pad4(out)] or int32 [out_len] logits. A layer after another
   takes its inputs as int8; a first layer (first 1) as the input quantization writes them for it,
   which on a Cortex-M4 is its pairs where the whole-layer variant takes the layer. */
static void dense_layer(reader *r, FILE *out)
{
    fx_dense layer = {0};
    layer.in_len = (uint16_t)take_u32(r);
    layer.out_len = (uint16_t)take_u32(r);
    layer.flags = (uint8_t)take_u32(r);
    const uint32_t first = take_u32(r);
    const size_t n_w = (size_t)FX_PAD4(layer.out_len) * FX_PAD4(layer.in_len);
    layer.weights = take_copy(r, n_w);
    layer.bias = take_copy(r, layer.out_len * 4u);
    layer.mult = take_copy(r, layer.out_len * 4u);
    layer.shift = take_copy(r, layer.out_len * 4u);
#if FX_DSP
    const int pairs = first && fx_dense_whole_layer_m4(&layer);
#else
    const int pairs = 0;
    (void)first;
#endif
    const fx_variant variant = fx_dense_plan(&layer, pairs);
    write_u32(out, variant);
    const uint32_t count = take_u32(r);
    const size_t in_pad = FX_PAD4(layer.in_len);
    for (uint32_t c = 0; c < count; ++c) {
        static fx_activations y;
        /* the inputs in an allocation of their own size, so that the sanitizers see a read past them */
        fx_activations *in = take_copy(r, in_pad);
        if (pairs) {
            /* per four inputs x0..x3 the words (x0, x2) and (x1, x3) of int16 lanes, lane 0 low */
            fx_activations *as_pairs = malloc(in_pad * 2u);
            for (size_t i = 0; i < in_pad; ++i) {
                const uint32_t lane = (uint16_t)(int16_t)in->s8[i];
                uint32_t *word = &as_pairs->pairs[i / 4u * 2u + (i & 1u)];
                *word = (i & 2u) ? (*word | lane << 16) : lane;
            }
            free(in);
            in = as_pairs;
        }
        write_u32(out, (uint32_t)fx_dense_run(&layer, in, &y, variant));
        if (layer.flags & FX_DENSE_LOGITS) {
            fwrite(y.logits, 4, layer.out_len, out);
        } else {
            fwrite(y.s8, 1, FX_PAD4(layer.out_len), out);
        }
        free(in);
    }
    free((void *)layer.weights);
    free((void *)layer.bias);
    free((void *)layer.mult);
    free((void *)layer.shift);
}

/* dense: u32 layers, then each as dense_layer reads and writes it. */
static void run_dense(reader *r, FILE *out)
{
    const uint32_t layers = take_u32(r);
    for (uint32_t k = 0; k < layers; ++k) {
        dense_layer(r, out);
    }
}

/* One window shape: u32 window_len, n_channels, n_segments, count; int16 windows -> u32 status of the
   stage's set-up, u32 variant (fx_features_plan's), then per window u32 status, int32 features. */
static void features_shape(reader *r, FILE *out)
{
    const uint32_t len = take_u32(r);
    const uint32_t ch = take_u32(r);
    const uint32_t segments = take_u32(r);
    const uint32_t count = take_u32(r);
    fx_feature_stage stage;
    const fx_status init = fx_features_stats_init(&stage, (uint16_t)len, (uint16_t)ch, (uint8_t)segments);
    const fx_variant variant = init == FX_OK ? fx_features_plan(&stage) : FX_VARIANT_PORTABLE;
    write_u32(out, (uint32_t)init);
    write_u32(out, variant);
    for (uint32_t c = 0; c < count; ++c) {
        int16_t *window = take_copy(r, (size_t)len * ch * 2u);
        int32_t f[FX_MAX_CHANNELS * (FX_MAX_SEGMENTS + 4u)] = {0};
        write_u32(out, init == FX_OK ? (uint32_t)fx_features_run(&stage, window, f, NULL, variant) : (uint32_t)init);
        fwrite(f, 4, ch * (segments + 4u), out);
        free(window);
    }
}

/* features: u32 shapes, then each as features_shape reads and writes it. */
static void run_features(reader *r, FILE *out)
{
    const uint32_t shapes = take_u32(r);
    for (uint32_t k = 0; k < shapes; ++k) {
        features_shape(r, out);
    }
}

/* ---- feature sets with a FEATURES section: spectral, rocket ---------------------------------------- */

/* One stage set up by init (fx_features_spectral_init, fx_features_rocket_init) from its FEATURES section
   (absent when params_bytes is 0): u32 window_len, n_channels, params_bytes, the section padded to 4, u32 count, int16 windows -> u32 status of the set-up,
   u32 variant (fx_features_plan's), u32 n_features, u32 buffer_size, then per window u32 status and int32
   features[n_features]. The working memory is 4-aligned but not 8-aligned, and exactly buffer_size long,
   so that the sanitizers see a write past it. */
static void section_stage(reader *r, FILE *out, fx_feature_init_fn *init)
{
    const uint32_t len = take_u32(r);
    const uint32_t ch = take_u32(r);
    const uint32_t params_bytes = take_u32(r);
    uint8_t *params = take_copy(r, FX_PAD4(params_bytes));
    const uint32_t count = take_u32(r);
    fx_feature_stage stage;
    const fx_status status = init(&stage, params_bytes ? params : NULL, params_bytes, (uint16_t)len, (uint16_t)ch);
    const fx_variant variant = status == FX_OK ? fx_features_plan(&stage) : FX_VARIANT_PORTABLE;
    const uint32_t n_features = status == FX_OK ? stage.n_features : 0u;
    const uint32_t buffer_size = status == FX_OK ? fx_features_buffer_size(&stage) : 0u;
    write_u32(out, (uint32_t)status);
    write_u32(out, variant);
    write_u32(out, n_features);
    write_u32(out, buffer_size);
    uint8_t *memory = malloc(buffer_size + 4u);
    uint8_t *buffer = memory + ((uintptr_t)memory & 4u ? 0u : 4u);
    int32_t *features = malloc(n_features * 4u + 4u);
    for (uint32_t c = 0; c < count; ++c) {
        int16_t *window = take_copy(r, (size_t)len * ch * 2u);
        write_u32(out, status == FX_OK ? (uint32_t)fx_features_run(&stage, window, features, buffer, variant) : (uint32_t)status);
        fwrite(features, 4, n_features, out);
        free(window);
    }
    free(features);
    free(memory);
    free(params);
}

/* spectral and rocket: u32 stages, then each as section_stage reads and writes it. */
static void run_sections(reader *r, FILE *out, fx_feature_init_fn *init)
{
    const uint32_t stages = take_u32(r);
    for (uint32_t k = 0; k < stages; ++k) {
        section_stage(r, out, init);
    }
}

/* requant: u32 count; (int32 value, mult, shift) -> int64 */
static void run_requant(reader *r, FILE *out)
{
    const uint32_t count = take_u32(r);
    for (uint32_t c = 0; c < count; ++c) {
        int32_t v[3];
        memcpy(v, take(r, 12), 12);
        const int64_t y = fx_requantize(v[0], v[1], v[2]);
        fwrite(&y, 8, 1, out);
    }
}

/* fx_quantize_input on one case, planned for a first layer (first) that does or does not read the
   pairs: u32 variant, u32 status and the int8 outputs padded to 4 (from the pairs where it wrote them). */
static void quantize_case(const fx_input_quant *q, const int32_t *features, const fx_dense *first, FILE *out)
{
    static fx_activations y;
    const fx_variant variant = fx_quantize_input_plan(q, first);
    write_u32(out, variant);
    write_u32(out, (uint32_t)fx_quantize_input(q, features, &y, variant));
    int8_t values[FX_PAD4(FX_MAX_FEATURES)];
    for (uint32_t i = 0; i < FX_PAD4(q->n); ++i) {
        /* pairs: per four inputs the words (x0, x2) and (x1, x3), lane 0 low */
        const uint32_t word = y.pairs[i / 4u * 2u + (i & 1u)];
        values[i] = variant == FX_VARIANT_DSP_PAIRS ? (int8_t)(i & 2u ? word >> 16 : word) : y.s8[i];
    }
    fwrite(values, 1, FX_PAD4(q->n), out);
}

/* quantize: u32 count; per case u32 n, u32 form (0 standard, 1 compact), int32 features [n], then the
   standard form's int32 offset, mult, shift [n] or the compact form's int32 offset, shift [n] (within
   int16 and [1, 31]) -> the case planned before a logits layer, then before a layer of the whole-layer
   variant's shape (which a Cortex-M4 build feeds with the pairs where the shifts allow): each as
   quantize_case writes it. */
static void run_quantize(reader *r, FILE *out)
{
    static const int32_t shifts_33[4] = {33, 33, 33, 33};
    const fx_dense logits_layer = {.shift = shifts_33, .in_len = 4, .out_len = 4, .flags = FX_DENSE_LOGITS};
    const fx_dense whole_layer = {.shift = shifts_33, .in_len = 4, .out_len = 4};
    const uint32_t count = take_u32(r);
    for (uint32_t c = 0; c < count; ++c) {
        const uint32_t n = take_u32(r);
        const uint32_t compact = take_u32(r);
        int32_t *features = take_copy(r, n * 4u);
        fx_input_quant q = {.n = (uint16_t)n};
        int16_t *compact_offset = NULL;
        uint8_t *compact_shift = NULL;
        if (compact) {
            const int32_t *offset = take(r, n * 4u);
            compact_offset = malloc(n * 2u);
            for (uint32_t i = 0; i < n; ++i) {
                compact_offset[i] = (int16_t)offset[i];
            }
            const int32_t *shift = take(r, n * 4u);
            compact_shift = malloc(n);
            for (uint32_t i = 0; i < n; ++i) {
                compact_shift[i] = (uint8_t)shift[i];
            }
            q.compact_offset = compact_offset;
            q.compact_shift = compact_shift;
        } else {
            q.offset = take_copy(r, n * 4u);
            q.mult = take_copy(r, n * 4u);
            q.shift = take_copy(r, n * 4u);
        }
        quantize_case(&q, features, &logits_layer, out);
        quantize_case(&q, features, &whole_layer, out);
        free(features);
        free((void *)q.offset);
        free((void *)q.mult);
        free((void *)q.shift);
        free(compact_offset);
        free(compact_shift);
    }
}

/* model: u32 blob_len, blob (padded to 4), u32 count, int16 windows -> u32 parse status, then for a
   parsed model its plan (u32 features and input variants, u32 n_layers, u32 variant per layer) and per
   window u32 status, u32 class, int16 p[n_classes] */
static void run_model(reader *r, FILE *out)
{
    const uint32_t blob_len = take_u32(r);
    uint8_t *blob = take_copy(r, FX_PAD4(blob_len));
    fx_model model;
    const uint32_t parse_status = (uint32_t)fx_model_parse(blob, blob_len, &model);
    fwrite(&parse_status, 4, 1, out);
    const uint32_t count = take_u32(r);
    if (parse_status == FX_OK) {
        write_u32(out, model.plan.features);
        write_u32(out, model.plan.input);
        write_u32(out, model.n_layers);
        for (uint8_t k = 0; k < model.n_layers; ++k) {
            write_u32(out, model.plan.dense[k]);
        }
        static fx_scratch scratch;
        for (uint32_t c = 0; c < count; ++c) {
            int16_t *window = take_copy(r, (size_t)model.window_len * model.n_channels * 2u);
            fx_result result;
            const uint32_t status = (uint32_t)fx_model_run(&model, window, &scratch, &result);
            const uint32_t cls = result.class_index;
            fwrite(&status, 4, 1, out);
            fwrite(&cls, 4, 1, out);
            fwrite(result.prob_q15, 2, model.n_classes, out);
            free(window);
        }
    }
    free(blob);
}

/* parse: u32 count; per blob u32 blob_len, blob (padded to 4) -> u32 fx_model_parse status */
static void run_parse(reader *r, FILE *out)
{
    const uint32_t count = take_u32(r);
    for (uint32_t c = 0; c < count; ++c) {
        const uint32_t blob_len = take_u32(r);
        uint8_t *blob = take_copy(r, FX_PAD4(blob_len));
        fx_model model;
        write_u32(out, (uint32_t)fx_model_parse(blob, blob_len, &model));
        free(blob);
    }
}

/* decide: u32 cases; per case u32 n_classes, hops, votes, dwell, has_thresholds, int16 thresholds[n_classes]
   (when it has them), u32 n_hops, then per hop u32 restart (1: fx_decide_restart before it), u32 vote,
   int16 prob[n_classes] -> u32 init status, then per hop u32 status, u32 decided, u32 changed, int32 prob.
   The settings are taken as they come, so that fx_decide_init's refusals are seen too. */
static void run_decide(reader *r, FILE *out)
{
    const uint32_t cases = take_u32(r);
    for (uint32_t k = 0; k < cases; ++k) {
        fx_decide_config config = {0};
        const uint32_t n = take_u32(r);
        config.n_classes = (uint8_t)n;
        config.hops = (uint8_t)take_u32(r);
        config.votes = (uint8_t)take_u32(r);
        config.dwell = (uint8_t)take_u32(r);
        int16_t *thresholds = take_u32(r) ? take_copy(r, n * 2u) : NULL;
        config.threshold_q15 = thresholds;
        static fx_decider decider;
        const uint32_t init = (uint32_t)fx_decide_init(&decider, &config);
        write_u32(out, init);
        const uint32_t hops = take_u32(r);
        for (uint32_t t = 0; t < hops; ++t) {
            const uint32_t restart = take_u32(r);
            const uint32_t vote = take_u32(r);
            int16_t *prob = take_copy(r, n * 2u);
            fx_decision d = {0, 0, 0};
            if (restart && init == FX_OK) {
                fx_decide_restart(&decider);
            }
            write_u32(out, init == FX_OK ? (uint32_t)fx_decide_push(&decider, prob, (uint8_t)vote, &d) : init);
            write_u32(out, d.decided);
            write_u32(out, d.changed);
            write_u32(out, (uint32_t)(int32_t)d.prob_q15);
            free(prob);
        }
        free(thresholds);
    }
}

static uint32_t no_cycles(void *ctx)
{
    (void)ctx;
    return 0;
}

/* pipeline: u32 blob_len, blob (padded to 4), u32 hops, votes, dwell (fx_decide_settings, 0 keeps the
   model's), u32 n_samples, u32 n_channels, int16 samples[n_samples][n_channels], u32 n_gaps, u32 gap[n_gaps] (sample
   indices before which fx_pipeline_gap runs) -> u32 parse status; for a parsed model its plan's input
   variant and its n_classes, then per hop u32 hop_index, samples, class, outside, decided, changed, int32 smoothed prob,
   int16 p[n_classes], ending with u32 0xFFFFFFFF. */
static void run_pipeline(reader *r, FILE *out)
{
    const uint32_t blob_len = take_u32(r);
    uint8_t *blob = take_copy(r, FX_PAD4(blob_len));
    static fx_model model;
    static fx_pipeline pipeline;
    static int16_t window[FX_MAX_WINDOW_VALUES];
    const uint32_t parse_status = (uint32_t)fx_model_parse(blob, blob_len, &model);
    fx_decide_settings settings;
    settings.hops = (uint8_t)take_u32(r);
    settings.votes = (uint8_t)take_u32(r);
    settings.dwell = (uint8_t)take_u32(r);
    const uint32_t n = take_u32(r);
    const uint32_t ch = take_u32(r);
    write_u32(out, parse_status);
    int16_t *samples = take_copy(r, (size_t)n * ch * 2u);
    const uint32_t n_gaps = take_u32(r);
    uint32_t *gaps = take_copy(r, n_gaps * 4u);
    if (parse_status == FX_OK && ch == model.n_channels) {
        write_u32(out, model.plan.input);
        write_u32(out, model.n_classes);
        fx_pipeline_init(&pipeline, &model, window, no_cycles, NULL);
        fx_pipeline_decide_settings(&pipeline, &settings);
        (void)fx_pipeline_start(&pipeline, NULL);
        uint32_t next_gap = 0;
        for (uint32_t t = 0; t < n; ++t) {
            while (next_gap < n_gaps && gaps[next_gap] == t) {
                fx_pipeline_gap(&pipeline);
                ++next_gap;
            }
            fx_pipeline_output o;
            if (fx_pipeline_push(&pipeline, samples + (size_t)t * model.n_channels, &o)) {
                const uint32_t fields[7] = {o.hop_index, o.samples, o.result.class_index, o.result.outside,
                                            o.decision.decided, o.decision.changed,
                                            (uint32_t)(int32_t)o.decision.prob_q15};
                fwrite(fields, 4, 7, out);
                fwrite(o.result.prob_q15, 2, model.n_classes, out);
            }
        }
        write_u32(out, 0xFFFFFFFFu);
    }
    free(gaps);
    free(samples);
    free(blob);
}

static uint8_t wire[FX_PROTO_MAX_ENCODED + 16];
static size_t wire_len;

static void capture(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    if (wire_len + len <= sizeof wire) {
        memcpy(wire + wire_len, data, len);
    }
    wire_len += len;
}

/* sensor: u32 cases; per case u32 n_channels, in_rate_millihertz, out_rate_millihertz, int32 mult[n], u32 shift[n],
   u32 n_samples, int16 samples[n_samples][n] -> u32 status, u32 n_out, int16 out[n_out][n]. */
static void run_sensor(reader *r, FILE *out)
{
    const uint32_t cases = take_u32(r);
    for (uint32_t k = 0; k < cases; ++k) {
        const uint32_t ch = take_u32(r);
        const uint32_t in_rate = take_u32(r);
        const uint32_t out_rate = take_u32(r);
        int32_t mult[FX_MAX_CHANNELS] = {0};
        uint8_t shift[FX_MAX_CHANNELS] = {0};
        for (uint32_t c = 0; c < ch; ++c) {
            mult[c] = (int32_t)take_u32(r);
        }
        for (uint32_t c = 0; c < ch; ++c) {
            shift[c] = (uint8_t)take_u32(r);
        }
        const uint32_t n = take_u32(r);
        int16_t *in = take_copy(r, (size_t)n * ch * 2u);
        fx_sensor_path path;
        const uint32_t status = (uint32_t)fx_sensor_path_init(&path, (uint8_t)ch, mult, shift, in_rate, out_rate);
        /* At most ceil((n - 1) q / p) outputs for n inputs. */
        const uint64_t most = status == 0 && n > 0 ? ((uint64_t)(n - 1u) * path.q + path.p - 1u) / path.p : 0u;
        int16_t *y = malloc(((size_t)most + 1u) * ch * 2u);
        uint32_t n_out = 0;
        for (uint32_t i = 0; status == 0 && i < n; ++i) {
            n_out += fx_sensor_path_push(&path, in + (size_t)i * ch, y + (size_t)n_out * ch);
        }
        fwrite(&status, 4, 1, out);
        fwrite(&n_out, 4, 1, out);
        fwrite(y, 2, (size_t)n_out * ch, out);
        free(y);
        free(in);
    }
}

/* scale: u32 count; pairs u32 nano_units_per_count, u32 counts_per_unit_q16 -> u32 status, int32 mult, u32 shift */
static void run_scale(reader *r, FILE *out)
{
    const uint32_t count = take_u32(r);
    for (uint32_t k = 0; k < count; ++k) {
        const uint32_t nano = take_u32(r);
        const uint32_t cpu = take_u32(r);
        int32_t mult = 0;
        uint8_t shift = 0;
        const uint32_t status = (uint32_t)fx_scale_factor(nano, cpu, &mult, &shift);
        const uint32_t shift32 = shift;
        fwrite(&status, 4, 1, out);
        fwrite(&mult, 4, 1, out);
        fwrite(&shift32, 4, 1, out);
    }
}

/* frames: u32 count; per frame u32 type, u32 seq, u32 len, payload -> u32 wire_len, the encoded
   bytes, then u32 body_len and the body that fx_cobs_decode_in_place recovers from them. */
static void run_frames(reader *r, FILE *out)
{
    const fx_port port = {.write = capture, .board_name = "runner"};
    const uint32_t count = take_u32(r);
    for (uint32_t c = 0; c < count; ++c) {
        const uint32_t type = take_u32(r);
        const uint32_t seq = take_u32(r);
        const uint32_t len = take_u32(r);
        const uint8_t *payload = take(r, len);
        fx_frame_writer w;
        wire_len = 0;
        fx_frame_begin(&w, &port, (uint8_t)type, (uint16_t)seq, (uint16_t)len);
        fx_frame_put(&w, payload, len);
        fx_frame_end(&w);
        const uint32_t n = (uint32_t)wire_len;
        fwrite(&n, 4, 1, out);
        fwrite(wire, 1, n, out);
        const uint32_t body = n > 0 ? (uint32_t)fx_cobs_decode_in_place(wire, n - 1u) : 0;
        fwrite(&body, 4, 1, out);
        fwrite(wire, 1, body, out);
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: fx_runner softmax|dense|features|spectral|rocket|requant|quantize|model|parse|frames|sensor|"
                        "scale|decide|pipeline "
                        "IN OUT\n");
        return 2;
    }
    FILE *in = fopen(argv[2], "rb");
    FILE *out = fopen(argv[3], "wb");
    if (in == NULL || out == NULL) {
        fprintf(stderr, "fx_runner: cannot open %s or %s\n", argv[2], argv[3]);
        return 2;
    }
    reader r = {in, NULL, 0};
    /* Every output starts with the variants this build has: 1 with the Cortex-M4 DSP ones. */
    write_u32(out, FX_DSP);
    if (strcmp(argv[1], "softmax") == 0) {
        run_softmax(&r, out);
    } else if (strcmp(argv[1], "dense") == 0) {
        run_dense(&r, out);
    } else if (strcmp(argv[1], "features") == 0) {
        run_features(&r, out);
    } else if (strcmp(argv[1], "spectral") == 0) {
        run_sections(&r, out, fx_features_spectral_init);
    } else if (strcmp(argv[1], "rocket") == 0) {
        run_sections(&r, out, fx_features_rocket_init);
    } else if (strcmp(argv[1], "requant") == 0) {
        run_requant(&r, out);
    } else if (strcmp(argv[1], "frames") == 0) {
        run_frames(&r, out);
    } else if (strcmp(argv[1], "quantize") == 0) {
        run_quantize(&r, out);
    } else if (strcmp(argv[1], "model") == 0) {
        run_model(&r, out);
    } else if (strcmp(argv[1], "parse") == 0) {
        run_parse(&r, out);
    } else if (strcmp(argv[1], "sensor") == 0) {
        run_sensor(&r, out);
    } else if (strcmp(argv[1], "scale") == 0) {
        run_scale(&r, out);
    } else if (strcmp(argv[1], "decide") == 0) {
        run_decide(&r, out);
    } else if (strcmp(argv[1], "pipeline") == 0) {
        run_pipeline(&r, out);
    } else {
        fprintf(stderr, "fx_runner: unknown kernel %s\n", argv[1]);
        return 2;
    }
    fclose(out);
    fclose(in);
    free(r.buf);
    return 0;
}
