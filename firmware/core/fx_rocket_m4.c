/* fx_rocket_m4.c: Cortex-M4 variant of the rocket kernel, two int16 samples a word; empty without FX_DSP. */
#include "fx_rocket_m4.h"

#if FX_DSP
#include <string.h>

/*
 * The portable C's counts, arranged for SADD16 and SSUB16 (fx_rocket_m4.S):
 * - The block's signal is kept times 3, U = 3 y (|U| <= 3 FX_ROCKET_Y_MAX), twice: from an even sample
 *   on and from an odd one, so that the words of two samples at any offset are word-aligned in one of
 *   the two copies, and LDM reads four of them at once.
 * - conv = U_a + U_b + U_c - S9. Every 3-subset of the nine taps has two of them within {0..3} or
 *   within {4..8}: the 16 pairs of those two groups cover the 84 kernels. Per block, the pair sums
 *   Q = U_a + U_b - S9 are made once per pair, and each kernel's conv is Q + U_c, one SADD16 per word.
 * - S9 is the sum of the nine taps of U divided by 3, exactly: the taps' sum is 3 S9, and S9 fits
 *   int16, so S9 = (the sum mod 2^16) x 43691 mod 2^16 (3 x 43691 = 2^17 + 1), lane by lane; the sum
 *   may wrap in its lanes, which this arithmetic modulo 2^16 allows.
 */

/* The 84 kernels ordered by their pair: kernel | a << 8 | b << 12 | c << 16 with the pair (a, b) and
   the third tap c (the table of fx_rocket_triples, rearranged). */
static const uint32_t pair_order[FX_ROCKET_KERNELS] = {
    0x21000u, 0x31001u, 0x41002u, 0x51003u, 0x61004u, 0x71005u, 0x81006u, 0x32007u,
    0x42008u, 0x52009u, 0x6200au, 0x7200bu, 0x8200cu, 0x4300du, 0x5300eu, 0x6300fu,
    0x73010u, 0x83011u, 0x3211cu, 0x4211du, 0x5211eu, 0x6211fu, 0x72120u, 0x82121u,
    0x43122u, 0x53123u, 0x63124u, 0x73125u, 0x83126u, 0x43231u, 0x53232u, 0x63233u,
    0x73234u, 0x83235u, 0x05412u, 0x15427u, 0x25436u, 0x35440u, 0x6544au, 0x7544bu,
    0x8544cu, 0x06413u, 0x16428u, 0x26437u, 0x36441u, 0x7644du, 0x8644eu, 0x07414u,
    0x17429u, 0x27438u, 0x37442u, 0x8744fu, 0x08415u, 0x1842au, 0x28439u, 0x38443u,
    0x06516u, 0x1652bu, 0x2653au, 0x36544u, 0x76550u, 0x86551u, 0x07517u, 0x1752cu,
    0x2753bu, 0x37545u, 0x87552u, 0x08518u, 0x1852du, 0x2853cu, 0x38546u, 0x07619u,
    0x1762eu, 0x2763du, 0x37647u, 0x87653u, 0x0861au, 0x1862fu, 0x2863eu, 0x38648u,
    0x0871bu, 0x18730u, 0x2873fu, 0x38749u,
};

#define NO_RANK 0xFFu

typedef struct {
    int16_t *even; /* 3 y padded: sample t at even[pad + t] */
    int16_t *odd;  /* odd[i] = even[i + 1] */
    uint32_t *s9;  /* S9 at samples 2i, 2i + 1 */
    uint32_t *q;   /* the pair sums, likewise */
    uint8_t *rank; /* per kernel of the 84, its place among the model's kernels, or NO_RANK */
} work;

static work work_at(const fx_feature_stage *stage, void *buffer)
{
    const uint32_t padded = FX_PAD4(2u * (FX_ROCKET_PADDED(stage->window_len, fx_rocket_pad(stage)) + 2u));
    const uint32_t samples = FX_PAD4(2u * (stage->window_len + 2u));
    uint8_t *base = (uint8_t *)buffer;
    work w;
    w.even = (int16_t *)(void *)base;
    w.odd = (int16_t *)(void *)(base + padded);
    w.s9 = (uint32_t *)(void *)(base + 2u * padded);
    w.q = (uint32_t *)(void *)(base + 2u * padded + samples);
    w.rank = base + 2u * padded + 2u * samples;
    return w;
}

/* The word of U's samples i and i + 1, from the copy where it is aligned. */
static const uint32_t *words_at(const work *w, uint32_t i)
{
    return (const uint32_t *)(const void *)((i & 1u) ? w->odd + i - 1u : w->even + i);
}

