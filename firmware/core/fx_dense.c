/* fx_dense.c: the dense stage (entry, plan, layer loop), portable and Cortex-M4 side by side. */
#include "fx_dense_m4.h"
#include "fx_kernels.h"

int64_t fx_requantize(int32_t value, int32_t mult, int32_t shift)
{
    const int64_t rounding = (int64_t)1 << (shift - 1);
    /* Arithmetic right shift of a negative int64 is what every supported compiler does;
       the numpy reference uses the same floor semantics. */
    return ((int64_t)value * mult + rounding) >> shift;
}

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

int fx_dense_whole_layer_m4(const fx_dense *layer)
{
    return layer->in_len <= FX_DENSE_M4_MAX_INPUTS && (layer->out_len & 3u) == 0 &&
           !(layer->flags & FX_DENSE_LOGITS) && fx_shifts_from_33_m4(layer->shift, layer->out_len);
}
#endif

/* The inputs' pairs that the Cortex-M4 variants make on the stack: a hidden layer's inputs at once,
   a longer row's (a first layer's) a chunk at a time. */
#define STACK_PAIR_BLOCKS (FX_MAX_LAYER_WIDTH / 4u)

/* acc[r] = sum_i w(row + r, i) * in[i] for the block of four rows whose weights start at w, from
   the int8 inputs in or, on a Cortex-M4, their pairs. */
typedef void block_sums_fn(const int16_t *w, const int8_t *in, uint32_t in_blocks, uint32_t *pairs, int32_t acc[4]);

#if FX_DSP
/* From the layer's pairs, made once. */
static void block_sums_m4(const int16_t *w, const int8_t *in, uint32_t in_blocks, uint32_t *pairs, int32_t acc[4])
{
    (void)in;
    fx_dense_block_sums_m4((const uint32_t *)(const void *)w, pairs, in_blocks, acc);
}

/* A row longer than STACK_PAIR_BLOCKS four-input steps: a chunk of its inputs at a time made into
   pairs (twice STACK_PAIR_BLOCKS words) and summed, within the FX_DENSE_M4_MAX_INPUTS that one block
   sum takes, and the chunks' sums added: the portable C's sums, which stay below
   2016 x 127 x 128 < 2^25 in magnitude. */
static FX_NOINLINE void block_sums_chunked_m4(const int16_t *w, const int8_t *in, uint32_t in_blocks, uint32_t *pairs,
                                              int32_t acc[4])
{
    for (int r = 0; r < 4; ++r) {
        acc[r] = 0;
    }
    for (uint32_t done = 0; done < in_blocks;) {
        const uint32_t n = in_blocks - done < STACK_PAIR_BLOCKS ? in_blocks - done : STACK_PAIR_BLOCKS;
        int32_t part[4];
        fx_sxtb16_pairs(in + done * 4u, n, pairs);
        fx_dense_block_sums_m4((const uint32_t *)(const void *)(w + done * 8u), pairs, n, part);
        for (int r = 0; r < 4; ++r) {
            acc[r] += part[r];
        }
        done += n;
    }
}
#else
/* The weights decoded from their row pairs (fx_kernels.h), inputs in the blocks' order. */
static void block_sums(const int16_t *w, const int8_t *in, uint32_t in_blocks, uint32_t *pairs, int32_t acc[4])
{
    static const uint8_t input_of[4] = {0, 2, 1, 3};
    (void)pairs;
    for (int r = 0; r < 4; ++r) {
        acc[r] = 0;
    }
    for (uint32_t ib = 0; ib < in_blocks; ++ib) {
        for (int p = 0; p < 2; ++p) {
            for (int k = 0; k < 4; ++k) {
                const int32_t v = in[ib * 4u + input_of[k]];
                acc[2 * p] += fx_pair_even(w[p * 4 + k]) * v;
                acc[2 * p + 1] += fx_pair_odd(w[p * 4 + k]) * v;
            }
        }
        w += 8;
    }
}
#endif

/* clamp64(fx_requantize(sum, mult, shift), -2^30, 2^30): a Q16.16 logit. */
static int32_t logit(int32_t sum, int32_t mult, int32_t shift)
{
#if FX_DSP
    /* The same bits in 32-bit steps. */
    if (shift >= 33) {
        /* |result| <= 2^62 / 2^33: within the clamp. As in the other layers, with q = SMULL's high
           word >> (shift - 33), the result is floor((q + 1) / 2). */
        return ((fx_smull_high(sum, mult) >> (shift - 33)) + 1) >> 1;
    }
    int32_t high;
    uint32_t low;
    fx_smlal_round_shift(sum, mult, shift, &high, &low);
    const int32_t r = (int32_t)low;
    if (high != r >> 31) {
        return high < 0 ? -(1 << 30) : 1 << 30;
    }
    return r < -(1 << 30) ? -(1 << 30) : (r > (1 << 30) ? 1 << 30 : r);
#else
    return fx_clamp64(fx_requantize(sum, mult, shift), -(1 << 30), 1 << 30);
#endif
}

