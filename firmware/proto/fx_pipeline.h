/* fx_pipeline.h: samples in, results out: a sliding window, a hop, an inference, a result. */
#ifndef FX_PIPELINE_H
#define FX_PIPELINE_H

#include "fx_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * One pipeline serves the host's samples (STREAM) and the board's sensor (LIVE) alike; the
 * sensor's pass through an fx_sensor_path first, to the model's rate and scale. What comes after
 * the inference and acts on the sequence of results (smoothing over hops, a decision, an event
 * when it changes) belongs in fx_pipeline_push, its outputs in fx_pipeline_output, so that both
 * sources get it.
 */
typedef struct {
    uint32_t hop_index;       /* windows classified since the start, before this one */
    uint32_t samples;         /* samples at the model's rate since the start, this window's last included */
    uint32_t cycles;          /* the inference's, on the counter given to fx_pipeline_init */
    fx_result result;
    fx_decision decision;     /* the decision after this hop (fx_decide.h); FX_DECISION_NONE outside a stream */
} fx_pipeline_output;

typedef struct {
    const fx_model *model;
    int16_t *window;          /* the caller's memory, FX_MAX_WINDOW_VALUES values */
    uint32_t (*cycles)(void *ctx);
    void *cycles_ctx;
    uint8_t from_sensor;      /* samples are sensor counts, through path */
    fx_sensor_path path;
    uint32_t window_fill;     /* samples (of n_channels values) in window, oldest first */
    uint32_t samples;
    uint32_t hops;
    fx_decide_settings settings; /* what the device configuration replaces of the model's decision settings */
    fx_decider decider;
    fx_scratch scratch;
} fx_pipeline;

/*
 * Set up a pipeline for *model, which may be replaced in place between a start and the next (not
 * while samples are pushed), with window memory of FX_MAX_WINDOW_VALUES int16 values and a
 * cycle counter (any free-running 32-bit count) to time inferences. Start it before the first push.
 */
void fx_pipeline_init(fx_pipeline *p, const fx_model *model, int16_t *window, uint32_t (*cycles)(void *ctx),
                      void *cycles_ctx);

/*
 * Start afresh, counts from 0, for samples already at the model's rate and scale (sensor NULL)
 * or for a started sensor's counts (its setup). Returns FX_ERR_ARG when the sensor's rate or
 * scale cannot be brought to the model's (fx_sensor_path_init); the window and the counts are
 * then left as they were, so that a stream in progress goes on.
 */
fx_status fx_pipeline_start(fx_pipeline *p, const fx_sensor_setup *sensor);

/* Replace the model's decision settings (hops, votes, dwell; a field of 0 keeps the model's) from the
   next start on: the device configuration's. NULL goes back to the model's. */
void fx_pipeline_decide_settings(fx_pipeline *p, const fx_decide_settings *settings);

/* A gap in the samples: the window (and the sensor path) start again, and the decisions' history;
   the counts and the decision in force go on. */
void fx_pipeline_gap(fx_pipeline *p);

/*
 * Push one sample (n_channels int16 values: the model's, or the sensor's counts). Returns 1 and
 * fills *out when it completes a window, which then slides by the model's hop_len; else 0. The
 * sensor runs at least as fast as the model, so one of its samples completes one window at most.
 * Each window's result then goes to the decider (fx_decide_push): its vote is its class, or
 * FX_DECISION_UNKNOWN when it lies outside every class's radius.
 */
int fx_pipeline_push(fx_pipeline *p, const int16_t *sample, fx_pipeline_output *out);

/* Classify one whole window outside the stream (its window is left as it is): fills out->cycles
   and out->result. */
void fx_pipeline_classify(fx_pipeline *p, const int16_t *window, fx_pipeline_output *out);

#ifdef __cplusplus
}
#endif

#endif
