/* fx_model.h: the .fxm model blob (formats 2 and 3), its validating parser and the inference pipeline. */
#ifndef FX_MODEL_H
#define FX_MODEL_H

#include "fx_decide.h"
#include "fx_kernels.h"
#include "fx_sensor_path.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Blob layout, little-endian, every array 4-byte aligned (docs/model-format.md):
 *   0  u32 magic "FXMB"        4  u16 format_version      6  u16 header_bytes (48, format 3: 56)
 *   8  u32 total_bytes        12  u32 model_id           16  u16 window_len
 *  18  u16 n_channels         20  u16 hop_len            22  u16 sample_rate_hz
 *  24  u8  feature_set        25  u8  n_layers           26  u8  n_classes    27 u8 reserved
 *  28  u16 n_features         30  u16 reserved           32  u32 input_quant_offset (format 3: 0
 *                                                            with an INPUT_COMPACT section)
 *  36  u32 layers_offset      40  u32 names_offset       44  u32 input_scale_offset (0: none)
 * format 3 only:
 *  48  u32 sections_offset (0: none)                     52  u16 n_sections   54 u16 reserved (0)
 * sections: n_sections records of 12 bytes: u16 tag, u16 reserved (0), u32 offset (4-aligned),
 *   u32 bytes (> 0), inside the payload; each tag at most once, an unknown one refused:
 *   FEATURES (the feature set's parameters, as its set-up reads them), DECISION (below),
 *   INPUT_COMPACT (int16 offset[n_features], uint8 shift[n_features], zero padding to 4)
 * DECISION: u8 hops [1, 16], u8 votes [1, hops], u8 dwell [1, 255], u8 0, u8 n_classes, u8 0, u16 n_dims
 *   (0 or n_features), int16 threshold_q15[n_classes] in [0, 32767], zeros to 4; with n_dims,
 *   u32 radius2[n_classes], int8 centroid[n_classes][n_dims], zeros to 4 (fx_decide.h)
 * input quant: int32 offset[n_features], mult[n_features], shift[n_features]
 * layers: n_layers records of 32 bytes: u16 in_len, u16 out_len, u8 flags, 3 reserved bytes,
 *   u32 weights_offset, bias_offset, mult_offset, shift_offset, 8 reserved bytes; the weights are
 *   int16 row pairs in blocks (fx_kernels.h), every weight within [-127, 127]
 * names: n_classes x 16 bytes, NUL-terminated
 * input scale (optional): n_channels records of 8 bytes: u8 unit (fx_unit), 3 reserved bytes,
 *   u32 counts_per_unit (Q16.16, > 0): the physical scale the model's inputs were trained in
 * last 4 bytes: CRC-32 of everything before them.
 */
#define FX_MODEL_MAGIC 0x424D5846u /* "FXMB" */
#define FX_MODEL_FORMAT_VERSION 3u     /* the newest format this build reads, */
#define FX_MODEL_FORMAT_VERSION_2 2u   /* and the one before it, which has no sections */
#define FX_MODEL_HEADER_BYTES 56u
#define FX_MODEL_HEADER_BYTES_2 48u
#define FX_MODEL_LAYER_BYTES 32u
#define FX_MODEL_SECTION_BYTES 12u
#define FX_MODEL_SECTION_FEATURES 1u
#define FX_MODEL_SECTION_DECISION 2u       /* the decision settings, thresholds and class centroids */
#define FX_MODEL_DECISION_HEAD_BYTES 8u
#define FX_MODEL_SECTION_INPUT_COMPACT 3u

/* The variant each stage of a model runs (fx_variant), chosen once by fx_model_parse from what the
   build has, what the running core does right and what the model's parameters allow. */
typedef struct {
    uint8_t features;
    uint8_t input;
    uint8_t dense[FX_MAX_LAYERS];
} fx_plan;

typedef struct {
    const uint8_t *blob;
    uint32_t blob_len;
    uint32_t model_id;
    uint16_t window_len;
    uint16_t n_channels;
    uint16_t hop_len;
    uint16_t sample_rate_hz;
    uint16_t n_features;
    uint8_t feature_set;
    uint8_t n_layers;
    uint8_t n_classes;
    fx_feature_stage features;
    fx_input_quant input;
    fx_dense layers[FX_MAX_LAYERS];
    fx_plan plan;
    const char *class_names; /* n_classes x FX_CLASS_NAME_LEN */
    const uint8_t *input_scale; /* n_channels x 8 bytes, or NULL: no physical scale declared */
    /* The DECISION section's settings and thresholds (pointing into the blob), or without one hops,
       votes and dwell 1 and no thresholds: each hop's winner is the decision. */
    fx_decide_config decision;
    fx_decide_space space;      /* its centroids and radii; n_dims 0 without them */
} fx_model;

#define FX_MODEL_SCALE_BYTES 8u

/* The unit of channel c's inputs (FX_UNIT_COUNTS when the model declares no scale). */
fx_unit fx_model_unit(const fx_model *model, uint16_t channel);
/* Model counts per unit of channel c, Q16.16 (0 when the model declares no scale). */
uint32_t fx_model_counts_per_unit_q16(const fx_model *model, uint16_t channel);

/* Caller-owned working memory for one inference: the features, and the feature stage's working
   memory (its buffer, fx_features_buffer_size bytes, at most FX_FEATURE_WORK_BYTES), which the
   dense layers' activations take over once the input quantization has read the features: it writes
   act[0]; layer k reads act[k % 2] and writes act[(k + 1) % 2], the last one its logits. */
typedef struct {
    int32_t features[FX_MAX_FEATURES];
    union {
        uint32_t feature_buffer[FX_FEATURE_WORK_BYTES / 4u];
        fx_activations act[2];
    } work;
} fx_scratch;

typedef struct {
    uint16_t class_index;
    uint16_t n_classes;
    uint8_t outside;            /* 1: the window lies outside every class's radius (fx_decide_outside) */
    int16_t prob_q15[FX_MAX_CLASSES];
} fx_result;

/*
 * Check every field of a blob (magic, version, lengths, CRC, limits, offsets, shapes, parameter
 * ranges) and fill *model with pointers into it. The blob must stay in place while model is used.
 * On any error *model is left untouched.
 */
fx_status fx_model_parse(const uint8_t *blob, uint32_t blob_len, fx_model *model);

/* Run one window (window_len x n_channels int16, time-major) through a parsed model, each stage
   in the variant of model->plan. */
fx_status fx_model_run(const fx_model *model, const int16_t *window, fx_scratch *scratch,
                       fx_result *result);

#ifdef __cplusplus
}
#endif

#endif
