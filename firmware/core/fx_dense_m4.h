/* fx_dense_m4.h: Cortex-M4 DSP path of the dense layer (SMLAD on the weights' row pairs, SMULL +
   USAT/SSAT; fx_dense_m4.S), giving the same bits as the portable definition in fx_dense.c; included
   there only with __ARM_FEATURE_DSP. */
#ifndef FX_DENSE_M4_H
#define FX_DENSE_M4_H

#include <arm_acle.h>

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

/* The four sums of products of one block of rows (weights at w) over in_blocks four-input steps of
   the inputs' pairs x, without the biases (fx_dense_m4.S). */
void fx_dense_block_sums_m4(const uint32_t *w, const uint32_t *x, uint32_t in_blocks, int32_t sums[4]);

/* fx_dense_layer_m4's arguments and running pointers; fx_dense_m4.S uses these offsets. */
typedef struct {
    const int32_t *bias;    /* 0 */
    const int32_t *mult;    /* 4 */
    const int32_t *shift;   /* 8 */
    uint8_t *out;           /* 12 */
    const uint32_t *x;      /* 16: the expanded inputs */
    uint32_t in_blocks;     /* 20: four-input steps */
    const uint32_t *w_end;  /* 24: the end of the weights */
    uint32_t relu;          /* 28: 1 for ReLU: outputs saturated to [0, 127], else [-128, 127] */
} m4_layer_state;

/*
 * The whole layer for the common shape: out_len a multiple of 4, every shift >= 33 (fx_model_parse
 * sets layer->m4_fast when so). Each row is requantized exactly as fx_requantize: with q = floor(acc * mult / 2^(shift - 1)), which is SMULL's high word
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
                         in_blocks,
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
    fx_dense_block_sums_m4((const uint32_t *)(const void *)(layer->weights + (size_t)block * in_blocks * 8u),
                           expanded, in_blocks, acc);
}

#endif
