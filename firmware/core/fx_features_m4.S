/* fx_features_m4.S: the two passes of the Cortex-M4 feature path over a pair of channels (see
   fx_features_m4.h for the arithmetic); built for Cortex-M4 only. */
    .syntax unified
    .thumb
    .text

/*
 * void fx_features_pair_m4(const uint8_t *p, uint32_t stride, const fx_m4_pair *job)
 * The features of a pair of channels, lane 0 into job->f0 and lane 1 job->f1_offset bytes on,
 * from the window at p. Pass 1, segment by segment as job->steps says: each segment's lane sums;
 * and, over all samples, the lane-wise maximum and minimum, sum max(x_t, x_{t-1}) per lane
 * (max(x_0, x_0) = x_0 for the first) and the lane sums. Then the minimum, the maximum and the
 * total variation, the floored means, and pass 2 (fx_features_pass2_m4) for the deviation.
 * A segment's pairs of samples run through a loop of four pairs, entered where the pairs left
 * over by the fours begin; an odd sample goes first. job->steps holds two bytes per segment, which
 * m4_segment_steps in fx_features_m4.h computes: the entry, by TBB, and the loop's iterations.
 *   entry 0: the loop's start; 1: its fourth pair; 2: its third; 3: its second; 4: no pairs;
 *   5 to 9: one sample, then entry - 5; 10: the end of the window.
 * Pairs alternate the registers of the previous sample and of b so that nothing is moved; the
 * previous sample is in r10 between segments, and in r11 for the second and fourth pairs.
 * Thumb-2 has no register post-index: two samples are loaded at [p] and [p + stride], then p
 * advances by two strides.
 * Registers in pass 1: r0 p, r1 stride, r2 steps, r3 iterations, r4 m0, r5 m1, r6 s0, r7 s1,
 * r8 hi, r9 lo, r10 prev, r11 b, r12 t, lr a. The stack holds the output cursor f0, f1_offset, the
 * lane sums at the last segment boundary, p and job.
 */
/* Samples a (lr) and b at p and p + stride, p advanced: sums, max(a, prev), max(b, a) and
   min(b, a), extremes. prev is free once max(a, prev) is taken and holds min(b, a) for a while. */
    .macro PAIR prev, b
    ldr     lr, [r0]
    ldr     \b, [r0, r1]
    add     r0, r0, r1, lsl #1
    sxtah   r6, r6, lr
    add     r7, r7, lr, asr #16
    sxtah   r6, r6, \b
    add     r7, r7, \b, asr #16
    ssub16  r12, lr, \prev
    sel     r12, lr, \prev
    sxtah   r4, r4, r12
    add     r5, r5, r12, asr #16
    ssub16  r12, \b, lr
    sel     r12, \b, lr
    sel     \prev, lr, \b
    sxtah   r4, r4, r12
    add     r5, r5, r12, asr #16
    ssub16  lr, r12, r8
    sel     r8, r12, r8
    ssub16  lr, \prev, r9
    sel     r9, r9, \prev
    .endm

    .global fx_features_pair_m4
    .type fx_features_pair_m4, %function
    .thumb_func
