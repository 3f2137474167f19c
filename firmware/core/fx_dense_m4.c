/* fx_dense_m4.c: the Cortex-M4 variants of the input quantization and the dense layers around the loops of fx_dense_m4.S; compiles to nothing without FX_DSP. */
#include "fx_dense_m4.h"

#if FX_DSP

int fx_shifts_from_33_m4(const int32_t *shift, uint16_t n)
{
    for (uint16_t i = 0; i < n; ++i) {
        if (shift[i] < 33) {
            return 0;
        }
    }
    return 1;
}

/* One feature at a time into int8, with the arithmetic of fx_quantize_input_pairs_m4. */
void fx_quantize_input_m4(const fx_input_quant *q, const int32_t *features, int8_t *out)
{
    for (uint32_t i = 0; i < q->n; ++i) {
        const int32_t high = fx_smull_high(fx_qsub(features[i], q->offset[i]), q->mult[i]);
        out[i] = (int8_t)fx_ssat8_half(high >> (q->shift[i] - 33));
    }
}

#endif
