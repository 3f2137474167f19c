/* fx_rocket_m4.h: the rocket kernel's Cortex-M4 variant: its assembly routines and its entry. */
#ifndef FX_ROCKET_M4_H
#define FX_ROCKET_M4_H

#include "fx_compiler.h"

#if FX_DSP && !defined(__ASSEMBLER__)
#include "fx_rocket.h"

/*
 * fx_rocket_m4.S. Words hold two int16 samples, the earlier one low; every pointer is word-aligned.
 * fx_rocket_pairs_m4: q[i] = a[i] + b[i] - s9[i] lane by lane (SADD16, SSUB16), i < words.
 * fx_rocket_count_m4: per lane, the count of i < words with bias - (q[i] + u[i]) < 0, i.e. conv > bias
 * for conv = q + u; the two lanes' counts come back as the halves of the result (lane 0 low). bias
 * holds the bias in both lanes. Exact where every conv and bias - conv fits int16 (fx_features_rocket.c).
 */
void fx_rocket_pairs_m4(uint32_t *q, const uint32_t *a, const uint32_t *b, const uint32_t *s9, uint32_t words);
uint32_t fx_rocket_count_m4(const uint32_t *q, const uint32_t *u, uint32_t words, uint32_t bias);

/* fx_rocket_m4.c: the variant. */
void fx_features_rocket_m4(const fx_feature_stage *stage, const int16_t *window, int32_t *features, void *buffer);
#endif

#endif
