/* fx_quantize.c: the input quantization stage (entry, plan, variants), portable and Cortex-M4 side by side. */
#include "fx_dense_m4.h"
#include "fx_kernels.h"

/* The definition; the Cortex-M4 variants must give the same bits. */
static void quantize_input(const fx_input_quant *q, const int32_t *features, int8_t *out)
{
    for (uint16_t i = 0; i < q->n; ++i) {
        /* Features fit in 31 bits and offsets come from the same range, so the difference
           is computed in 64 bits and saturated before requantization. */
        const int32_t centred = fx_clamp64((int64_t)features[i] - q->offset[i], INT32_MIN, INT32_MAX);
        out[i] = (int8_t)fx_clamp64(fx_requantize(centred, q->mult[i], q->shift[i]), -128, 127);
    }
}

/* The compact form's definition: (feature - offset) * 65536 is below 2^48 in magnitude. */
static void quantize_compact(const fx_input_quant *q, const int32_t *features, int8_t *out)
{
    for (uint16_t i = 0; i < q->n; ++i) {
        const int64_t scaled = ((int64_t)features[i] - q->compact_offset[i]) * 65536;
        const int32_t s = q->compact_shift[i];
        out[i] = (int8_t)fx_clamp64((scaled + ((int64_t)1 << (s - 1))) >> s, -128, 127);
    }
}

#if FX_DSP
/* The same bits on a Cortex-M4 when every shift is at least 33 (FX_VARIANT_DSP), one feature at a
   time, with the arithmetic of fx_quantize_input_pairs_m4: QSUB saturates the centred feature as
   the clamp above does; with q = floor(centred * mult / 2^(shift - 1)), the high word of SMULL
   shifted right by shift - 33, the rounded requantization is floor((q + 1) / 2), and SSAT applies
   that last shift itself as it clamps. */
static void quantize_input_m4(const fx_input_quant *q, const int32_t *features, int8_t *out)
{
    for (uint32_t i = 0; i < q->n; ++i) {
        const int32_t high = fx_smull_high(fx_qsub(features[i], q->offset[i]), q->mult[i]);
        out[i] = (int8_t)fx_ssat8_half(high >> (q->shift[i] - 33));
    }
}

/* The compact form in 32-bit steps (FX_VARIANT_DSP), the same bits for every int32 feature. QSUB
   saturates the centred feature d, and a d of magnitude 2^22 or more gives -128 or 127 whatever
   the shift (2^22 * 65536 / 2^31 = 128), so SSAT keeps 23 bits of it. For a shift s >= 8,
   t = d * 2^9 fits 32 bits and t >> (s - 8) is floor(d * 65536 / 2^(s - 1)), so the rounded result
   is floor((that + 1) / 2), the last shift applied by SSAT as it clamps. A shift of 8 or less makes
   every d but 0 saturate (d * 65536 / 2^s is at least 256 d in magnitude), as the shift 8 does, which
   stands for them: USAT clamps s - 8 to [0, 31]. */
static void quantize_compact_m4(const fx_input_quant *q, const int32_t *features, int8_t *out)
{
    /* Read once: the int8 stores below may alias anything, as far as the compiler knows. */
    const int16_t *offset = q->compact_offset;
    const uint8_t *shift = q->compact_shift;
    const int8_t *end = out + q->n;
    while (out != end) {
        const int32_t t = FX_SSAT(fx_qsub(*features++, *offset++), 23) * 512;
        *out++ = (int8_t)fx_ssat8_half(t >> FX_USAT(*shift++ - 8, 5));
    }
}
#endif

fx_variant fx_quantize_input_plan(const fx_input_quant *q, const fx_dense *first)
{
#if FX_DSP
    if (q->compact_shift != NULL) {
        return FX_VARIANT_DSP;
    }
    if (!fx_shifts_from_33_m4(q->shift, q->n)) {
        return FX_VARIANT_PORTABLE;
    }
    if ((q->n & 3u) == 0 && fx_dense_whole_layer_m4(first)) {
        return FX_VARIANT_DSP_PAIRS;
    }
    return FX_VARIANT_DSP;
#else
    (void)q;
    (void)first;
    return FX_VARIANT_PORTABLE;
#endif
}

/* The variants with int8 outputs, padded with zeros to FX_PAD4(n); kept out of fx_quantize_input so
   that its pairs variant, the Cortex-M4's usual one, goes without this frame. */
static FX_NOINLINE fx_status quantize_s8(const fx_input_quant *q, const int32_t *features, int8_t *out,
                                         fx_variant variant)
{
    switch (variant) {
#if FX_DSP
    case FX_VARIANT_DSP:
        if (q->compact_shift != NULL) {
            quantize_compact_m4(q, features, out);
        } else {
            quantize_input_m4(q, features, out);
        }
        break;
#endif
    case FX_VARIANT_PORTABLE:
        if (q->compact_shift != NULL) {
            quantize_compact(q, features, out);
        } else {
            quantize_input(q, features, out);
        }
        break;
    default:
        return FX_ERR_ARG;
    }
    for (uint16_t i = q->n; i < FX_PAD4(q->n); ++i) {
        out[i] = 0;
    }
    return FX_OK;
}

fx_status fx_quantize_input(const fx_input_quant *q, const int32_t *features, fx_activations *out, fx_variant variant)
{
    if (q == NULL || features == NULL || out == NULL) {
        return FX_ERR_ARG;
    }
#if FX_DSP
    if (variant == FX_VARIANT_DSP_PAIRS) {
        return fx_quantize_input_pairs_m4(q, features, out->pairs);
    }
#endif
    return quantize_s8(q, features, out->s8, variant);
}
