/* fuzz_model.c: libFuzzer target for fx_model_parse and, on blobs it accepts, fx_model_run. */
#include <stdlib.h>
#include <string.h>

#include "fx_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size heap copy: ASan reports any read past the blob. */
    uint8_t *blob = malloc(size ? size : 1);
    memcpy(blob, data, size);
    fx_model model;
    if (fx_model_parse(blob, (uint32_t)size, &model) == FX_OK) {
        static fx_scratch scratch;
        const size_t values = (size_t)model.window_len * model.n_channels;
        int16_t *window = calloc(values, sizeof *window);
        for (size_t i = 0; i < values; ++i) {
            window[i] = (int16_t)(i * 2654435761u);
        }
        fx_result result;
        if (fx_model_run(&model, window, &scratch, &result) != FX_OK) {
            abort(); /* a validated model must always run */
        }
        free(window);
    }
    free(blob);
    return 0;
}