fx_features_pair_m4:
    push    {r0, r2, r4-r11, lr}
    sub     sp, sp, #16                 /* [sp] f0 cursor, [sp, #4] f1_offset, [sp, #8] sums */
    ldrd    r3, r4, [r2, #4]            /* f0, f1_offset */
    strd    r3, r4, [sp]
    movs    r6, #0
    movs    r7, #0
    strd    r6, r7, [sp, #8]
    ldr     r2, [r2]                    /* steps */
    ldr     r8, [r0]                    /* hi = lo = prev = x_0 */
    mov     r9, r8
    mov     r10, r8
    movs    r4, #0
    movs    r5, #0
1:  ldrb    r12, [r2], #2               /* entry */
    ldrb    r3, [r2, #-1]               /* iterations */
    tbb     [pc, r12]
2:  .byte   (10f - 2b) / 2, (11f - 2b) / 2, (12f - 2b) / 2, (13f - 2b) / 2, (14f - 2b) / 2
    .byte   (15f - 2b) / 2, (15f - 2b) / 2, (15f - 2b) / 2, (15f - 2b) / 2, (15f - 2b) / 2
    .byte   (19f - 2b) / 2
    .balign 2
    /* one sample (r11 scratch: r12 keeps the entry), then the entry's pairs */
15: ldr     lr, [r0]
    add     r0, r0, r1
    sxtah   r6, r6, lr
    add     r7, r7, lr, asr #16
    ssub16  r11, lr, r10
    sel     r11, lr, r10
    sxtah   r4, r4, r11
    add     r5, r5, r11, asr #16
    ssub16  r11, lr, r8
    sel     r8, lr, r8
    ssub16  r11, lr, r9
    sel     r9, r9, lr
    mov     r10, lr
    tbb     [pc, r12]
3:  .byte   0, 0, 0, 0, 0
    .byte   (10f - 3b) / 2, (11f - 3b) / 2, (12f - 3b) / 2, (13f - 3b) / 2, (14f - 3b) / 2
    .balign 2
10: PAIR    r10, r11
16: PAIR    r11, r10
12: PAIR    r10, r11
17: PAIR    r11, r10
    subs    r3, r3, #1
    bne     10b
    /* the segment's sums: the lane sums now less those at the last boundary */
14: ldmia   sp, {r3, r11, r12, lr}      /* f0 cursor, f1_offset, the sums at the last boundary */
    sub     r12, r6, r12
    sub     lr, r7, lr
    str     lr, [r3, r11]
    str     r12, [r3], #4
    str     r3, [sp]
    strd    r6, r7, [sp, #8]
    b       1b
11: mov     r11, r10                    /* into the fourth pair, whose previous sample is r11 */
    b       17b
13: mov     r11, r10                    /* into the second */
    b       16b
    /* the minimum and the maximum, lane 0 at the cursor (f0 + n_segments) and lane 1 at r11 */
19: ldrd    r3, r11, [sp]
    add     r11, r3, r11
    sxth    r12, r9
    asr     lr, r9, #16
    str     r12, [r3]
    str     lr, [r11]
    sxth    r12, r8
    asr     lr, r8, #16
    str     r12, [r3, #4]
    str     lr, [r11, #4]
    /* total variation = 2 (sum max(x_t, x_{t-1}) - S) - x_0 + x_{n-1} */
    ldrd    r0, r2, [sp, #16]           /* p, job */
    ldr     r12, [r0]
    sub     r4, r4, r6
    sub     r5, r5, r7
    sxth    lr, r12
    rsb     r4, lr, r4, lsl #1
    sxtah   r4, r4, r10
    asr     lr, r12, #16
    rsb     r5, lr, r5, lsl #1
    add     r5, r5, r10, asr #16
    str     r4, [r3, #8]
    str     r5, [r11, #8]
    /* the means, floored: SDIV truncates, so one less where the remainder is negative */
    ldr     r10, [r2, #12]              /* n */
    sdiv    r4, r6, r10
    mls     r12, r4, r10, r6
    cmp     r12, #0
    it      lt
    sublt   r4, r4, #1
    sdiv    r5, r7, r10
    mls     r12, r5, r10, r7
    cmp     r12, #0
    it      lt
    sublt   r5, r5, #1
    /* deviation = 2 sum max(x_t, m) - S - n m; pass 2 keeps r4-r11 */
    mov     r8, r3
    mov     r2, r10
    pkhbt   r3, r4, r5, lsl #16
    bl      fx_features_pass2_m4
    rsb     r0, r6, r0, lsl #1
    mls     r0, r10, r4, r0
    rsb     r1, r7, r1, lsl #1
    mls     r1, r10, r5, r1
    str     r0, [r8, #12]
    str     r1, [r11, #12]
    add     sp, sp, #24
    pop     {r4-r11, pc}
    .size fx_features_pair_m4, . - fx_features_pair_m4

/*
 * uint64_t fx_features_pass2_m4(const uint8_t *p, uint32_t stride, uint32_t rows, uint32_t m)
 * Sum over rows samples of max(x_t, m) per lane, m packed as two int16 lanes: lane 0's in the low
 * word (r0), lane 1's in the high word (r1). Of r4-r11 it changes none.
 * One sample, two and four as the count's low bits ask, then eight per iteration, each loaded at
 * a multiple of the stride from p (LDR's register offset shifts by at most 3: 5 and 7 strides
 * are kept in registers), and p advanced once.
 * Registers: r0 p, r1 stride, r2 rows, r3 m, r4 d0, r5 d1, r6 a, r7 b, r8 five strides,
 * r9 seven strides, r12 t, lr three strides.
 */
/* Samples a (r6) and b (r7), already loaded: max(x, m) per lane added to r4, r5 (r12 scratch). */
    .macro MAX_PAIR
    ssub16  r12, r6, r3
    sel     r6, r6, r3
    ssub16  r12, r7, r3
    sel     r7, r7, r3
    sxtah   r4, r4, r6
    add     r5, r5, r6, asr #16
    sxtah   r4, r4, r7
    add     r5, r5, r7, asr #16
    .endm

/* Four samples at p, p + stride, p + 2 strides, p + 3 strides (lr): max(x, m) per lane added. */
    .macro MAX_QUAD
    ldr     r6, [r0]
    ldr     r7, [r0, r1]
    MAX_PAIR
    ldr     r6, [r0, r1, lsl #1]
    ldr     r7, [r0, lr]
    MAX_PAIR
    .endm

    .global fx_features_pass2_m4
    .type fx_features_pass2_m4, %function
    .thumb_func
fx_features_pass2_m4:
    push    {r4-r9, lr}
    movs    r4, #0
    movs    r5, #0
    add     lr, r1, r1, lsl #1          /* three strides */
    lsrs    r2, r2, #1
    bcc     2f
    ldr     r6, [r0]
    add     r0, r0, r1
    ssub16  r12, r6, r3
    sel     r6, r6, r3
    sxtah   r4, r4, r6
    add     r5, r5, r6, asr #16
2:  lsrs    r2, r2, #1
    bcc     3f
    ldr     r6, [r0]
    ldr     r7, [r0, r1]
    add     r0, r0, r1, lsl #1
    MAX_PAIR
3:  lsrs    r2, r2, #1
    bcc     6f
    MAX_QUAD
    add     r0, r0, r1, lsl #2
6:  beq     5f                          /* no eights: Z from the last LSRS (the blocks between set no flags) */
    add     r8, r1, r1, lsl #2          /* five strides */
    rsb     r9, r1, r1, lsl #3          /* seven strides */
4:  MAX_QUAD
    ldr     r6, [r0, r1, lsl #2]
    ldr     r7, [r0, r8]
    MAX_PAIR
    ldr     r6, [r0, lr, lsl #1]
    ldr     r7, [r0, r9]
    add     r0, r0, r1, lsl #3
    MAX_PAIR
    subs    r2, r2, #1
    bne     4b
5:  mov     r0, r4
    mov     r1, r5
    pop     {r4-r9, pc}
    .size fx_features_pass2_m4, . - fx_features_pass2_m4

/*
 * One channel, its samples contiguous (n_channels == 1): a word holds two successive samples,
 * x_t and x_{t+1}, and the word one sample earlier x_{t-1} and x_t (LDR at a halfword address:
 * the Cortex-M4 loads unaligned words from memory), so one SSUB16 + SEL gives max(x_t, x_{t-1}) for
 * two samples, and SMLAD with 0x00010001 adds both lanes to one sum. LDRD and LDM, which need
 * aligned addresses, are not used on the samples. The deviation is fx_features_pass2_m4's, on
 * words of two successive samples (a stride of 4 bytes).
 *
 * void fx_features_pass1_mono_m4(const int16_t *x, uint32_t n_segments, fx_m4_pass1 *st)
 * From sample 1 on (the caller has counted sample 0: st->s0 = st->m0 = x_0, st->hi = st->lo = x_0
 * in both lanes, and st->segments, samples per segment, one less for the first): each segment's sum into st->f0[k]; over the window the
 * lane-wise maximum and minimum (both lanes are samples of the channel), sum max(x_t, x_{t-1})
 * into st->m0 and the sum into st->s0. A segment may have no samples.
 * Registers: r0 p, r1 0x00010001, r2 rows, r3 words, r4 m, r5 s, r6 hi, r7 lo, r8 w, r9 v,
 * r10 t, r11 segments left, r12 f0 cursor, lr the sum at the last boundary.
 */
/* The word at p (p advanced) against the word one sample before. */
    .macro WORD
    ldr     r8, [r0], #4
    ldr     r9, [r0, #-6]
    smlad   r5, r8, r1, r5
    ssub16  r10, r8, r9
    sel     r10, r8, r9
    smlad   r4, r10, r1, r4
    ssub16  r10, r8, r6
    sel     r6, r8, r6
    ssub16  r10, r8, r7
    sel     r7, r7, r8
    .endm

    .global fx_features_pass1_mono_m4
    .type fx_features_pass1_mono_m4, %function
    .thumb_func
fx_features_pass1_mono_m4:
    push    {r2, r4-r11, lr}
    mov     r11, r1
    ldr     r12, [r2, #4]               /* f0 */
    ldrd    r6, r7, [r2, #12]           /* hi, lo */
    ldr     r4, [r2, #24]               /* m */
    ldr     r5, [r2, #32]               /* s */
    ldr     r2, [r2]                    /* rows */
    mov     r1, #0x00010001
    movs    lr, #0
    adds    r0, r0, #2                  /* after sample 0 */
1:  subs    r11, r11, #1
    bmi     9f
    ldrh    r3, [r2], #2                /* samples of this segment */
    lsrs    r3, r3, #1                  /* words; carry: an odd sample first */
    bcc     3f
    ldrsh   r8, [r0], #2
    ldrsh   r9, [r0, #-4]
    add     r5, r5, r8
    cmp     r8, r9
    ite     ge
    addge   r4, r4, r8
    addlt   r4, r4, r9
    pkhbt   r8, r8, r8, lsl #16
    ssub16  r10, r8, r6
    sel     r6, r8, r6
    ssub16  r10, r8, r7
    sel     r7, r7, r8
    /* one word if the words are odd, then two per iteration */
3:  lsrs    r3, r3, #1
    bcc     6f
    WORD
6:  cbz     r3, 5f
4:  WORD
    WORD
    subs    r3, r3, #1
    bne     4b
5:  sub     r9, r5, lr                  /* the segment's sum */
    mov     lr, r5
    str     r9, [r12], #4
    b       1b
9:  pop     {r3}
    strd    r6, r7, [r3, #12]
    str     r4, [r3, #24]
    str     r5, [r3, #32]
    pop     {r4-r11, pc}
    .size fx_features_pass1_mono_m4, . - fx_features_pass1_mono_m4
