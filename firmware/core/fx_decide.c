/* fx_decide.c: steady decisions over hops, portable C, integers only (fx_decide.h gives the rule). */
#include "fx_decide.h"

#include <string.h>

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

/* Input i of the first layer: an int8 value, or a lane of its pairs (per four inputs x0..x3 the words
   (x0, x2) and (x1, x3), lane 0 low; fx_kernels.h). */
static int32_t input_at(const fx_activations *in, uint32_t i, int pairs)
{
    if (!pairs) {
        return in->s8[i];
    }
    const uint32_t word = in->pairs[i / 4u * 2u + (i & 1u)];
    return (int16_t)(uint16_t)((i & 2u) ? word >> 16 : word);
}

int fx_decide_outside(const fx_decide_space *space, const fx_activations *in, int pairs)
{
    if (space->n_dims == 0) {
        return 0;
    }
    for (uint8_t c = 0; c < space->n_classes; ++c) {
        const int8_t *centroid = space->centroid + (uint32_t)c * space->n_dims;
        uint32_t distance2 = 0;
        for (uint32_t i = 0; i < space->n_dims; ++i) {
            const int32_t d = input_at(in, i, pairs) - centroid[i];
            distance2 += (uint32_t)(d * d);
        }
        if (distance2 <= space->radius2[c]) {
            return 0;
        }
    }
    return 1;
}
