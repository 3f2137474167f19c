/* fx_decide.h: steady decisions over hops: a moving average, M of K votes, thresholds, dwell, "unknown". */
#ifndef FX_DECIDE_H
#define FX_DECIDE_H

#include "fx_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Each hop brings the window's Q15 probabilities and its vote: the class of its largest
 * probability, or FX_DECISION_UNKNOWN for a window outside what the training data covered. Once K
 * hops have come (and at every hop after that):
 *   smoothed[c] = floor(sum of prob[c] over the last K hops / K)
 *   lead        = the lowest class index of the largest smoothed probability
 *   candidate   = lead when at least M of the last K votes are lead and smoothed[lead] >=
 *                 threshold[lead], else FX_DECISION_UNKNOWN
 * and the decision becomes the candidate once the candidate has been the same for dwell hops in a
 * row (dwell 1: at once): a change is an event. Before the first K hops the decision is
 * FX_DECISION_NONE. All integer; host/fxclass/model/decide.py is the same, bit for bit.
 */
#define FX_MAX_DECISION_HOPS 16u  /* K at most: the history is K x FX_MAX_CLASSES int16 values */
#define FX_DECISION_UNKNOWN 0xFEu /* no class qualifies, or the windows lie outside every class */
#define FX_DECISION_NONE 0xFFu    /* no decision yet: fewer than K hops since the start */

/* The settings of a decider. A model's DECISION section carries them (fx_model.h); a device
   configuration may replace hops, votes and dwell (fx_decide_settings). */
typedef struct {
    uint8_t hops;                 /* K, hops averaged and voted over, [1, FX_MAX_DECISION_HOPS] */
    uint8_t votes;                /* M, votes the lead class needs among the last K, [1, K] */
    uint8_t dwell;                /* hops a new candidate must hold before it is the decision, [1, 255] */
    uint8_t n_classes;            /* [1, FX_MAX_CLASSES] */
    const int16_t *threshold_q15; /* per class, [0, 32767]; NULL: 0 for every class (no threshold) */
} fx_decide_config;

/* What a device configuration replaces of a model's settings: a field of 0 keeps the model's. The
   votes are then capped at the hops (fx_decide_config_apply). */
typedef struct {
    uint8_t hops;
    uint8_t votes;
    uint8_t dwell;
} fx_decide_settings;

/* The decider's state, owned by the caller (no allocation). */
typedef struct {
    fx_decide_config config;
    uint8_t filled;       /* hops in the history, up to config.hops */
    uint8_t next;         /* where the next hop goes in the ring */
    uint8_t decided;      /* a class, FX_DECISION_UNKNOWN or FX_DECISION_NONE */
    uint8_t candidate;    /* the last hop's candidate */
    uint8_t held;         /* hops in a row the candidate has been the same, up to 255 */
    uint8_t vote[FX_MAX_DECISION_HOPS];
    int16_t prob_q15[FX_MAX_DECISION_HOPS][FX_MAX_CLASSES];
} fx_decider;

/* One hop's outcome. */
typedef struct {
    uint8_t decided;  /* the decision after this hop: a class, FX_DECISION_UNKNOWN or FX_DECISION_NONE */
    uint8_t changed;  /* 1 when this hop changed it (an event), else 0 */
    int16_t prob_q15; /* smoothed probability of the decided class, or of the lead class when unknown; 0
                         before the first K hops */
} fx_decision;

/*
 * Where a window lies: the first dense layer's int8 inputs x (n_dims values) against a centroid per
 * class, sum (x[i] - centroid[c][i])^2 (at most 2016 x 255^2, within 32 bits). A window is outside
 * when that squared distance exceeds radius2[c] for every class c; its vote is then
 * FX_DECISION_UNKNOWN. The model's DECISION section carries the centroids and radii.
 */
typedef struct {
    uint16_t n_dims;         /* the first dense layer's inputs; 0: no centroids, no window is outside */
    uint8_t n_classes;
    const uint32_t *radius2; /* per class, the largest squared distance still inside */
    const int8_t *centroid;  /* n_classes x n_dims */
} fx_decide_space;

/* 1 when the inputs in (as fx_quantize_input wrote them: int8 values, or the first layer's pairs when
   pairs) lie outside every class's radius, else 0. */
int fx_decide_outside(const fx_decide_space *space, const fx_activations *in, int pairs);

/* config with the nonzero fields of *settings (may be NULL) in place of its own, votes capped at hops. */
fx_decide_config fx_decide_config_apply(fx_decide_config config, const fx_decide_settings *settings);

/* Check config (FX_ERR_ARG for a field outside its range, thresholds included) and start afresh:
   no history, no decision. */
fx_status fx_decide_init(fx_decider *d, const fx_decide_config *config);

/* Forget the history (a gap in the samples): the next decision comes K hops on; the decision in
   force stays until then. */
void fx_decide_restart(fx_decider *d);

/*
 * One hop: prob_q15 (config.n_classes values, each within [0, 32767]) and its vote (a class below
 * n_classes, or FX_DECISION_UNKNOWN). Fills *out. FX_ERR_ARG for a NULL pointer or a vote out of
 * range (the state is then unchanged).
 */
fx_status fx_decide_push(fx_decider *d, const int16_t *prob_q15, uint8_t vote, fx_decision *out);

#ifdef __cplusplus
}
#endif

#endif