/* A layer of in_blocks four-input steps, four rows at a time: each block's sums (sums, given pairs
   as its memory), then each row requantized in C. Inlined into each caller with its sums. */
static inline fx_status rows(const fx_dense *layer, const int8_t *in, uint32_t in_blocks, uint32_t *pairs,
                             fx_activations *out, block_sums_fn *sums)
{
    const int16_t *w = layer->weights;
    int32_t acc[4];
    if (layer->flags & FX_DENSE_LOGITS) {
        for (uint16_t row = 0; row < layer->out_len; row += 4) {
            sums(w, in, in_blocks, pairs, acc);
            w += in_blocks * 8u;
            for (uint16_t r = 0; r < 4 && row + r < layer->out_len; ++r) {
                const uint16_t j = (uint16_t)(row + r);
                const int32_t sum = (int32_t)((uint32_t)acc[r] + (uint32_t)layer->bias[j]);
                out->logits[j] = logit(sum, layer->mult[j], layer->shift[j]);
            }
        }
        return FX_OK;
    }
    const int32_t lo = (layer->flags & FX_DENSE_RELU) ? 0 : -128;
    for (uint16_t row = 0; row < FX_PAD4(layer->out_len); row += 4) {
        sums(w, in, in_blocks, pairs, acc);
        w += in_blocks * 8u;
        for (uint16_t r = 0; r < 4; ++r) {
            const uint16_t j = (uint16_t)(row + r);
            if (j < layer->out_len) {
                const int32_t sum = (int32_t)((uint32_t)acc[r] + (uint32_t)layer->bias[j]);
                out->s8[j] = (int8_t)fx_clamp64(fx_requantize(sum, layer->mult[j], layer->shift[j]), lo, 127);
            } else {
                out->s8[j] = 0;
            }
        }
    }
    return FX_OK;
}

/* A layer on int8 inputs: the variant for every shape, FX_VARIANT_DSP on a Cortex-M4 (SMLAD block
   sums on the inputs' pairs), FX_VARIANT_PORTABLE elsewhere; with FX_VARIANT_DSP_LAYER, the whole
   layer in assembly on those pairs instead. */
static FX_NOINLINE fx_status dense_blocks(const fx_dense *layer, const int8_t *in, fx_activations *out,
                                          fx_variant variant)
{
    const uint32_t in_blocks = FX_PAD4(layer->in_len) / 4u;
#if FX_DSP
    uint32_t pairs[STACK_PAIR_BLOCKS * 2u];
    if (in_blocks > STACK_PAIR_BLOCKS) {
        return rows(layer, in, in_blocks, pairs, out, block_sums_chunked_m4); /* fx_dense_plan: FX_VARIANT_DSP */
    }
    fx_sxtb16_pairs(in, in_blocks, pairs);
    if (variant == FX_VARIANT_DSP_LAYER) {
        return fx_dense_layer_m4(layer, pairs, out->s8);
    }
    return rows(layer, in, in_blocks, pairs, out, block_sums_m4);
#else
    (void)variant;
    return rows(layer, in, in_blocks, NULL, out, block_sums);
#endif
}

fx_variant fx_dense_plan(const fx_dense *layer, int input_pairs)
{
#if FX_DSP
    if (input_pairs) {
        return FX_VARIANT_DSP_PAIRS;
    }
    if (layer->in_len <= STACK_PAIR_BLOCKS * 4u && fx_dense_whole_layer_m4(layer)) {
        return FX_VARIANT_DSP_LAYER; /* on the inputs' pairs that dense_blocks makes on the stack */
    }
    return FX_VARIANT_DSP;
#else
    (void)layer;
    (void)input_pairs;
    return FX_VARIANT_PORTABLE;
#endif
}

fx_status fx_dense_run(const fx_dense *layer, const fx_activations *in, fx_activations *out, fx_variant variant)
{
    if (layer == NULL || in == NULL || out == NULL) {
        return FX_ERR_ARG;
    }
    switch (variant) {
#if FX_DSP
    case FX_VARIANT_DSP_PAIRS:
        return fx_dense_layer_m4(layer, in->pairs, out->s8);
    case FX_VARIANT_DSP_LAYER:
    case FX_VARIANT_DSP:
#else
    case FX_VARIANT_PORTABLE:
#endif
        return dense_blocks(layer, in->s8, out, variant);
    default:
        return FX_ERR_ARG;
    }
}
