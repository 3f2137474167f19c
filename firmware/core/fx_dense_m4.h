/* fx_dense_m4.h: Cortex-M4 DSP path of the dense layer (SXTB16 + SMLAD, SMULL + USAT/SSAT), giving
   the same bits as the portable definition in fx_dense.c; included there only with __ARM_FEATURE_DSP. */
#ifndef FX_DENSE_M4_H
#define FX_DENSE_M4_H

#include <arm_acle.h>

/* SXTB16 with its built-in rotation: bytes 1 and 3 as an int16 pair in one instruction. */
static inline int16x2_t sxtb16_ror8(uint32_t x)
{
    int16x2_t r;
    __asm("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/*
 * One step: four inputs into four row accumulators. The inputs come pre-split into the int16
 * pairs (x0, x2), (x1, x3) (see expand_inputs); SXTB16 splits a weight word the same way, with
 * its rotation for the odd bytes, so SMLAD pairs lane with lane and nothing is reordered. The
 * block layout puts each row's four weights in one word and the four rows' words side by side.
 */
#define FX_M4_STEP                                 \
    "ldrd   %[x02], %[x13], [%[x]], #8\n\t"        \
    "ldrd   %[wa], %[wb], [%[w]], #8\n\t"          \
    "sxtb16 %[t], %[wa]\n\t"                       \
    "smlad  %[a0], %[t], %[x02], %[a0]\n\t"        \
    "sxtb16 %[t], %[wa], ror #8\n\t"               \
    "smlad  %[a0], %[t], %[x13], %[a0]\n\t"        \
    "sxtb16 %[t], %[wb]\n\t"                       \
    "smlad  %[a1], %[t], %[x02], %[a1]\n\t"        \
    "sxtb16 %[t], %[wb], ror #8\n\t"               \
    "smlad  %[a1], %[t], %[x13], %[a1]\n\t"        \
    "ldrd   %[wa], %[wb], [%[w]], #8\n\t"          \
    "sxtb16 %[t], %[wa]\n\t"                       \
    "smlad  %[a2], %[t], %[x02], %[a2]\n\t"        \
    "sxtb16 %[t], %[wa], ror #8\n\t"               \
    "smlad  %[a2], %[t], %[x13], %[a2]\n\t"        \
    "sxtb16 %[t], %[wb]\n\t"                       \
    "smlad  %[a3], %[t], %[x02], %[a3]\n\t"        \
    "sxtb16 %[t], %[wb], ror #8\n\t"               \
    "smlad  %[a3], %[t], %[x13], %[a3]\n\t"

#define FX_M4_OPERANDS                                                                        \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w), [x] "+r"(x),       \
        [x02] "=&r"(x02), [x13] "=&r"(x13), [wa] "=&r"(wa), [wb] "=&r"(wb), [t] "=&r"(t)

/* Split the layer's int8 inputs once into int16 pairs: words (x0, x2), (x1, x3) per four inputs. */
static inline void expand_inputs(const int8_t *in, uint32_t in_blocks, uint32_t *expanded)
{
    const uint32_t *x = (const uint32_t *)(const void *)in;
    uint32_t v, lo, hi;
    __asm volatile("1:\n\t"
                   "ldr    %[v], [%[x]], #4\n\t"
                   "sxtb16 %[lo], %[v]\n\t"
                   "sxtb16 %[hi], %[v], ror #8\n\t"
                   "strd   %[lo], %[hi], [%[out]], #8\n\t"
                   "subs   %[n], %[n], #1\n\t"
                   "bne    1b\n\t"
                   : [x] "+r"(x), [out] "+r"(expanded), [n] "+r"(in_blocks), [v] "=&r"(v), [lo] "=&r"(lo),
                     [hi] "=&r"(hi)
                   :
                   : "cc", "memory");
}

/* acc[r] += sum over in_blocks * 4 inputs of w(r, i) * x[i]; two steps per loop iteration. */
#define FX_M4_BLOCK_SUMS(w_start, x_start, in_blocks)                                            \
    do {                                                                                        \
        const uint32_t *w = (w_start);                                                          \
        const uint32_t *x = (x_start);                                                          \
        uint32_t x02, x13, wa, wb, t;                                                           \
        if ((in_blocks) & 1u) {                                                                 \
            __asm volatile(FX_M4_STEP : FX_M4_OPERANDS : : "memory");                           \
        }                                                                                       \
        uint32_t pairs = (in_blocks) / 2u;                                                      \
        if (pairs != 0) {                                                                       \
            __asm volatile("1:\n\t" FX_M4_STEP FX_M4_STEP "subs   %[n], %[n], #1\n\t"           \
                           "bne    1b\n\t"                                                      \
                           : FX_M4_OPERANDS, [n] "+r"(pairs)                                    \
                           :                                                                    \
                           : "cc", "memory");                                                   \
        }                                                                                       \
    } while (0)

/* fx_dense_layer_m4's arguments and running pointers; fx_dense_m4.S uses these offsets. */
typedef struct {
    const int32_t *bias;    /* 0 */
    const int32_t *mult;    /* 4 */
    const int32_t *shift;   /* 8 */
    uint8_t *out;           /* 12 */
    const uint32_t *x;      /* 16: the expanded inputs */
    uint32_t pairs;         /* 20: input blocks / 2 */
    const uint32_t *w_end;  /* 24: the end of the weights */
    uint32_t relu;          /* 28: 1 for ReLU: outputs saturated to [0, 127], else [-128, 127] */
} m4_layer_state;

/*
 * The whole layer for the common shape: out_len a multiple of 4, an even number of input blocks,
 * every shift >= 33 (fx_model_parse sets layer->m4_fast when so). Each row is requantized exactly
 * as fx_requantize: with q = floor(acc * mult / 2^(shift - 1)), which is SMULL's high word
 * >> (shift - 33), the rounded result is floor((q + 1) / 2), and SSAT applies that last ASR #1
 * itself, USAT for ReLU.
 */
void fx_dense_layer_m4(const uint32_t *w, m4_layer_state *st);

void fx_dense_s8_pairs(const fx_dense *layer, const uint32_t *pairs, int8_t *out)
{
    const uint32_t in_blocks = FX_PAD4(layer->in_len) / 4u;
    const uint32_t *w = (const uint32_t *)(const void *)layer->weights;
    m4_layer_state st = {layer->bias,
                         layer->mult,
                         layer->shift,
                         (uint8_t *)out,
                         pairs,
                         in_blocks / 2u,
                         w + (size_t)layer->out_len * in_blocks,
                         (layer->flags & FX_DENSE_RELU) ? 1u : 0u};
    fx_dense_layer_m4(w, &st);
}

int fx_input_pairs_apply(const fx_input_quant *q, const fx_dense *layer)
{
    return q->m4_fast && layer->m4_fast && q->n != 0 && (q->n & 3u) == 0;
}

static void fx_dense_s8_m4(const fx_dense *layer, const int8_t *in, int8_t *out)
{
    uint32_t expanded[FX_MAX_LAYER_WIDTH / 2u];
    expand_inputs(in, FX_PAD4(layer->in_len) / 4u, expanded);
    fx_dense_s8_pairs(layer, expanded, out);
}

/* The block sums for the portable layer loop (other shapes, and the logits layer). */
static void fx_dense_accumulate_m4(const fx_dense *layer, uint16_t block, const int8_t *in, int32_t acc[4])
{
    const uint32_t in_blocks = FX_PAD4(layer->in_len) / 4u;
    uint32_t expanded[FX_MAX_LAYER_WIDTH / 2u];
    expand_inputs(in, in_blocks, expanded);
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    FX_M4_BLOCK_SUMS((const uint32_t *)(const void *)(layer->weights + (size_t)block * in_blocks * 16u),
                     expanded, in_blocks);
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

#endif
