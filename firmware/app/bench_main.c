/* bench_main.c: bench image: one inference and its kernels between marker calls, then exit.
 * An instruction counter (QEMU's exec log, or a debugger on DWT CYCCNT) measures the code between
 * each fx_bench_begin and the following fx_bench_end; the segments run in this order:
 *   1. fx_model_run on one window (the whole inference)
 *   2. fx_features_run on the same window (the feature stage)
 *   3. fx_quantize_input on its features (the feature scaling)
 *   4. fx_dense_run on each layer of the model, in order
 *   5. fx_softmax_q15 over the model's n_classes logits
 *   6. fx_softmax_q15 over FX_MAX_CLASSES logits (to separate per-class from fixed cost)
 *   7. fx_features_run on each window shape of feature_shapes[], in order
 *   8. fx_quantize_input of the compact input stage on COMPACT_FEATURES features, in the variant its
 *      plan gives it
 *   9. for each spectral bench model of bench_spectral.h, in order: fx_model_run, then the feature
 *      stage, the scaling, the dense layers together and the softmax
 *  10. the same for each rocket bench model of bench_rocket.h
 *  11. the decision stage of a hop on the default model (measure_decision): fx_decide_outside over
 *      the window's first-layer inputs against a centroid per class, outside every radius (all
 *      distances computed, the most a hop costs); fx_decide_push with K 3, M 2, dwell 2 on a full
 *      history; the same with K 16 (FX_MAX_DECISION_HOPS)
 * Each stage runs the variant of the model's plan, as in fx_model_run: built with FX_PORTABLE, the
 * image measures the portable C. What the whole inference spends besides 2 to 5 is its call glue
 * and checks ("rest").
 */
#include "fx_decide.h"
#include "fx_model.h"

extern const uint8_t fx_default_model[];
extern const uint8_t fx_default_model_end[];

void fx_bench_begin(void);
void fx_bench_end(void);
int main(void);

__attribute__((noinline)) void fx_bench_begin(void)
{
    __asm volatile("" ::: "memory");
}

__attribute__((noinline)) void fx_bench_end(void)
{
    __asm volatile("" ::: "memory");
}

/* ARM semihosting SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit or RunTimeErrorUnknown. */
static void semihosting_exit(int ok)
{
    register uint32_t op __asm("r0") = 0x18u;
    register uint32_t arg __asm("r1") = ok ? 0x20026u : 0x20023u;
    __asm volatile("bkpt 0xab" : : "r"(op), "r"(arg) : "memory");
    for (;;) {
    }
}

static fx_scratch scratch;
static int16_t window[FX_MAX_WINDOW_VALUES];

/* Window shapes besides the model's for the feature stage: samples, channels, segments
   (host/tools/bench_report.py names them in the same order). */
static const struct {
    uint16_t len;
    uint8_t channels, segments;
} feature_shapes[] = {{100, 6, 4}, {128, 3, 12}, {100, 1, 4}, {192, 12, 12}, {24, 6, 12}};
static int32_t shape_features[FX_MAX_CHANNELS * (FX_MAX_SEGMENTS + 4u)];

/* The compact input stage on as many features as rocket makes at 1008 (12 x 84 kernels). */
#define COMPACT_FEATURES 1008u
static int16_t compact_offset[COMPACT_FEATURES];
static uint8_t compact_shift[COMPACT_FEATURES];

/* The spectral and rocket bench models: format-3 blobs that host/tools/spectral_bench.py and
   rocket_bench.py build from fixed seeds, as words so that each is 4-aligned as fx_model_parse wants. */
typedef struct {
    const uint32_t *blob;
    uint32_t bytes;
} bench_blob;
#include "bench_spectral.h"
_Static_assert(FX_BENCH_SPECTRAL_FORMAT == 1, "bench_spectral.h has another format: run host/tools/spectral_bench.py");
#include "bench_rocket.h"
_Static_assert(FX_BENCH_ROCKET_FORMAT == 1, "bench_rocket.h has another format: run host/tools/rocket_bench.py");

