/* fx_kernels.h: the stages of an inference, one entry each, their variants and shared helpers. */
#ifndef FX_KERNELS_H
#define FX_KERNELS_H

#include "fx_compiler.h"
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

/* v clamped to [lo, hi]. */
static inline int32_t fx_clamp64(int64_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}

/* floor(a / b) for b > 0 (C division truncates towards zero): one division, -ceil(-a / b) below 0. */
static inline int32_t fx_floor_div(int32_t a, int32_t b)
{
    return a >= 0 ? a / b : -(int32_t)((0u - (uint32_t)a + (uint32_t)b - 1u) / (uint32_t)b);
}

/*
 * The variants of a stage. Every build has the portable C of the features and of the input
 * quantization, and of the dense layers where it has no Cortex-M4 variant of them; a Cortex-M4
 * build (FX_DSP, fx_compiler.h) adds the DSP ones. fx_model_parse picks one variant per stage
 * (fx_plan in fx_model.h), each stage's *_plan function says which applies, and each stage's one
 * entry runs the variant it is given: the same pipeline on every build. The values are stable (the
 * tests' runner reports them).
 */
typedef enum {
    FX_VARIANT_PORTABLE = 0,  /* the portable C: the definition every other variant must match */
    FX_VARIANT_DSP = 1,       /* Cortex-M4 DSP instructions: features two int16 lanes at a time (SSUB16,
                                 SEL, SMLAD), input quantization by QSUB, SMULL and SSAT, dense layers
                                 by SMLAD block sums (fx_dense_m4.S) and C requantization */
    FX_VARIANT_DSP_LAYER = 2, /* dense: the whole layer in assembly, requantized by SMULL and SSAT */
    FX_VARIANT_DSP_PAIRS = 3  /* input quantization: written as the first layer's SMLAD pairs;
                                 dense: FX_VARIANT_DSP_LAYER on those pairs */
} fx_variant;

/*
 * FX_VARIANT_DSP where the build has the Cortex-M4 variants and the running core gives SSUB16 and SEL
 * their architected results, else FX_VARIANT_PORTABLE: the plan of a feature kernel whose Cortex-M4
 * variant selects on the GE flags. Every Cortex-M4 sets them; Renode 1.15.3's core does not (SSUB16
 * leaves GE clear and SEL then picks its second operand). The probe: lane 0: 1 - 2 < 0 picks b's 2,
 * lane 1: 2 - 1 >= 0 picks a's 2.
 */
static inline fx_variant fx_sel_variant(void)
{
#if FX_DSP
    if (fx_ssub16_sel(0x00020001u, 0x00010002u) == 0x00020002u) {
        return FX_VARIANT_DSP;
    }
#endif
    return FX_VARIANT_PORTABLE;
}

/* A dense layer's inputs or outputs, in the form its variant reads or writes them. */
typedef union {
    int8_t s8[FX_MAX_FEATURES > FX_MAX_LAYER_WIDTH ? FX_MAX_FEATURES : FX_MAX_LAYER_WIDTH]; /* FX_PAD4(n)
                                             int8 values, the padding zero */
    uint32_t pairs[FX_MAX_FEATURES / 2u]; /* FX_VARIANT_DSP_PAIRS: per four inputs x0..x3, the words
                                             (x0, x2) and (x1, x3) of two int16 lanes, lane 0 low */
    int32_t logits[FX_MAX_CLASSES];       /* the logits layer's Q16.16 outputs */
} fx_activations;

/* ---- features ---------------------------------------------------------------------------------- */

/* A model's feature set, byte 24 of its blob (docs/model-format.md); fx_features.c's table maps each
   to its kernel's set-up. */
#define FX_FEATURE_SET_STATS8 1u   /* 4 segments: 8 features per channel */
#define FX_FEATURE_SET_STATS16 2u  /* 12 segments: 16 features per channel */
#define FX_FEATURE_SET_SPECTRAL 3u /* band powers of a fixed-point FFT, mean and RMS per channel */
#define FX_FEATURE_SET_ROCKET 4u   /* integer MiniRocket: PPV counts of fixed kernels */

/*
 * Statistical features (feature sets stats8 and stats16), for each channel c of a window of
 * window_len samples: the sums of n_segments equal segments (segment k spans samples
 * [k*len/S, (k+1)*len/S)), then min, max, sum |x[t] - x[t-1]| and sum |x[t] - floor(sum/len)|, all
 * int32; output features[c * (S + 4) + k].
 */
#define FX_MAX_SEGMENTS 16u
typedef struct {
    uint8_t n_segments; /* [1, FX_MAX_SEGMENTS] */
#if FX_DSP
    /* The DSP variant's segment table (fx_features_m4.c): for pairs of channels, each segment's
       entry into the pass-1 loop and its iterations, then an end entry; for one channel, each
       segment's samples, the first one less. */
    uint16_t dsp_segments[FX_MAX_SEGMENTS + 1u];
#endif
} fx_stats_params;

