/* fx_kernels.h: the fixed-point kernels (requantization, features, dense, softmax, CRC-32). */
#ifndef FX_KERNELS_H
#define FX_KERNELS_H

#include "fx_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Requantize an int32 value: round(value * mult / 2^shift), ties towards +infinity, computed
 * exactly in 64 bits as (value * mult + 2^(shift-1)) >> shift (arithmetic shift).
 * mult within [1, 2^31 - 1], shift within [1, 62]. The result is not saturated.
 */
int64_t fx_requantize(int32_t value, int32_t mult, int32_t shift);

/* Per-feature input quantization: q = sat_s8(requantize(feature - offset, mult, shift)).
   Like every per-channel parameter array below, mult and shift must lie in fx_requantize's
   ranges; fx_model_parse checks them once, the kernels do not check them on every call. */
typedef struct {
    const int32_t *offset;  /* [n] feature value that maps to 0 */
    const int32_t *mult;    /* [n] within [1, 2^31 - 1] */
    const int32_t *shift;   /* [n] within [1, 62] */
    uint16_t n;
    uint8_t m4_fast;        /* 1: every shift >= 33, the Cortex-M4 path applies (fx_model_parse sets it) */
} fx_input_quant;

/* Whether every shift is at least 33, which the Cortex-M4 input path needs. */
int fx_quantize_input_m4_fast(const fx_input_quant *q);

/*
 * Statistical features, for each channel c of a window of window_len samples: the sums of
 * n_segments equal segments (segment k spans samples [k*len/S, (k+1)*len/S)), then min, max,
 * sum |x[t] - x[t-1]| and sum |x[t] - floor(sum/len)|, all int32. window is time-major:
 * window[t * n_channels + c]; output features[c * (S + 4) + k].
 * n_segments within [1, FX_MAX_SEGMENTS], window_len within [max(2, S), FX_MAX_WINDOW_LEN],
 * n_channels within [1, FX_MAX_CHANNELS].
 */
#define FX_FEATURE_SET_STATS8 1u  /* 4 segments: 8 features per channel */
#define FX_FEATURE_SET_STATS16 2u /* 12 segments: 16 features per channel */
#define FX_MAX_SEGMENTS 16u
fx_status fx_features_stats(const int16_t *window, uint16_t window_len, uint16_t n_channels,
                            uint8_t n_segments, int32_t *features);
/* Segments of a feature set, 0 for an unknown set. */
uint32_t fx_feature_segments(uint8_t feature_set);

/* Quantize n int32 features to int8 inputs of the first dense layer. */
fx_status fx_quantize_input(const fx_input_quant *q, const int32_t *features, int8_t *out);

/*
 * Dense layer, int8 x int8 -> int32 accumulate, per-output-channel requantization.
 * Weights, within [-127, 127], come in blocks of four rows by four inputs (model format 2). In a
 * block, the rows 2p and 2p + 1 (p = 0, 1) share one int16 per input i:
 *   pair(2p, i) = 256 * w(2p + 1, i) + w(2p, i),
 * whose low byte is w(2p, i) and whose rest, (pair - low byte) / 256, is w(2p + 1, i); the SMLAD
 * that multiplies a pair by an input accumulates both rows' products at once (fx_dense_m4.S).
 * With in_pad = FX_PAD4(in_len) and out_pad = FX_PAD4(out_len), the pair of rows j, j + 1 (j even)
 * and input i is
 *   weights[((j / 4) * (in_pad / 4) + i / 4) * 8 + ((j % 4) / 2) * 4 + (i % 2) * 2 + (i % 4) / 2],
 * so each row pair's four inputs of a block come in the order 0, 2, 1, 3; padding entries are zero.
 * The input buffer must hold in_pad values (padding is read, and multiplied by zero weights).
 * out[j] = sat(requantize(bias[j] + sum_i w(j,i) * in[i])), where sat clamps to [0, 127] with
 * FX_DENSE_RELU, else to [-128, 127].
 */