/* A deterministic, sensor-like window: triangle waves of different periods per channel. */
static void fill_window(uint32_t len, uint32_t channels)
{
    for (uint32_t i = 0; i < len * channels; ++i) {
        const uint32_t t = i / channels;
        const uint32_t c = i % channels;
        const int32_t period = (int32_t)(7u + 5u * c);
        const int32_t phase = (int32_t)(t % (uint32_t)period);
        window[i] = (int16_t)((phase < period / 2 ? phase : period - phase) * 900 - 2000 + 300 * (int32_t)c);
    }
}

/* Segments 9 or 10 of one bench model on the window: its inference, then its stages; nonzero where they
   fail or disagree. Kept out of main, whose own instructions between markers count in segments 1 to 8. */
static FX_NOINLINE int measure_model(const bench_blob *b)
{
    fx_model m;
    if (fx_model_parse((const uint8_t *)b->blob, b->bytes, &m) != FX_OK) {
        return 1;
    }
    const fx_plan *plan = &m.plan;
    fill_window(m.window_len, m.n_channels);
    fx_result result;
    fx_bench_begin();
    fx_status status = fx_model_run(&m, window, &scratch, &result);
    fx_bench_end();
    fx_bench_begin();
    status |= fx_features_run(&m.features, window, scratch.features, scratch.work.feature_buffer,
                              (fx_variant)plan->features);
    fx_bench_end();
    fx_bench_begin();
    status |= fx_quantize_input(&m.input, scratch.features, &scratch.work.act[0], (fx_variant)plan->input);
    fx_bench_end();
    uint8_t k = 0;
    fx_bench_begin();
    for (; k < m.n_layers; ++k) {
        status |= fx_dense_run(&m.layers[k], &scratch.work.act[k & 1u], &scratch.work.act[(k + 1u) & 1u],
                               (fx_variant)plan->dense[k]);
    }
    fx_bench_end();
    int16_t prob[FX_MAX_CLASSES];
    uint16_t best;
    fx_bench_begin();
    status |= fx_softmax_q15(scratch.work.act[k & 1u].logits, m.n_classes, prob, &best);
    fx_bench_end();
    return status != FX_OK || best != result.class_index;
}

static int8_t centroids[FX_MAX_CLASSES * FX_MAX_FEATURES / 8u];
static uint32_t radius2[FX_MAX_CLASSES];

/* One push of the decider after it has filled its K hops (the steady state of a stream). */
static fx_status push_full(uint8_t hops, const fx_model *m, const int16_t *prob, uint8_t vote)
{
    static const int16_t thresholds[FX_MAX_CLASSES] = {0};
    const fx_decide_config config = {.hops = hops, .votes = hops > 1u ? 2u : 1u, .dwell = 2u,
                                     .n_classes = m->n_classes, .threshold_q15 = thresholds};
    static fx_decider decider;
    fx_decision decision;
    fx_status status = fx_decide_init(&decider, &config);
    for (uint8_t k = 0; k < hops; ++k) {
        status |= fx_decide_push(&decider, prob, vote, &decision);
    }
    fx_bench_begin();
    status |= fx_decide_push(&decider, prob, vote, &decision);
    fx_bench_end();
    return status;
}

/* Segment 11 on the default model's window, whose inputs and probabilities are worked out here again. */
static FX_NOINLINE int measure_decision(const fx_model *m)
{
    const uint16_t n_dims = m->layers[0].in_len;
    if ((uint32_t)m->n_classes * n_dims > sizeof centroids) {
        return 1;
    }
    for (uint32_t i = 0; i < (uint32_t)m->n_classes * n_dims; ++i) {
        centroids[i] = (int8_t)((i * 37u) % 255u - 127u);
    }
    const fx_decide_space space = {.n_dims = n_dims, .n_classes = m->n_classes, .radius2 = radius2,
                                   .centroid = centroids};
    fill_window(m->window_len, m->n_channels);
    fx_result result;
    fx_status status = fx_model_run(m, window, &scratch, &result);
    status |= fx_features_run(&m->features, window, scratch.features, scratch.work.feature_buffer,
                              (fx_variant)m->plan.features);
    status |= fx_quantize_input(&m->input, scratch.features, &scratch.work.act[0], (fx_variant)m->plan.input);
    fx_bench_begin();
    const int outside = fx_decide_outside(&space, &scratch.work.act[0], m->plan.input == FX_VARIANT_DSP_PAIRS);
    fx_bench_end();
    const uint8_t vote = outside ? (uint8_t)FX_DECISION_UNKNOWN : (uint8_t)result.class_index;
    status |= push_full(3u, m, result.prob_q15, vote);
    status |= push_full(FX_MAX_DECISION_HOPS, m, result.prob_q15, vote);
    return status != FX_OK || !outside;
}