/*
 * Spectral features (feature set spectral), for each channel c of a window of window_len samples:
 * the Q8 log2 of the power in n_bands bands of a Welch spectrum (Hann-windowed fixed-point FFTs of
 * fft_len samples, hop_len samples apart, their power summed), then the floored mean and the rms;
 * output features[c * (n_bands + 2) + k]. docs/model-format.md ("spectral") gives the arithmetic
 * and the FEATURES section that carries the parameters.
 */
#define FX_SPECTRAL_MIN_FFT_LEN 16u
#define FX_SPECTRAL_MAX_FFT_LEN 1024u
#define FX_SPECTRAL_MAX_BANDS 64u
#define FX_SPECTRAL_MAX_SEGMENTS 255u
typedef struct {
    const uint16_t *edges;    /* n_bands + 1 bins, in the blob: band b sums bins [edges[b], edges[b + 1]) */
    uint16_t fft_len;         /* N, a power of two within [FX_SPECTRAL_MIN_FFT_LEN, FX_SPECTRAL_MAX_FFT_LEN] */
    uint16_t hop_len;         /* samples from one segment to the next, [1, fft_len] */
    uint8_t log2_half_len;    /* log2(N / 2): the stages of the complex FFT */
    uint8_t n_bands;          /* [1, min(FX_SPECTRAL_MAX_BANDS, fft_len / 2)] */
    uint8_t n_segments;       /* [1, FX_SPECTRAL_MAX_SEGMENTS] */
} fx_spectral_params;

/*
 * Rocket features (feature set rocket, MiniRocket in integers): per block (a dilation d, a channel
 * combination and its biases) and per kernel of the model's subset of MiniRocket's 84, the count of
 * outputs of the kernel's convolution above each of its biases. The signal of a block is
 * y = clamp((sum of its channels - offset) >> shift, -FX_ROCKET_Y_MAX, FX_ROCKET_Y_MAX), zero outside
 * the window; output features[block offset + kernel * n_biases + bias]. docs/model-format.md
 * ("rocket") gives the arithmetic and the FEATURES section that carries the parameters.
 */
#define FX_ROCKET_KERNELS 84u     /* MiniRocket's kernels: the 3-subsets of the 9 taps weighted 2 */
#define FX_ROCKET_MAX_BLOCKS 64u
#define FX_ROCKET_MAX_SHIFT 20u
#define FX_ROCKET_Y_MAX 1365      /* floor(32767 / 24): bias - conv stays within int16 */
#define FX_ROCKET_BIAS_MAX 16380  /* 12 FX_ROCKET_Y_MAX, the largest |conv| */
typedef struct {
    const uint8_t *blocks;  /* n_blocks records of 12 bytes, in the blob (docs/model-format.md) */
    const uint8_t *kernels; /* n_kernels indices into the 84, increasing */
    const int16_t *biases;  /* one per feature, within +-FX_ROCKET_BIAS_MAX */
    uint16_t max_dilation;  /* the largest block's: the zero padding is 4 of it on each side */
    uint8_t n_kernels;      /* [1, FX_ROCKET_KERNELS] */
    uint8_t n_blocks;       /* [1, FX_ROCKET_MAX_BLOCKS] */
} fx_rocket_params;

typedef struct fx_feature_kernel fx_feature_kernel;

/* A model's feature stage: its kernel, the window's shape and the set's parameters, checked and
   prepared by fx_features_init. A set's member of params holds what its kernel derives once and
   pointers into its FEATURES section, which lives in the blob and outlives the stage. */
typedef struct {
    const fx_feature_kernel *kernel;
    uint16_t window_len;   /* samples, [2, FX_MAX_WINDOW_LEN] */
    uint16_t n_channels;   /* [1, FX_MAX_CHANNELS] */
    uint16_t n_features;   /* what the set makes of such a window, [1, FX_MAX_FEATURES] */
    union {
        fx_stats_params stats;
        fx_spectral_params spectral;
        fx_rocket_params rocket;
    } params;
} fx_feature_stage;

/*
 * A feature kernel: how much working memory a stage needs (at most FX_FEATURE_WORK_BYTES), which
 * variant applies on the running core, and its variants. A new feature set is one such kernel (a
 * file), its set-up (fx_feature_init_fn) in fx_features.c's table of sets, and its member of
 * fx_feature_stage's params.
 */
