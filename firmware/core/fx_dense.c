/* fx_dense.c: requantization, input quantization and the int8 dense layer. */
#include "fx_kernels.h"

int64_t fx_requantize(int32_t value, int32_t mult, int32_t shift)
{
    const int64_t rounding = (int64_t)1 << (shift - 1);
    /* Arithmetic right shift of a negative int64 is what every supported compiler does;
       the numpy reference uses the same floor semantics. */
    return ((int64_t)value * mult + rounding) >> shift;
}

static int32_t clamp64(int64_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}

/* Whether every shift is at least 33: the Cortex-M4 paths' SMULL requantization needs it. */
static int shifts_from_33(const int32_t *shift, uint16_t n)
{
    for (uint16_t i = 0; i < n; ++i) {
        if (shift[i] < 33) {
            return 0;
        }
    }
    return 1;
}

int fx_quantize_input_m4_fast(const fx_input_quant *q)
{
    return shifts_from_33(q->shift, q->n);
}

#if defined(__ARM_FEATURE_DSP) && !defined(FX_PORTABLE)
#include <arm_acle.h>

/* fx_quantize_input_pairs is in fx_dense_m4.S. The same bits on the Cortex-M4 when every shift is
   >= 33: QSUB saturates the centred feature to int32 as clamp64 does; with q = floor(centred *
   mult / 2^(shift - 1)), the high word of SMULL shifted right by shift - 33, the rounded
   requantization is floor((q + 1) / 2), and SSAT applies that last shift itself as it clamps. */

/* One feature at a time into int8 (models off the pairs path); the same steps in C. */
static void quantize_input_m4(const fx_input_quant *q, const int32_t *features, int8_t *out)
{
    for (uint32_t i = 0; i < q->n; ++i) {
        const int32_t high = (int32_t)(((int64_t)__qsub(features[i], q->offset[i]) * q->mult[i]) >> 32);
        out[i] = (int8_t)__ssat(((high >> (q->shift[i] - 33)) + 1) >> 1, 8);
    }
}
#endif

/* Portable definition; the Cortex-M4 path above must give the same bits. */
static void quantize_input(const fx_input_quant *q, const int32_t *features, int8_t *out)
{
    for (uint16_t i = 0; i < q->n; ++i) {
        /* Features fit in 31 bits and offsets come from the same range, so the difference
           is computed in 64 bits and saturated before requantization. */
        const int32_t centred = clamp64((int64_t)features[i] - q->offset[i], INT32_MIN, INT32_MAX);
        out[i] = (int8_t)clamp64(fx_requantize(centred, q->mult[i], q->shift[i]), -128, 127);
    }
}

fx_status fx_quantize_input(const fx_input_quant *q, const int32_t *features, int8_t *out)
{
    if (q == NULL || features == NULL || out == NULL || q->n == 0 || q->n > FX_MAX_FEATURES) {
        return FX_ERR_ARG;
    }
#if defined(__ARM_FEATURE_DSP) && !defined(FX_PORTABLE)
    if (q->m4_fast) {
        quantize_input_m4(q, features, out);
    } else {
        quantize_input(q, features, out);
    }
#else
    quantize_input(q, features, out);
#endif
    for (uint16_t i = q->n; i < FX_PAD4(q->n); ++i) {
        out[i] = 0;
    }
    return FX_OK;
}

static fx_status dense_check(const fx_dense *layer, const void *in, const void *out)
{
    if (layer == NULL || in == NULL || out == NULL || layer->weights == NULL ||
        layer->bias == NULL || layer->in_len == 0 || layer->out_len == 0 ||
        layer->in_len > FX_MAX_FEATURES || layer->out_len > FX_MAX_LAYER_WIDTH) {
        return FX_ERR_ARG;
    }
    return FX_OK;
}

#if defined(__ARM_FEATURE_DSP) && !defined(FX_PORTABLE)
#define FX_DENSE_M4 1
#include "fx_dense_m4.h"
#define dense_accumulate fx_dense_accumulate_m4
#else
/* Portable definition: acc[r] = sum_i w(row + r, i) * in[i] for one block of four rows, the
   weights decoded from their row pairs (fx_kernels.h). The Cortex-M4 path in fx_dense_m4.S must
   produce the same sums. */
static void dense_accumulate(const fx_dense *layer, uint16_t block, const int8_t *in, int32_t acc[4])
{
    static const uint8_t input_of[4] = {0, 2, 1, 3};
    const uint16_t in_blocks = (uint16_t)(FX_PAD4(layer->in_len) / 4u);
    const int16_t *w = layer->weights + (size_t)block * in_blocks * 8u;
    for (int r = 0; r < 4; ++r) {
        acc[r] = 0;
    }
    for (uint16_t ib = 0; ib < in_blocks; ++ib) {
        for (int p = 0; p < 2; ++p) {
            for (int k = 0; k < 4; ++k) {
                const int32_t x = in[ib * 4 + input_of[k]];
                acc[2 * p] += fx_pair_even(w[p * 4 + k]) * x;
                acc[2 * p + 1] += fx_pair_odd(w[p * 4 + k]) * x;
            }
        }
        w += 8;
    }
}
#endif

