/* fx_decide.c: steady decisions over hops, portable C, integers only (fx_decide.h gives the rule). */
#include "fx_decide.h"

#include <string.h>

#include "fx_compiler.h"
#if FX_DSP
#include <arm_acle.h>
#endif

fx_decide_config fx_decide_config_apply(fx_decide_config config, const fx_decide_settings *settings)
{
    if (settings != NULL) {
        config.hops = settings->hops != 0 ? settings->hops : config.hops;
        config.votes = settings->votes != 0 ? settings->votes : config.votes;
        config.dwell = settings->dwell != 0 ? settings->dwell : config.dwell;
    }
    if (config.votes > config.hops) {
        config.votes = config.hops;
    }
    return config;
}

fx_status fx_decide_init(fx_decider *d, const fx_decide_config *config)
{
    if (d == NULL || config == NULL || config->hops == 0 || config->hops > FX_MAX_DECISION_HOPS ||
        config->votes == 0 || config->votes > config->hops || config->dwell == 0 || config->n_classes == 0 ||
        config->n_classes > FX_MAX_CLASSES) {
        return FX_ERR_ARG;
    }
    for (uint8_t c = 0; config->threshold_q15 != NULL && c < config->n_classes; ++c) {
        if (config->threshold_q15[c] < 0) {
            return FX_ERR_ARG;
        }
    }
    memset(d, 0, sizeof *d);
    d->config = *config;
    d->decided = FX_DECISION_NONE;
    d->candidate = FX_DECISION_NONE;
    return FX_OK;
}

void fx_decide_restart(fx_decider *d)
{
    d->filled = 0;
    d->next = 0;
    d->candidate = FX_DECISION_NONE;
    d->held = 0;
}

fx_status fx_decide_push(fx_decider *d, const int16_t *prob_q15, uint8_t vote, fx_decision *out)
{
    if (d == NULL || prob_q15 == NULL || out == NULL || (vote >= d->config.n_classes && vote != FX_DECISION_UNKNOWN)) {
        return FX_ERR_ARG;
    }
    const fx_decide_config *cfg = &d->config;
    memcpy(d->prob_q15[d->next], prob_q15, (size_t)cfg->n_classes * 2u);
    d->vote[d->next] = vote;
    d->next = (uint8_t)(d->next + 1u == cfg->hops ? 0u : d->next + 1u);
    if (d->filled < cfg->hops) {
        ++d->filled;
    }
    out->changed = 0;
    out->prob_q15 = 0;
    if (d->filled < cfg->hops) {
        out->decided = d->decided;
        return FX_OK;
    }

    /* The average of the last K hops for every class; K x 32767 fits 20 bits. */
    int16_t smoothed[FX_MAX_CLASSES];
    uint8_t lead = 0;
    for (uint8_t c = 0; c < cfg->n_classes; ++c) {
        int32_t sum = 0;
        for (uint8_t k = 0; k < cfg->hops; ++k) {
            sum += d->prob_q15[k][c];
        }
        smoothed[c] = (int16_t)((uint32_t)sum / cfg->hops);
        if (smoothed[c] > smoothed[lead]) {
            lead = c;
        }
    }
    uint8_t wins = 0;
    for (uint8_t k = 0; k < cfg->hops; ++k) {
        wins = (uint8_t)(wins + (d->vote[k] == lead));
    }
    const int16_t threshold = cfg->threshold_q15 != NULL ? cfg->threshold_q15[lead] : 0;
    const uint8_t candidate = (wins >= cfg->votes && smoothed[lead] >= threshold) ? lead : FX_DECISION_UNKNOWN;

    /* The candidate must hold for dwell hops before it replaces the decision. */
    if (candidate == d->candidate) {
        d->held = (uint8_t)(d->held == 255u ? 255u : d->held + 1u);
    } else {
        d->candidate = candidate;
        d->held = 1;
    }
    if (candidate != d->decided && d->held >= cfg->dwell) {
        d->decided = candidate;
        out->changed = 1;
    }
    out->decided = d->decided;
    out->prob_q15 = d->decided < cfg->n_classes ? smoothed[d->decided] : smoothed[lead];
    return FX_OK;
}

#if FX_DSP
/* acc + the squares of (x02 - c02, x13 - c13), lane by lane, where c02 and c13 are the int8 values
   c0..c3 of the word c widened as pairs (SXTB16, and with ROR #8): |difference| <= 255 fits a lane,
   and 2016 x 255^2 fits the int32 SMLAD accumulates in. */
static int32_t add_squares4(int32_t acc, uint32_t x02, uint32_t x13, uint32_t c)
{
    const int16x2_t d02 = __ssub16((int16x2_t)x02, __sxtb16((int8x4_t)c));
    const int16x2_t d13 = __ssub16((int16x2_t)x13, __sxtb16((int8x4_t)((c >> 8) | (c << 24))));
    return __smlad(d13, d13, __smlad(d02, d02, acc));
}

/* Four bytes of a row, which may start anywhere: one LDR, which takes unaligned addresses on a
   Cortex-M4 (CMSIS's __UNALIGNED_UINT32_READ, where a memcpy would be a call at -Os). */
struct fx_unaligned_u32 {
    uint32_t v;
} __attribute__((packed));

static uint32_t word_at(const int8_t *p)
{
    return ((const struct fx_unaligned_u32 *)(const void *)p)->v;
}
#endif

/* Input i of the first layer: an int8 value, or a lane of its pairs (per four inputs x0..x3 the words
   (x0, x2) and (x1, x3) of two int16 lanes, lane 0 low; fx_kernels.h). */
static int32_t input_at(const fx_activations *in, uint32_t i, int pairs)
{
    if (!pairs) {
        return in->s8[i];
    }
    const uint32_t word = in->pairs[i / 4u * 2u + (i & 1u)];
    return (int16_t)(uint16_t)((i & 2u) ? word >> 16 : word);
}

/* The squared distance of the first n inputs to a centroid; on a Cortex-M4 four at a time, int8
   inputs widened as the pairs are. */
static uint32_t distance2(const fx_activations *in, int pairs, const int8_t *centroid, uint32_t n)
{
    uint32_t i = 0;
    uint32_t sum = 0;
#if FX_DSP
    int32_t acc = 0;
    for (; i + 4u <= n; i += 4u) {
        uint32_t x02;
        uint32_t x13;
        if (pairs) {
            x02 = in->pairs[i / 2u];
            x13 = in->pairs[i / 2u + 1u];
        } else {
            const uint32_t w = word_at(in->s8 + i);
            x02 = (uint32_t)__sxtb16((int8x4_t)w);
            x13 = (uint32_t)__sxtb16((int8x4_t)((w >> 8) | (w << 24)));
        }
        acc = add_squares4(acc, x02, x13, word_at(centroid + i));
    }
    sum = (uint32_t)acc;
#endif
    for (; i < n; ++i) {
        const int32_t d = input_at(in, i, pairs) - centroid[i];
        sum += (uint32_t)(d * d);
    }
    return sum;
}

int fx_decide_outside(const fx_decide_space *space, const fx_activations *in, int pairs)
{
    if (space->n_dims == 0) {
        return 0;
    }
    for (uint8_t c = 0; c < space->n_classes; ++c) {
        const int8_t *centroid = space->centroid + (uint32_t)c * space->n_dims;
        if (distance2(in, pairs, centroid, space->n_dims) <= space->radius2[c]) {
            return 0;
        }
    }
    return 1;
}