/* S9 over the words of samples [0, 2 words): the nine taps of U summed by SADD16 (written out, so that
   each tap is one load and one SADD16 a word), divided by 3. */
static FX_NOINLINE void nine_tap_sums(const work *w, uint32_t pad, uint32_t dilation, uint32_t words)
{
    const uint32_t *t0 = words_at(w, pad - 4u * dilation), *t1 = words_at(w, pad - 3u * dilation);
    const uint32_t *t2 = words_at(w, pad - 2u * dilation), *t3 = words_at(w, pad - dilation);
    const uint32_t *t4 = words_at(w, pad), *t5 = words_at(w, pad + dilation);
    const uint32_t *t6 = words_at(w, pad + 2u * dilation), *t7 = words_at(w, pad + 3u * dilation);
    const uint32_t *t8 = words_at(w, pad + 4u * dilation);
    for (uint32_t i = 0; i < words; ++i) {
        const uint32_t sum = __sadd16(__sadd16(__sadd16(t0[i], t1[i]), __sadd16(t2[i], t3[i])),
                                      __sadd16(__sadd16(t4[i], t5[i]), __sadd16(__sadd16(t6[i], t7[i]), t8[i])));
        w->s9[i] = ((sum * 43691u) & 0xFFFFu) | (sum >> 16) * 43691u << 16;
    }
}

/* A kernel's counts over its samples [first, window_len - first): the words by fx_rocket_count_m4, an
   odd last sample here. */
static void kernel_counts(const work *w, const fx_rocket_block *b, uint32_t window_len, uint32_t pad,
                          uint32_t entry, const int16_t *biases, int32_t *features)
{
    const uint32_t kernel = entry & 0xFFu;
    const uint32_t first = fx_rocket_first(b, kernel);
    const uint32_t n = window_len - 2u * first;
    const uint32_t at = pad + first + (entry >> 16) * b->dilation - 4u * b->dilation; /* U_c of sample first */
    const uint32_t *u = words_at(w, at);
    const uint32_t *q = w->q + first / 2u;
    const int32_t last = ((const int16_t *)w->q)[first + n - 1u] + w->even[at + n - 1u];
    for (uint32_t i = 0; i < b->n_biases; ++i) {
        const int32_t bias = biases[i];
        const uint32_t counts = fx_rocket_count_m4(q, u, n / 2u, (uint16_t)bias | (uint32_t)bias << 16);
        features[i] = (int32_t)((counts & 0xFFFFu) + (counts >> 16)) + ((n & 1u) && last > bias);
    }
}

void fx_features_rocket_m4(const fx_feature_stage *stage, const int16_t *window, int32_t *features, void *buffer)
{
    const fx_rocket_params *p = &stage->params.rocket;
    const uint32_t L = stage->window_len, pad = fx_rocket_pad(stage);
    const uint32_t words = (L + 1u) / 2u;
    const work w = work_at(stage, buffer);
    memset(w.even, 0, 2u * (FX_ROCKET_PADDED(L, pad) + 2u));
    memset(w.odd, 0, 2u * (FX_ROCKET_PADDED(L, pad) + 2u));
    memset(w.rank, NO_RANK, FX_ROCKET_KERNELS);
    for (uint32_t k = 0; k < p->n_kernels; ++k) {
        w.rank[p->kernels[k]] = (uint8_t)k;
    }
    const int16_t *biases = p->biases;
    for (uint32_t i = 0; i < p->n_blocks; ++i) {
        const fx_rocket_block b = fx_rocket_block_at(p, i);
        const uint32_t d = b.dilation;
        fx_rocket_signal(stage, &b, window, 3, w.even, w.odd);
        nine_tap_sums(&w, pad, d, words);
        uint32_t pair = 0;
        for (uint32_t e = 0; e < FX_ROCKET_KERNELS; ++e) {
            const uint32_t entry = pair_order[e];
            const uint32_t rank = w.rank[entry & 0xFFu];
            if (rank == NO_RANK) {
                continue;
            }
            if ((entry & 0xFF00u) != pair) {
                pair = entry & 0xFF00u;
                const uint32_t a = entry >> 8 & 15u, c = entry >> 12 & 15u;
                fx_rocket_pairs_m4(w.q, words_at(&w, pad + a * d - 4u * d), words_at(&w, pad + c * d - 4u * d), w.s9,
                                   words);
            }
            kernel_counts(&w, &b, L, pad, entry, biases + rank * b.n_biases, features + rank * b.n_biases);
        }
        const uint32_t n = (uint32_t)p->n_kernels * b.n_biases;
        biases += n;
        features += n;
    }
}

#endif
