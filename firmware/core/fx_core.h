/* fx_core.h: status codes, limits and fixed-point conventions shared by every fxclass kernel. */
#ifndef FX_CORE_H
#define FX_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every fallible core function returns one of these; values are stable (they travel over UART). */
typedef enum {
    FX_OK = 0,
    FX_ERR_ARG = 1,          /* a NULL pointer or a parameter outside its documented range */
    FX_ERR_MAGIC = 2,        /* model blob does not start with "FXMB" */
    FX_ERR_VERSION = 3,      /* model blob format version not supported by this build */
    FX_ERR_SIZE = 4,         /* blob length disagrees with its header, or is too small */
    FX_ERR_CRC = 5,          /* CRC-32 of the blob does not match */
    FX_ERR_LIMIT = 6,        /* a dimension exceeds the limits below */
    FX_ERR_LAYOUT = 7,       /* an offset or array lies outside the blob or is misaligned */
    FX_ERR_SHAPE = 8,        /* layer dimensions do not chain, or disagree with the header */
    FX_ERR_PARAM = 9,        /* a weight, requantization multiplier or shift is out of range */
    FX_ERR_ALIGN = 10        /* the blob itself is not 4-byte aligned in memory */
} fx_status;

/* Limits of this build. A model that exceeds one is refused with FX_ERR_LIMIT. */
#define FX_MAX_WINDOW_LEN 2048u     /* samples per window */
#define FX_MAX_CHANNELS 12u         /* channels per sample */
#define FX_MAX_WINDOW_VALUES 3072u  /* window_len * n_channels: 256 x 12, 2048 x 1 */
#define FX_MAX_FEATURES 2016u       /* inputs of the first dense layer (rocket: 24 x 84 kernels) */
#define FX_MAX_LAYER_WIDTH 128u     /* outputs of any hidden dense layer */
#define FX_MAX_LAYERS 8u
#define FX_MAX_CLASSES 32u
#define FX_CLASS_NAME_LEN 16u       /* bytes per class name, NUL-padded */
#define FX_MAX_MODEL_BYTES 32768u   /* a model blob, as the firmware receives and keeps one */
/* Working memory of the feature stage (its kernel's buffer_size at most this); a model whose stage
   needs more is refused. The dense layers' activations use the same memory afterwards. */
#define FX_FEATURE_WORK_BYTES 32768u

/* Logits handed to the softmax are Q16.16: 65536 means 1.0. */
#define FX_LOGIT_FRAC_BITS 16
/* Probabilities are Q15: 32768 means 1.0; int16 saturates a certain class at 32767. */
#define FX_PROB_ONE_Q15 32768

/* Round up to a multiple of four: dense layers pad rows and inputs to blocks of four. */
#define FX_PAD4(n) (((n) + 3u) & ~3u)

#ifdef __cplusplus
}
#endif

#endif