int fx_dense_m4_fast(const fx_dense *layer)
{
    if ((layer->out_len & 3u) != 0 || (layer->flags & FX_DENSE_LOGITS)) {
        return 0;
    }
    return shifts_from_33(layer->shift, layer->out_len);
}

fx_status fx_dense_s8(const fx_dense *layer, const int8_t *in, int8_t *out)
{
    const fx_status status = dense_check(layer, in, out);
    if (status != FX_OK) {
        return status;
    }
#ifdef FX_DENSE_M4
    if (layer->m4_fast) {
        fx_dense_s8_m4(layer, in, out);
        return FX_OK;
    }
#endif
    const int32_t lo = (layer->flags & FX_DENSE_RELU) ? 0 : -128;
    const uint16_t out_pad = (uint16_t)FX_PAD4(layer->out_len);
    int32_t acc[4];
    for (uint16_t row = 0; row < out_pad; row += 4) {
        dense_accumulate(layer, (uint16_t)(row / 4u), in, acc);
        for (uint16_t r = 0; r < 4; ++r) {
            const uint16_t j = (uint16_t)(row + r);
            if (j < layer->out_len) {
                const int32_t sum = (int32_t)((uint32_t)acc[r] + (uint32_t)layer->bias[j]);
                out[j] = (int8_t)clamp64(fx_requantize(sum, layer->mult[j], layer->shift[j]), lo, 127);
            } else {
                out[j] = 0;
            }
        }
    }
    return FX_OK;
}

#ifdef FX_DENSE_M4
/* clamp64(fx_requantize(sum, mult, shift), -2^30, 2^30) in 32-bit steps, the same bits. */
static int32_t logit_m4(int32_t sum, int32_t mult, int32_t shift)
{
    if (shift >= 33) {
        /* |result| <= 2^62 / 2^33: within the clamp. As in the other layers, with q = SMULL's high
           word >> (shift - 33), the result is floor((q + 1) / 2). */
        const int32_t high = (int32_t)(((int64_t)sum * mult) >> 32);
        return ((high >> (shift - 33)) + 1) >> 1;
    }
    /* hi:lo = sum * mult + 2^(shift - 1) by SMLAL, then shifted right by shift (1 to 32; a register
       shift of 32 gives 0, or the sign for ASR) into rhi:rlo. */
    uint32_t lo = 1u << (shift - 1), rlo, t;
    int32_t hi = 0, rhi;
    __asm("smlal  %[lo], %[hi], %[a], %[b]\n\t"
          "lsr    %[rlo], %[lo], %[s]\n\t"
          "rsb    %[t], %[s], #32\n\t"
          "lsl    %[t], %[hi], %[t]\n\t"
          "orr    %[rlo], %[rlo], %[t]\n\t"
          "asr    %[rhi], %[hi], %[s]"
          : [lo] "+&r"(lo), [hi] "+&r"(hi), [rlo] "=&r"(rlo), [rhi] "=&r"(rhi), [t] "=&r"(t)
          : [a] "r"(sum), [b] "r"(mult), [s] "r"(shift));
    const int32_t r = (int32_t)rlo;
    if (rhi != r >> 31) {
        return rhi < 0 ? -(1 << 30) : 1 << 30;
    }
    return r < -(1 << 30) ? -(1 << 30) : (r > (1 << 30) ? 1 << 30 : r);
}
#endif

fx_status fx_dense_logits(const fx_dense *layer, const int8_t *in, int32_t *out)
{
    const fx_status status = dense_check(layer, in, out);
    if (status != FX_OK) {
        return status;
    }
    int32_t acc[4];
    for (uint16_t row = 0; row < layer->out_len; row += 4) {
        dense_accumulate(layer, (uint16_t)(row / 4u), in, acc);
        for (uint16_t r = 0; r < 4 && row + r < layer->out_len; ++r) {
            const uint16_t j = (uint16_t)(row + r);
            const int32_t sum = (int32_t)((uint32_t)acc[r] + (uint32_t)layer->bias[j]);
#ifdef FX_DENSE_M4
            out[j] = logit_m4(sum, layer->mult[j], layer->shift[j]);
#else
            out[j] = clamp64(fx_requantize(sum, layer->mult[j], layer->shift[j]), -(1 << 30), 1 << 30);
#endif
        }
    }
    return FX_OK;
}