typedef void fx_feature_fn(const fx_feature_stage *stage, const int16_t *window, int32_t *features, void *buffer);
struct fx_feature_kernel {
    uint32_t (*buffer_size)(const fx_feature_stage *stage);
    fx_variant (*plan)(const fx_feature_stage *stage);
    fx_feature_fn *run[2]; /* [FX_VARIANT_PORTABLE], and [FX_VARIANT_DSP] or NULL */
};

/*
 * A feature set's set-up: check every parameter of the set's FEATURES section (params, params_bytes
 * bytes, 4-aligned, in the blob; NULL and 0 when the blob has none) for windows of window_len x
 * n_channels (within the limits above), then fill stage: kernel, window shape, n_features and the
 * set's member of params. FX_ERR_PARAM for a bad value, FX_ERR_LIMIT for a size over a limit,
 * FX_ERR_SHAPE for a window too short for the set, FX_ERR_LAYOUT for params_bytes that do not
 * match the set's layout. The stage is undefined after an error.
 */
typedef fx_status fx_feature_init_fn(fx_feature_stage *stage, const uint8_t *params, uint32_t params_bytes,
                                     uint16_t window_len, uint16_t n_channels);

/* Set up the stage of feature set feature_set (FX_FEATURE_SET_*) as the set's fx_feature_init_fn
   does, with its FEATURES section: FX_ERR_SHAPE for a set this build does not know, FX_ERR_LAYOUT
   when a set that needs a section has none, FX_ERR_PARAM when a set that takes none has one. */
fx_status fx_features_init(fx_feature_stage *stage, uint8_t feature_set, const uint8_t *params,
                           uint32_t params_bytes, uint16_t window_len, uint16_t n_channels);
/* Sets stats8 and stats16 (fx_features_stats.c): no FEATURES section (FX_ERR_PARAM with one). */
fx_status fx_features_stats8_init(fx_feature_stage *stage, const uint8_t *params, uint32_t params_bytes,
                                  uint16_t window_len, uint16_t n_channels);
fx_status fx_features_stats16_init(fx_feature_stage *stage, const uint8_t *params, uint32_t params_bytes,
                                   uint16_t window_len, uint16_t n_channels);
/* The statistical kernel with any segment count n_segments within [1, min(window_len, FX_MAX_SEGMENTS)]:
   FX_ERR_ARG for a window outside the limits, FX_ERR_SHAPE for a segment count it cannot have. */
fx_status fx_features_stats_init(fx_feature_stage *stage, uint16_t window_len, uint16_t n_channels,
                                 uint8_t n_segments);
/* Set spectral (fx_features_spectral.c), whose FEATURES section (docs/model-format.md) it needs:
   FX_ERR_LAYOUT for a section that is missing or whose size disagrees with its band count,
   FX_ERR_PARAM for a bad value (reserved bits, an FFT length not a power of two from 16, the hop,
   the band edges), FX_ERR_LIMIT beyond a limit (window, channels, FFT length, bands, segments),
   FX_ERR_SHAPE for a window shorter than the FFT. */
fx_status fx_features_spectral_init(fx_feature_stage *stage, const uint8_t *params, uint32_t params_bytes,
                                    uint16_t window_len, uint16_t n_channels);
/* Set rocket (fx_features_rocket.c), whose FEATURES section (docs/model-format.md) it needs:
   FX_ERR_LAYOUT for a section that is missing or whose size disagrees with its counts, FX_ERR_PARAM
   for a bad value (reserved bits, a dilation, channel mask, offset, shift, bias count or phase out of
   range, kernels not increasing below 84, a bias beyond +-FX_ROCKET_BIAS_MAX), FX_ERR_LIMIT beyond a
   limit (window, channels, kernels, blocks, features), FX_ERR_SHAPE for a window under 9 samples. */
fx_status fx_features_rocket_init(fx_feature_stage *stage, const uint8_t *params, uint32_t params_bytes,
                                  uint16_t window_len, uint16_t n_channels);
/* The variant that applies to an initialized stage on the running core (the stats kernel's
   Cortex-M4 variant once a probe has shown that the core gives its DSP instructions their
   architected results: fx_features_stats.c). */
fx_variant fx_features_plan(const fx_feature_stage *stage);
/* Bytes of working memory fx_features_run needs for the stage (CMSIS-NN's _get_buffer_size). */
uint32_t fx_features_buffer_size(const fx_feature_stage *stage);
/* The stage's features (stage->n_features int32) of one window (window_len x n_channels int16,
   time-major: window[t * n_channels + c]), by variant (fx_features_plan's for this stage), with
   buffer holding fx_features_buffer_size(stage) bytes, 4-aligned (NULL when 0). The stage is as
   fx_features_init left it and is not checked again; FX_ERR_ARG for a NULL pointer or a variant
   this build or kernel lacks. */
fx_status fx_features_run(const fx_feature_stage *stage, const int16_t *window, int32_t *features, void *buffer,
                          fx_variant variant);

