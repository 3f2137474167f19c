/* fx_features_m4.S: the two passes of the Cortex-M4 feature path over a pair of channels (see
   fx_features_m4.h for the arithmetic); built for Cortex-M4 only. */
    .syntax unified
    .thumb
    .text

/*
 * void fx_features_pass1_m4(const uint8_t *p, uint32_t stride, fx_m4_segment *seg, fx_m4_state *st)
 * For each segment (seg->rows samples, a zero-row segment ends the list): the running lane sums at
 * the segment's end into seg->s0, seg->s1; over all samples the lane-wise maximum and minimum,
 * and sum max(x_t, x_{t-1}) per lane (max(x_0, x_0) = x_0 for the first), with st carrying them
 * and the last sample in and out.
 * Thumb-2 has no register post-index: two samples are loaded at [p] and [p + stride], then p
 * advances by two strides.
 * Registers: r0 p, r1 stride, r2 seg, r3 pairs, r4 m0, r5 m1, r6 s0, r7 s1, r8 hi, r9 lo,
 * r10 prev, r11 b, r12 t, lr a.
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

    .global fx_features_pass1_m4
    .type fx_features_pass1_m4, %function
    .thumb_func
fx_features_pass1_m4:
    push    {r3-r11, lr}
    ldrd    r8, r9, [r3, #0]            /* hi, lo */
    ldr     r10, [r3, #8]               /* prev */
    ldrd    r4, r5, [r3, #12]           /* m0, m1 */
    movs    r6, #0
    movs    r7, #0
1:  ldr     r3, [r2]                    /* rows of this segment */
    cmp     r3, #0
    beq     9f
    lsrs    r3, r3, #1                  /* pairs; carry: an odd sample first */
    bcc     3f
    ldr     lr, [r0]
    add     r0, r0, r1
    sxtah   r6, r6, lr
    add     r7, r7, lr, asr #16
    ssub16  r12, lr, r10
    sel     r12, lr, r10
    sxtah   r4, r4, r12
    add     r5, r5, r12, asr #16
    ssub16  r12, lr, r8
    sel     r8, lr, r8
    ssub16  r12, lr, r9
    sel     r9, r9, lr
    mov     r10, lr
    /* one pair of samples if the pairs are odd, then two pairs per iteration, the registers of
       the previous sample and of b trading places so that nothing is moved */
3:  lsrs    r3, r3, #1
    bcc     6f
    PAIR    r10, r11
    mov     r10, r11
6:  cmp     r3, #0
    beq     5f
4:  PAIR    r10, r11
    PAIR    r11, r10
    subs    r3, r3, #1
    bne     4b
5:  strd    r6, r7, [r2, #4]
    adds    r2, r2, #12
    b       1b
9:  pop     {r3}
    strd    r8, r9, [r3, #0]
    str     r10, [r3, #8]
    strd    r4, r5, [r3, #12]
    pop     {r4-r11, pc}
    .size fx_features_pass1_m4, . - fx_features_pass1_m4

/*
 * void fx_features_pass2_m4(const uint8_t *p, uint32_t stride, uint32_t rows, uint32_t m, int32_t *out)
 * out[0], out[1] = sum over rows samples of max(x_t, m) per lane, m packed as two int16 lanes.
 * Registers: r0 p, r1 stride, r2 rows, r3 m, r4 d0, r5 d1, r6 a, r7 b, r12 t, lr three strides.
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

    .global fx_features_pass2_m4
    .type fx_features_pass2_m4, %function
    .thumb_func
fx_features_pass2_m4:
    push    {r4-r7, lr}
    movs    r4, #0
    movs    r5, #0
    lsrs    r2, r2, #1
    bcc     3f
    ldr     r6, [r0]
    add     r0, r0, r1
    ssub16  r12, r6, r3
    sel     r6, r6, r3
    sxtah   r4, r4, r6
    add     r5, r5, r6, asr #16
    /* one pair of samples if the pairs are odd, then two pairs per iteration */
3:  lsrs    r2, r2, #1
    bcc     6f
    ldr     r6, [r0]
    ldr     r7, [r0, r1]
    add     r0, r0, r1, lsl #1
    MAX_PAIR
6:  cbz     r2, 5f
    add     lr, r1, r1, lsl #1          /* three strides */
4:  ldr     r6, [r0]
    ldr     r7, [r0, r1]
    MAX_PAIR
    ldr     r6, [r0, r1, lsl #1]
    ldr     r7, [r0, lr]
    add     r0, r0, r1, lsl #2
    MAX_PAIR
    subs    r2, r2, #1
    bne     4b
5:  ldr     r12, [sp, #20]
    strd    r4, r5, [r12]
    pop     {r4-r7, pc}
    .size fx_features_pass2_m4, . - fx_features_pass2_m4
