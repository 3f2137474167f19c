/* fx_spectral_m4.S: Cortex-M4 loops of the spectral kernel: pass 1 and deviations of two lanes, a channel's segments. */
#include "fx_spectral_m4.h"

/* Offsets come from fx_spectral_m4.h, the arithmetic is defined by the portable C
   (fx_features_spectral.c) and explained where it is arranged differently in fx_spectral_m4.c;
   without FX_DSP nothing is assembled. */

#if FX_DSP
    .syntax unified
    .thumb
    .text

/* STRD and LDRD take these fields in pairs (the C checks the arrays' own). */
    .if FX_SPECTRAL_SUMS_LO != FX_SPECTRAL_SUMS_HI + 4
    .error "fx_spectral_sums: STRD needs hi, lo side by side"
    .endif
    .if FX_SPECTRAL_SCALE_FACTORS != FX_SPECTRAL_SCALE_MEANS + 4 || FX_SPECTRAL_SCALE_LANE1 != FX_SPECTRAL_SCALE_LANE0 + 4
    .error "fx_spectral_scale: LDRD needs means, factors and lane0, lane1 side by side"
    .endif

/*
 * Rows (r2, at least 1) words from p (r0), stride (r1) bytes apart, end (r2) set past them: an odd
 * row first (one), then two (two) where the count is 2 or 3 modulo 4, then four at a time. LSLS #31
 * leaves Z clear for an odd count and C set for a count of 2 or 3 modulo 4; neither one nor two sets
 * the condition flags (SSUB16 sets only the GE flags).
 */
    .macro ROWS scratch, one, two
    lsls    \scratch, r2, #31
    mla     r2, r2, r1, r0
    beq     1f
    \one
1:  bcc     2f
    \two
2:  cmp     r0, r2
    beq     4f
3:  \two
    \two
    cmp     r0, r2
    bne     3b
4:
    .endm

/*
 * void fx_spectral_pass1_m4(const uint8_t *p, uint32_t stride, uint32_t rows, fx_spectral_sums *sums)
 * Over rows words at p, p + stride, ...: per int16 lane the sum (SXTAH, ASR #16), the sum of
 * squares (SMLALBB, SMLALTT: 64 bits) and the lane-wise maximum and minimum (SSUB16 sets the GE
 * flags from the exact 17-bit differences, SEL picks). Rows go two at a time, their maximum and
 * minimum first (one SSUB16), then those against the running extremes (ROWS).
 */
    p       .req r0
    stride  .req r1
    end     .req r2
    sum0    .req r3
    sum1    .req r4
    sq0lo   .req r5
    sq0hi   .req r6
    sq1lo   .req r7
    sq1hi   .req r8
    hi      .req r9
    lo      .req r10
    w       .req r11
    w2      .req r12
    t       .req lr

    .macro SUMS x
    sxtah   sum0, sum0, \x
    add     sum1, sum1, \x, asr #16
    smlalbb sq0lo, sq0hi, \x, \x
    smlaltt sq1lo, sq1hi, \x, \x
    .endm

    /* The first row of an odd count: it is also where the extremes start. */
    .macro ROW1
    ldr     w, [p]
    add     p, p, stride
    SUMS    w
    .endm

    /* Two rows: their maximum and minimum first, then those against the running extremes. */
    .macro ROW2
    ldr     w, [p]
    ldr     w2, [p, stride]
    add     p, p, stride, lsl #1
    SUMS    w
    SUMS    w2
    ssub16  t, w2, w
    sel     t, w2, w                    /* the pair's maximum */
    sel     w, w, w2                    /* and minimum */
    ssub16  w2, t, hi
    sel     hi, t, hi
    ssub16  w2, w, lo
    sel     lo, lo, w
    .endm

    .global fx_spectral_pass1_m4
    .type fx_spectral_pass1_m4, %function
    .thumb_func