/* ---- dense layers ------------------------------------------------------------------------------ */

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
 * out[j] = sat(requantize(bias[j] + sum_i w(j,i) * in[i])), where sat clamps to [0, 127] with
 * FX_DENSE_RELU, else to [-128, 127]; with FX_DENSE_LOGITS, int32 Q16.16 logits clamped to
 * [-2^30, 2^30] instead, out_len within [1, FX_MAX_CLASSES].
 */
#define FX_DENSE_RELU 0x01u
#define FX_DENSE_LOGITS 0x02u  /* output int32 Q16.16 logits instead of int8 */
typedef struct {
    const int16_t *weights; /* out_pad * in_pad / 2 row pairs, blocked as above */
    const int32_t *bias;    /* [out_len] in accumulator units */
    const int32_t *mult;    /* [out_len] within [1, 2^31 - 1] */
    const int32_t *shift;   /* [out_len] within [1, 62] */
    uint16_t in_len;        /* [1, FX_MAX_FEATURES] for a first layer, [1, FX_MAX_LAYER_WIDTH] after */
    uint16_t out_len;       /* [1, FX_MAX_LAYER_WIDTH]; [1, FX_MAX_CLASSES] with FX_DENSE_LOGITS */
    uint8_t flags;          /* FX_DENSE_RELU and/or FX_DENSE_LOGITS */
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

/* The variant that applies to a layer: on a Cortex-M4, FX_VARIANT_DSP_PAIRS where input_pairs says
   that its inputs come as pairs (the input quantization's FX_VARIANT_DSP_PAIRS, planned for this
   layer), else FX_VARIANT_DSP_LAYER for at most FX_MAX_LAYER_WIDTH inputs, int8 outputs, out_len a
   multiple of 4 and every shift at least 33, else FX_VARIANT_DSP; elsewhere the portable C. */
fx_variant fx_dense_plan(const fx_dense *layer, int input_pairs);
/* One layer by variant (fx_dense_plan's for this layer): from in (FX_PAD4(in_len) values; the
   padding is read and multiplied by zero weights) to out (int8 values padded with zeros to
   FX_PAD4(out_len), or with FX_DENSE_LOGITS out_len logits). in and out must not overlap. The
   layer's shape and parameters are those documented above, which fx_model_parse checks once; the
   entry checks its pointers and returns FX_ERR_ARG for a variant this build lacks. */
fx_status fx_dense_run(const fx_dense *layer, const fx_activations *in, fx_activations *out, fx_variant variant);

/* ---- input quantization ------------------------------------------------------------------------- */

/*
 * Per-feature input quantization, one of two forms (docs/model-format.md):
 * - standard: q = sat_s8(requantize(sat_s32(feature - offset), mult, shift)). As the dense layers'
 *   do, mult and shift must lie in fx_requantize's ranges.
 * - compact (compact_shift not NULL): q = sat_s8(((feature - compact_offset) * 65536 + 2^(s-1)) >> s)
 *   with s = compact_shift[i] within [1, 31], computed exactly in 64 bits for any int32 feature:
 *   a power-of-two step per feature, 3 bytes of parameters where the standard form takes 12.
 * fx_model_parse checks the parameters once; the stages do not check them on every call.
 */
typedef struct {
    const int32_t *offset;         /* [n] feature value that maps to 0 (standard form) */
    const int32_t *mult;           /* [n] within [1, 2^31 - 1] */
    const int32_t *shift;          /* [n] within [1, 62] */
    uint16_t n;                    /* [1, FX_MAX_FEATURES] */
    const int16_t *compact_offset; /* [n] feature value that maps to 0 (compact form) */
    const uint8_t *compact_shift;  /* [n] within [1, 31]; NULL for the standard form */
} fx_input_quant;

/* The variant that applies: for the standard form on a Cortex-M4, FX_VARIANT_DSP_PAIRS where every
   shift is at least 33, n is a multiple of 4 and the first layer (first) takes the whole-layer
   variant on the pairs (fx_dense_whole_layer_m4), FX_VARIANT_DSP where every shift is at least 33;
   else, and for the compact form, the portable C. */
fx_variant fx_quantize_input_plan(const fx_input_quant *q, const fx_dense *first);
/* Quantize q->n int32 features into out, by variant (fx_quantize_input_plan's for q): int8 values
   padded with zeros to FX_PAD4(n), or the first layer's pairs. FX_ERR_ARG for a NULL pointer or a
   variant this build lacks. */
fx_status fx_quantize_input(const fx_input_quant *q, const int32_t *features, fx_activations *out,
                            fx_variant variant);

/* ---- softmax: one variant, the portable C, on every build -------------------------------------- */

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
