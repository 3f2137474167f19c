/* fx_dense_m4.h: Cortex-M4 DSP path of the dense accumulation (SXTB16 + SMLAD), same sums as the
   portable definition in fx_dense.c; included there only when __ARM_FEATURE_DSP is set. */
#ifndef FX_DENSE_M4_H
#define FX_DENSE_M4_H

#include <arm_acle.h>

static inline uint32_t load_word(const int8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4); /* one LDR (-ffreestanding would make memcpy a call) */
    return v;
}

/* SXTB16 with its built-in rotation: (b1, b3) as int16 pairs in one instruction. */
static inline int16x2_t sxtb16_ror8(uint32_t x)
{
    int16x2_t r;
    __asm("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* SXTB16 splits four int8 into (b0, b2) and, rotated by 8, (b1, b3) as int16 pairs. A weight word
   and an input word split the same way pair up lane by lane, so SMLAD needs no reordering:
   smlad(x02, w02) + smlad(x13, w13) = sum of the four products. */
static void fx_dense_accumulate_m4(const fx_dense *layer, uint16_t block, const int8_t *in, int32_t acc[4])
{
    const uint32_t in_blocks = FX_PAD4(layer->in_len) / 4u;
    const int8_t *w = layer->weights + (size_t)block * in_blocks * 16u;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (uint32_t ib = 0; ib < in_blocks; ++ib) {
        const uint32_t x = load_word(in + ib * 4u);
        const int16x2_t x02 = __sxtb16(x);
        const int16x2_t x13 = sxtb16_ror8(x);
        uint32_t wv = load_word(w);
        a0 = __smlad(__sxtb16(wv), x02, a0);
        a0 = __smlad(sxtb16_ror8(wv), x13, a0);
        wv = load_word(w + 4);
        a1 = __smlad(__sxtb16(wv), x02, a1);
        a1 = __smlad(sxtb16_ror8(wv), x13, a1);
        wv = load_word(w + 8);
        a2 = __smlad(__sxtb16(wv), x02, a2);
        a2 = __smlad(sxtb16_ror8(wv), x13, a2);
        wv = load_word(w + 12);
        a3 = __smlad(__sxtb16(wv), x02, a3);
        a3 = __smlad(sxtb16_ror8(wv), x13, a3);
        w += 16;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

#endif