fx_spectral_pass1_m4:
    push    {r3-r11, lr}
    mov     sum0, #0
    mov     sum1, #0
    mov     sq0lo, #0
    mov     sq0hi, #0
    mov     sq1lo, #0
    mov     sq1hi, #0
    ldr     hi, [p]                     /* the extremes start at the first row */
    mov     lo, hi
    ROWS    t, ROW1, ROW2
    ldr     t, [sp]                     /* sums */
    strd    sq0lo, sq0hi, [t, #FX_SPECTRAL_SUMS_SQUARES]
    strd    sq1lo, sq1hi, [t, #FX_SPECTRAL_SUMS_SQUARES + 8]
    strd    sum0, sum1, [t, #FX_SPECTRAL_SUMS_SUM]
    strd    hi, lo, [t, #FX_SPECTRAL_SUMS_HI]
    pop     {r3-r11, pc}
    .size fx_spectral_pass1_m4, . - fx_spectral_pass1_m4

    .unreq p
    .unreq stride
    .unreq end
    .unreq sum0
    .unreq sum1
    .unreq sq0lo
    .unreq sq0hi
    .unreq sq1lo
    .unreq sq1hi
    .unreq hi
    .unreq lo
    .unreq w
    .unreq w2
    .unreq t

/*
 * void fx_spectral_deviations_m4(const uint8_t *p, uint32_t stride, uint32_t rows, const fx_spectral_scale *scale)
 * Over rows words at p, p + stride, ...: per lane 2 d = (x - mean) * 2^(e + 1) (SSUB16 is exact
 * where both exponents are >= 0: |x - mean| < 2^14; SMULBB and SMULTT by the factors), lane 0's
 * values to scale->lane0 and lane 1's to scale->lane1, or both lanes as one word (PKHBT) to
 * scale->lane0 where lane1 is NULL (ROWS).
 */
    p       .req r0
    stride  .req r1
    end     .req r2
    means   .req r3
    factors .req r4
    out0    .req r5
    out1    .req r6
    w       .req r7
    w2      .req r8
    t       .req r9
    t2      .req r10

    /* Lane 0 of the word x to out0, lane 1 to out1 (x and the scratch s are consumed). */
    .macro TWO_LANES x, s
    ssub16  \x, \x, means
    smulbb  \s, \x, factors
    smultt  \x, \x, factors
    strh    \s, [out0], #2
    strh    \x, [out1], #2
    .endm

    /* Both lanes of x as one word to out0. */
    .macro ONE_WORD x, s
    ssub16  \x, \x, means
    smulbb  \s, \x, factors
    smultt  \x, \x, factors
    pkhbt   \s, \s, \x, lsl #16
    str     \s, [out0], #4
    .endm

    /* One row through op, and two. */
    .macro WORD1 op
    ldr     w, [p]
    add     p, p, stride
    \op     w, t
    .endm

    .macro WORD2 op
    ldr     w, [p]
    ldr     w2, [p, stride]
    add     p, p, stride, lsl #1
    \op     w, t
    \op     w2, t2
    .endm

    .global fx_spectral_deviations_m4
    .type fx_spectral_deviations_m4, %function
    .thumb_func
fx_spectral_deviations_m4:
    push    {r4-r10, lr}
    ldrd    out0, out1, [r3, #FX_SPECTRAL_SCALE_LANE0]
    ldrd    means, factors, [r3, #FX_SPECTRAL_SCALE_MEANS]  /* means is r3: last */
    cmp     out1, #0
    beq     .Lwords
    ROWS    t, "WORD1 TWO_LANES", "WORD2 TWO_LANES"
    pop     {r4-r10, pc}
.Lwords:
    ROWS    t, "WORD1 ONE_WORD", "WORD2 ONE_WORD"
    pop     {r4-r10, pc}
    .size fx_spectral_deviations_m4, . - fx_spectral_deviations_m4

    .unreq p
    .unreq stride
    .unreq end
    .unreq means
    .unreq factors
    .unreq out0
    .unreq out1
    .unreq w
    .unreq w2
    .unreq t
    .unreq t2

/*
 * void fx_spectral_segments_m4(const fx_spectral_job *job)
 * The power of every segment of one channel, summed into job->power (zeroed first), in four
 * phases per segment, each the portable C's arithmetic on two int16 lanes a word (real part low):
 *  A. the first pass: a record per group of four FFT points gives their byte offsets in the
 *     segment and their Hann pairs; y = (2d HANN + 2^15) >> 16 is the high half of SMLABB/SMLATT
 *     (PKHTB packs two), then the first two stages of the FFT in registers. Their twiddles are
 *     W_2^0 = W_4^0 = (32767, 0) and W_4^1 = (0, -32767), and (v 32767) >> 15 = v - (v > 0) for
 *     |v| < 2^15 (every value there is below 2^14): USAT16 #1 gives (v > 0) per lane, SSUB16
 *     takes it off; W_4^1 b is that on (b_i, -b_r), which SSAX with zero makes.
 *  B. radix-4 passes: stages h and 2h of four points h apart in registers.
 *  C. where an odd stage is left, the last (h = M/2) as radix 2.
 *  D. the split of bins k and M - k together, which read the same two points: X_k from
 *     A = Z[k], B = conj Z[M - k], and X_(M-k) from A' = Z[M - k], B' = conj Z[k] with
 *     V_(M-k) = (V_k real, -V_k imaginary) (the tables' symmetry); then k = M/2 alone. The power
 *     Xr^2 + Xi^2 is added to its 64-bit sum by SMLALD.
 * A butterfly's product t = (b W) >> 15 per part is SMUSD and SMUADX; the imaginary part doubled
 * (LSL #1: |b W| < 2^30, every modulus staying below 2^14 sqrt 2 plus the floors' few counts)
 * puts ti >> 15 in its high half, which PKHTB joins to tr >> 15. SHADD16 and SHSUB16 are the halving
 * butterfly's (a + t) >> 1 and (a - t) >> 1 on the exact 17-bit sums.
 */
    .equ FRAME_S, 0             /* the segment */
    .equ FRAME_TWIDDLES, 4      /* phase B: the pass's twiddles */
    .equ FRAME_END, 8           /* phase B: the spectrum's end */
    .equ FRAME_LOCALS, 16
    .equ FRAME_JOB, 16          /* the argument, pushed below the locals */

    /* t = (b W) >> 15 per part, s scratch. */
    .macro CMUL t, b, w, s
    smusd   \t, \b, \w
    smuadx  \s, \b, \w
    lsl     \s, \s, #1
    pkhtb   \t, \s, \t, asr #15
    .endm

    /* y of point x (offset in, then the point's word) with its Hann pair h (consumed), s scratch. */
    .macro WINDOW x, h, s
    ldr     \x, [r0, \x]
    smlabb  \s, \x, \h, r10
    smlatt  \h, \x, \h, r10
    pkhtb   \x, \h, \s, asr #16
    .endm

    /* a, b = (a + f(b)) >> 1, (a - f(b)) >> 1 with f(v) = v - (v > 0) per lane; s scratch. */
    .macro TRIVIAL a, b, s
    usat16  \s, #1, \b
    ssub16  \s, \b, \s
    shsub16 \b, \a, \s
    shadd16 \a, \a, \s
    .endm

    /* a, b = (a + t) >> 1, (a - t) >> 1. */
    .macro BUTTERFLY a, b, t
    shsub16 \b, \a, \t
    shadd16 \a, \a, \t
    .endm

    /* X of bin k from A = a, B = conj b, V = v (r6) into the power at [pw], post-indexed by step. */
    .macro BIN a, b, pw, step
    ror     r7, \b, #16
    shsax   r8, \a, r7                  /* E */
    shasx   r9, \a, r7                  /* O */
    smusd   r10, r9, r6
    smuadx  r11, r9, r6
    lsl     r11, r11, #1
    pkhtb   r10, r11, r10, asr #15      /* T = (O V) >> 15 */
    shadd16 r8, r8, r10                 /* X = (E + T) >> 1 */
    ldrd    r10, r11, [\pw]
    smlald  r10, r11, r8, r8
    strd    r10, r11, [\pw], \step
    .endm

    /* X of bin M - k from A' = b, B' = conj a, V_(M-k) = (vr, -vi): T'r = O'r vr + O'i vi (SMUAD),
       T'i = vr O'i - vi O'r (SMUSDX of V and O'). */
    .macro MIRROR_BIN a, b, pw, step
    ror     r7, \a, #16
    shsax   r8, \b, r7
    shasx   r9, \b, r7
    smuad   r10, r9, r6
    smusdx  r11, r6, r9
    lsl     r11, r11, #1
    pkhtb   r10, r11, r10, asr #15
    shadd16 r8, r8, r10
    ldrd    r10, r11, [\pw]
    smlald  r10, r11, r8, r8
    strd    r10, r11, [\pw], \step
    .endm

    .global fx_spectral_segments_m4
    .type fx_spectral_segments_m4, %function
    .thumb_func
fx_spectral_segments_m4:
    push    {r0, r4-r11, lr}
    sub     sp, sp, #FRAME_LOCALS
    /* power[0 .. M] = 0: one entry, then two at a time */
    ldr     r1, [r0, #FX_SPECTRAL_JOB_POWER]
    ldr     r2, [r0, #FX_SPECTRAL_JOB_HALF_LEN]
    movs    r4, #0
    movs    r5, #0
    movs    r6, #0
    movs    r7, #0
    add     r2, r1, r2, lsl #3          /* &power[M] */
    strd    r4, r5, [r1], #8
.Lzero:
    stm     r1!, {r4-r7}
    cmp     r1, r2
    blo     .Lzero
    str     r4, [sp, #FRAME_S]
.Lsegment:
    /* phase A: r0 the segment's deviations, r1 the records, r2 the spectrum, r3 the records' end,
       r10 2^15 (the rounding), r11 zero */
    ldr     lr, [sp, #FRAME_JOB]
    ldr     r1, [sp, #FRAME_S]
    ldr     r2, [lr, #FX_SPECTRAL_JOB_SPAN]
    ldr     r3, [lr, #FX_SPECTRAL_JOB_DIVISOR]
    ldr     r0, [lr, #FX_SPECTRAL_JOB_DEVIATIONS]
    mul     r2, r2, r1
    udiv    r2, r2, r3                  /* the segment's first sample */
    add     r0, r0, r2, lsl #1
    ldr     r1, [lr, #FX_SPECTRAL_JOB_GROUPS]
    ldr     r3, [lr, #FX_SPECTRAL_JOB_GROUPS_END]
    ldr     r2, [lr, #FX_SPECTRAL_JOB_SPECTRUM]
    mov     r10, #0x8000
    movs    r11, #0
.Lgroup:
    ldm     r1!, {r4, r5, r8, r9}       /* the offsets of points 0, 1 and their Hann pairs */
    WINDOW  r4, r8, r12
    WINDOW  r5, r9, r12
    ldm     r1!, {r6, r7, r8, r9}       /* points 2, 3 */
    WINDOW  r6, r8, r12
    WINDOW  r7, r9, r12
    TRIVIAL r4, r5, r8                  /* stage 1: (0, 1) and (2, 3) by W_2^0 */
    TRIVIAL r6, r7, r8
    TRIVIAL r4, r6, r8                  /* stage 2: (0, 2) by W_4^0 */
    ssax    r9, r11, r7                 /* (1, 3) by W_4^1 */
    usat16  r8, #1, r9
    ssub16  r8, r9, r8
    BUTTERFLY r5, r7, r8
    stm     r2!, {r4-r7}
    cmp     r1, r3
    bne     .Lgroup

    /* phase B: r0 the point, r1 the point 2h on, r2 4h (bytes), r3 the block's k-end, r4-r7 four
       points h apart, r8-r10 their twiddles, r11, r12 scratch, lr the twiddles; a block of 4h
       points at a time, k = 0 .. h - 1 within it, each k's three twiddles loaded by one LDM */
    ldr     lr, [sp, #FRAME_JOB]
    ldr     r0, [lr, #FX_SPECTRAL_JOB_SPECTRUM]
    ldr     r3, [lr, #FX_SPECTRAL_JOB_HALF_LEN]
    ldr     lr, [lr, #FX_SPECTRAL_JOB_TWIDDLES]
    add     r3, r0, r3, lsl #2
    str     r3, [sp, #FRAME_END]
    movs    r2, #16                     /* h = 4 */
.Lpass:
    add     r1, r0, r2, lsl #2
    cmp     r1, r3
    bhi     .Lradix2                    /* 4h > M: no two stages left */
    str     lr, [sp, #FRAME_TWIDDLES]
.Lblock:
    ldr     lr, [sp, #FRAME_TWIDDLES]
    add     r3, r0, r2
.Lk:
    ldm     lr!, {r8-r10}
    add     r1, r0, r2, lsl #1
    ldr     r4, [r0]
    ldr     r5, [r0, r2]
    ldr     r6, [r1]
    ldr     r7, [r1, r2]
    CMUL    r11, r5, r8, r12            /* stage h */
    BUTTERFLY r4, r5, r11
    CMUL    r11, r7, r8, r12
    BUTTERFLY r6, r7, r11
    CMUL    r11, r6, r9, r12            /* stage 2h */
    BUTTERFLY r4, r6, r11
    CMUL    r11, r7, r10, r12
    BUTTERFLY r5, r7, r11
    str     r5, [r0, r2]
    str     r6, [r1]
    str     r7, [r1, r2]
    str     r4, [r0], #4
    cmp     r0, r3
    bne     .Lk
    add     r0, r0, r2, lsl #1          /* the next block, 16h bytes from this one's start */
    add     r0, r0, r2
    ldr     r3, [sp, #FRAME_END]
    cmp     r0, r3
    blo     .Lblock
    ldr     r0, [sp, #FRAME_JOB]        /* the next pass, its twiddles after this one's */
    ldr     r0, [r0, #FX_SPECTRAL_JOB_SPECTRUM]
    lsls    r2, r2, #2                  /* h *= 4 */
    b       .Lpass
.Lradix2:
    add     r1, r0, r2, lsl #1
    cmp     r1, r3
    bne     .Lsplit                     /* h = M: every stage done */
    add     r3, r0, r2                  /* h = M/2: the last stage, one block */
.Lbutterfly:
    ldr     r8, [lr], #4
    ldr     r4, [r0]
    ldr     r5, [r0, r2]
    CMUL    r11, r5, r8, r12
    BUTTERFLY r4, r5, r11
    str     r5, [r0, r2]
    str     r4, [r0], #4
    cmp     r0, r3
    bne     .Lbutterfly

    /* phase D: r0 Z[k] up, r1 Z[M - k] down, r2 V_k, r3 power[k] up, lr power[M - k] down */
.Lsplit:
    ldr     lr, [sp, #FRAME_JOB]
    ldr     r0, [lr, #FX_SPECTRAL_JOB_SPECTRUM]
    ldr     r2, [lr, #FX_SPECTRAL_JOB_SPLIT]
    ldr     r3, [lr, #FX_SPECTRAL_JOB_POWER]
    ldr     r1, [lr, #FX_SPECTRAL_JOB_HALF_LEN]
    add     lr, r3, r1, lsl #3          /* &power[M] */
    add     r1, r0, r1, lsl #2
    subs    r1, r1, #4                  /* &Z[M - 1] */
    ldr     r4, [r0], #4                /* k = 0 and M: A = Z[0], B = conj Z[0] */
    ldr     r6, [r2], #4
    BIN     r4, r4, r3, #8
    MIRROR_BIN r4, r4, lr, #-8
.Lpair:
    ldr     r4, [r0], #4
    ldr     r5, [r1], #-4
    ldr     r6, [r2], #4
    BIN     r4, r5, r3, #8
    MIRROR_BIN r4, r5, lr, #-8
    cmp     r0, r1
    blo     .Lpair
    ldr     r4, [r0]                    /* k = M/2, its own mirror */
    ldr     r6, [r2]
    BIN     r4, r4, r3, #8

    ldr     lr, [sp, #FRAME_JOB]
    ldr     r1, [sp, #FRAME_S]
    ldr     r2, [lr, #FX_SPECTRAL_JOB_SEGMENTS]
    adds    r1, r1, #1
    str     r1, [sp, #FRAME_S]
    cmp     r1, r2
    bne     .Lsegment
    add     sp, sp, #FRAME_LOCALS
    pop     {r0, r4-r11, pc}
    .size fx_spectral_segments_m4, . - fx_spectral_segments_m4
/*
 * void fx_spectral_bands_m4(const uint64_t *power, const uint16_t *edges, uint32_t n_bands, int32_t *features,
 *                           int32_t offset)
 * features[b] = LOG2Q8(sum of power[edges[b] .. edges[b + 1] - 1]) + offset for b < n_bands, as
 * the portable C computes it (bands, fx_features_spectral.c): the bins summed by ADDS and ADC, the
 * leading one brought to bit 31 (CLZ; a register shift by 32 gives 0, so no zeros need no case of
 * their own), the table indexed by the 8 bits below it.
 */
    .global fx_spectral_bands_m4
    .type fx_spectral_bands_m4, %function
    .thumb_func
fx_spectral_bands_m4:
    push    {r4-r10, lr}
    ldr     r4, [sp, #32]               /* offset, the fifth argument */
    movw    r5, #:lower16:fx_spectral_log2_q8
    movt    r5, #:upper16:fx_spectral_log2_q8
    add     r2, r1, r2, lsl #1          /* &edges[n_bands] */
.Lband:
    ldrh    r6, [r1], #2
    ldrh    r7, [r1]
    add     r6, r0, r6, lsl #3
    add     r7, r0, r7, lsl #3
    movs    r8, #0                      /* the band's sum: r9:r8 */
    movs    r9, #0
.Lbin:
    ldrd    r10, lr, [r6], #8
    adds    r8, r8, r10
    adc     r9, r9, lr
    cmp     r6, r7
    bne     .Lbin
    cmp     r9, #0
    beq     .Llow
    clz     r10, r9
    lsl     r9, r9, r10
    rsb     lr, r10, #32
    lsr     r8, r8, lr
    orr     r9, r9, r8                  /* top */
    rsb     r10, r10, #63               /* p */
.Lfraction:
    ubfx    r9, r9, #23, #8
    ldrb    r9, [r5, r9]
    add     r9, r9, r10, lsl #8
.Lstore:
    add     r9, r9, r4
    str     r9, [r3], #4
    cmp     r1, r2
    bne     .Lband
    pop     {r4-r10, pc}
.Llow:
    movs    r9, r8
    beq     .Lstore                     /* LOG2Q8(0) = 0 */
    clz     r10, r8
    lsl     r9, r8, r10
    rsb     r10, r10, #31
    b       .Lfraction
    .size fx_spectral_bands_m4, . - fx_spectral_bands_m4
#endif