int main(void)
{
    fx_model model;
    if (fx_model_parse(fx_default_model, (uint32_t)(fx_default_model_end - fx_default_model), &model) != FX_OK) {
        semihosting_exit(0);
    }
    const fx_plan *plan = &model.plan;
    fill_window(model.window_len, model.n_channels);
    fx_result result;
    fx_bench_begin();
    const fx_status status = fx_model_run(&model, window, &scratch, &result);
    fx_bench_end();

    /* The stages again, one by one, on the same window and the activations the run left behind. */
    fx_bench_begin();
    fx_status stage_status = fx_features_run(&model.features, window, scratch.features, scratch.work.feature_buffer,
                                             (fx_variant)plan->features);
    fx_bench_end();
    fx_bench_begin();
    stage_status |= fx_quantize_input(&model.input, scratch.features, &scratch.work.act[0], (fx_variant)plan->input);
    fx_bench_end();
    uint8_t k = 0;
    for (; k < model.n_layers; ++k) {
        fx_bench_begin();
        stage_status |= fx_dense_run(&model.layers[k], &scratch.work.act[k & 1u], &scratch.work.act[(k + 1u) & 1u],
                                     (fx_variant)plan->dense[k]);
        fx_bench_end();
    }
    const int32_t *logits = scratch.work.act[k & 1u].logits;

    int16_t prob[FX_MAX_CLASSES];
    uint16_t best;
    fx_bench_begin();
    stage_status |= fx_softmax_q15(logits, model.n_classes, prob, &best);
    fx_bench_end();

    int32_t many[FX_MAX_CLASSES];
    for (uint32_t i = 0; i < FX_MAX_CLASSES; ++i) {
        many[i] = logits[i % model.n_classes] - (int32_t)(i * 9000u);
    }
    fx_bench_begin();
    stage_status |= fx_softmax_q15(many, FX_MAX_CLASSES, prob, &best);
    fx_bench_end();

    for (uint32_t i = 0; i < sizeof feature_shapes / sizeof feature_shapes[0]; ++i) {
        fx_feature_stage stage;
        stage_status |= fx_features_stats_init(&stage, feature_shapes[i].len, feature_shapes[i].channels,
                                               feature_shapes[i].segments);
        const fx_variant variant = fx_features_plan(&stage);
        fill_window(feature_shapes[i].len, feature_shapes[i].channels);
        fx_bench_begin();
        stage_status |= fx_features_run(&stage, window, shape_features, NULL, variant);
        fx_bench_end();
    }

    /* Counts of up to a window's length about offsets near their mean, shifts of 14 to 21. */
    for (uint32_t i = 0; i < COMPACT_FEATURES; ++i) {
        scratch.features[i] = (int32_t)((i * 2654435761u) >> 21);
        compact_offset[i] = (int16_t)(1024 - (int32_t)(i % 61u));
        compact_shift[i] = (uint8_t)(14u + i % 8u);
    }
    const fx_input_quant compact = {.n = COMPACT_FEATURES, .compact_offset = compact_offset,
                                    .compact_shift = compact_shift};
    const fx_variant compact_variant = fx_quantize_input_plan(&compact, &model.layers[0]);
    fx_bench_begin();
    stage_status |= fx_quantize_input(&compact, scratch.features, &scratch.work.act[0], compact_variant);
    fx_bench_end();

    int models_failed = 0;
    for (uint32_t i = 0; i < sizeof bench_spectral_models / sizeof bench_spectral_models[0]; ++i) {
        models_failed |= measure_model(&bench_spectral_models[i]);
    }
    for (uint32_t i = 0; i < sizeof bench_rocket_models / sizeof bench_rocket_models[0]; ++i) {
        models_failed |= measure_model(&bench_rocket_models[i]);
    }

    models_failed |= measure_decision(&model);

    semihosting_exit(status == FX_OK && stage_status == FX_OK && best == result.class_index && !models_failed);
    return 0;
}