#define FX_DENSE_RELU 0x01u
#define FX_DENSE_LOGITS 0x02u  /* output int32 Q16.16 logits instead of int8 */
typedef struct {
    const int16_t *weights; /* out_pad * in_pad / 2 row pairs, blocked as above */
    const int32_t *bias;    /* [out_len] in accumulator units */
    const int32_t *mult;    /* [out_len] within [1, 2^31 - 1] */
    const int32_t *shift;   /* [out_len] within [1, 62] */
    uint16_t in_len;        /* [1, FX_MAX_FEATURES or FX_MAX_LAYER_WIDTH] */
    uint16_t out_len;       /* [1, FX_MAX_LAYER_WIDTH] */
    uint8_t flags;          /* FX_DENSE_RELU and/or FX_DENSE_LOGITS */
    uint8_t m4_fast;        /* 1: Cortex-M4 may take its whole-layer path (see fx_dense_m4_fast) */
} fx_dense;

/* The two weights of a row pair (above): the even row's is the low byte, the odd row's the rest. */
static inline int32_t fx_pair_even(int16_t pair)
{
    return (int8_t)(pair & 0xFF);
}
static inline int32_t fx_pair_odd(int16_t pair)
{
    return (pair - fx_pair_even(pair)) / 256;
}

/* Whether a layer has the shape of the Cortex-M4 whole-layer path: int8 outputs, out_len a multiple
   of 4, every shift >= 33. fx_model_parse records it in m4_fast. */
int fx_dense_m4_fast(const fx_dense *layer);

/* out: int8[FX_PAD4(out_len)]; the padding bytes are written as zero so out can feed the next layer. */
fx_status fx_dense_s8(const fx_dense *layer, const int8_t *in, int8_t *out);
/* out: int32[out_len] Q16.16 logits, saturated to [-2^30, 2^30]. */
fx_status fx_dense_logits(const fx_dense *layer, const int8_t *in, int32_t *out);

#if defined(__ARM_FEATURE_DSP) && !defined(FX_PORTABLE)
/*
 * Cortex-M4: the input quantization and the first dense layer without the int8 inputs between
 * them. The quantized inputs go straight into the words that the layer's SMLAD steps read: per
 * four inputs x0..x3, (x0, x2) and (x1, x3) as two int16 lanes, lane 0 low. The outputs are those
 * of fx_quantize_input, then fx_dense_s8. They apply when fx_input_pairs_apply(q, layer) is true:
 * both take their Cortex-M4 paths (m4_fast) and q->n is a positive multiple of 4. fx_model_run
 * takes them then; the arguments are not checked again.
 */
int fx_input_pairs_apply(const fx_input_quant *q, const fx_dense *layer);
void fx_quantize_input_pairs(const fx_input_quant *q, const int32_t *features, uint32_t *pairs);
void fx_dense_s8_pairs(const fx_dense *layer, const uint32_t *pairs, int8_t *out);
#endif

/*
 * Softmax over n Q16.16 logits (any int32 values) to Q15 probabilities, no float and no libm.
 * exp is evaluated as 2^-u on the distance to the maximum logit (u = distance * log2(e) in
 * Q17.15, truncated), with a 129-entry table and linear interpolation; probabilities are rounded
 * to nearest. Guarantees: prob_q15[argmax] is the largest
 * output (exp is monotonic), |sum - 32768| <= n / 2 + 1, and every probability is within 1e-4 of
 * the float64 softmax of the same logits. n within [1, FX_MAX_CLASSES]. Returns the index of
 * the first maximum logit through *argmax (may be NULL).
 */
fx_status fx_softmax_q15(const int32_t *logits, uint16_t n, int16_t *prob_q15, uint16_t *argmax);

/* CRC-32 (IEEE 802.3, reflected, as zlib.crc32); pass 0 as crc to start. */
uint32_t fx_crc32(uint32_t crc, const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
