/* fx_dense_m4.h: offsets and routines of fx_dense_m4.S, checked against the C; DSP builds only. */
#ifndef FX_DENSE_M4_H
#define FX_DENSE_M4_H

#include "fx_compiler.h"

/* Included by fx_dense_m4.S too (its C part is skipped there); empty without FX_DSP. */
#if FX_DSP

/* fx_dense (fx_kernels.h), as fx_dense_layer_m4 reads it. */
#define FX_DENSE_WEIGHTS 0
#define FX_DENSE_BIAS 4
#define FX_DENSE_MULT 8
#define FX_DENSE_SHIFT 12
#define FX_DENSE_IN_LEN 16
#define FX_DENSE_OUT_LEN 18
#define FX_DENSE_FLAGS 20
#define FX_DENSE_M4_RELU 0x01 /* FX_DENSE_RELU */

/* fx_input_quant (fx_kernels.h), as fx_quantize_input_pairs_m4 reads it. */
#define FX_INPUT_QUANT_OFFSET 0
#define FX_INPUT_QUANT_MULT 4
#define FX_INPUT_QUANT_SHIFT 8
#define FX_INPUT_QUANT_N 12

#ifndef __ASSEMBLER__
#include <stddef.h>

#include "fx_kernels.h"

/* A wrong offset above fails the build here rather than the inference at run time. Where LDM or
   LDRD takes neighbouring fields at once, fx_dense_m4.S checks that they are. */
FX_ASSERT_FIELD(fx_dense, weights, FX_DENSE_WEIGHTS, 4);
FX_ASSERT_FIELD(fx_dense, bias, FX_DENSE_BIAS, 4);
FX_ASSERT_FIELD(fx_dense, mult, FX_DENSE_MULT, 4);
FX_ASSERT_FIELD(fx_dense, shift, FX_DENSE_SHIFT, 4);
FX_ASSERT_FIELD(fx_dense, in_len, FX_DENSE_IN_LEN, 2);
FX_ASSERT_FIELD(fx_dense, out_len, FX_DENSE_OUT_LEN, 2);
FX_ASSERT_FIELD(fx_dense, flags, FX_DENSE_FLAGS, 1);
_Static_assert(FX_DENSE_M4_RELU == FX_DENSE_RELU, "FX_DENSE_M4_RELU is not FX_DENSE_RELU");
FX_ASSERT_FIELD(fx_input_quant, offset, FX_INPUT_QUANT_OFFSET, 4);
FX_ASSERT_FIELD(fx_input_quant, mult, FX_INPUT_QUANT_MULT, 4);
FX_ASSERT_FIELD(fx_input_quant, shift, FX_INPUT_QUANT_SHIFT, 4);
FX_ASSERT_FIELD(fx_input_quant, n, FX_INPUT_QUANT_N, 2);

/*
 * One SMLAD sum of fx_dense_m4.S adds 256 x (a block's odd row's products) + (its even row's) in
 * int32: with weights within [-127, 127] and int8 inputs, each input adds at most
 * 128 x (256 x 127 + 127) = 4,177,792 in magnitude, so at most 512 inputs keep it below 2^31
 * (2,139,029,504). Rows longer than this are summed a chunk at a time (fx_dense.c).
 */
#define FX_DENSE_M4_MAX_INPUTS 512u

/* fx_dense_m4.S. The four sums of products of one block of rows (weights at w) over in_blocks
   four-input steps (at most FX_DENSE_M4_MAX_INPUTS / 4) of the inputs' pairs x, without the biases. */
void fx_dense_block_sums_m4(const uint32_t *w, const uint32_t *x, uint32_t in_blocks, int32_t sums[4]);

/*
 * fx_dense_m4.S. The whole layer (FX_VARIANT_DSP_LAYER: fx_dense_whole_layer_m4) on its inputs'
 * pairs x; returns FX_OK. Each row is requantized exactly as
 * fx_requantize: with q = floor(acc * mult / 2^(shift - 1)), which is SMULL's high word
 * >> (shift - 33), the rounded result is floor((q + 1) / 2), and SSAT applies that last ASR #1
 * itself, USAT for ReLU.
 */
fx_status fx_dense_layer_m4(const fx_dense *layer, const uint32_t *x, int8_t *out);

/*
 * fx_dense_m4.S. The input quantization into the first layer's pairs (FX_VARIANT_DSP_PAIRS: every
 * shift >= 33, q->n a positive multiple of 4): the values of fx_quantize_input's portable C; returns
 * FX_OK. QSUB saturates the centred feature to int32 as the portable clamp does; the
 * requantization is the layer's above.
 */
fx_status fx_quantize_input_pairs_m4(const fx_input_quant *q, const int32_t *features, uint32_t *pairs);

/* fx_dense.c: whether each of the n shifts is at least 33, as the SMULL requantizations ask. */
int fx_shifts_from_33_m4(const int32_t *shift, uint16_t n);
/* fx_dense.c: whether fx_dense_layer_m4 takes the layer: at most FX_DENSE_M4_MAX_INPUTS inputs, int8
   outputs, out_len a multiple of 4 and every shift at least 33. */
int fx_dense_whole_layer_m4(const fx_dense *layer);

#endif

#endif

#endif
