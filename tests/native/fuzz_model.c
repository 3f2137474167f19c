/* fuzz_model.c: libFuzzer target for fx_model_parse and, on blobs it accepts, fx_model_run and its decisions. */
#include <stdlib.h>
#include <string.h>

#include "fx_bytes.h"
#include "fx_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A validated model must always run, and its decision settings always work: a few hops of the same
   window through a decider set up from them. */
static void run(const fx_model *model)
{
    static fx_scratch scratch;
    static fx_decider decider;
    const size_t values = (size_t)model->window_len * model->n_channels;
    int16_t *window = calloc(values, sizeof *window);
    for (size_t i = 0; i < values; ++i) {
        window[i] = (int16_t)(i * 2654435761u);
    }
    fx_result result;
    if (fx_model_run(model, window, &scratch, &result) != FX_OK || fx_decide_init(&decider, &model->decision) != FX_OK) {
        abort();
    }
    const uint8_t vote = result.outside ? (uint8_t)FX_DECISION_UNKNOWN : (uint8_t)result.class_index;
    for (uint32_t hop = 0; hop <= model->decision.hops; ++hop) {
        fx_decision decision;
        if (fx_decide_push(&decider, result.prob_q15, vote, &decision) != FX_OK) {
            abort();
        }
    }
    free(window);
}

static void parse(const uint8_t *blob, size_t size)
{
    fx_model model;
    if (fx_model_parse(blob, (uint32_t)size, &model) == FX_OK) {
        run(&model);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size heap copy: ASan reports any read past the blob. */
    uint8_t *blob = malloc(size ? size : 1);
    memcpy(blob, data, size);
    parse(blob, size);
    /* The same blob with its length and CRC mended, so that mutations reach what the parser checks
       after them (the header's fields, the section table, the sections, the layers). */
    if (size >= FX_MODEL_HEADER_BYTES_2 + 4u) {
        fx_wr32(blob + 8, (uint32_t)size);
        fx_wr32(blob + size - 4u, fx_crc32(0, blob, size - 4u));
        parse(blob, size);
    }
    free(blob);
    return 0;
}
