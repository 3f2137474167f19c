/* fx_features_m4.S: Cortex-M4 loops of the stats kernel (a channel pair's two passes, one channel's first). */
#include "fx_features_m4.h"

/* Offsets and entry codes come from fx_features_m4.h, the arithmetic is explained in
   fx_features_m4.c; without FX_DSP nothing is assembled. */

#if FX_DSP
    .syntax unified
    .thumb
    .text

/* LDRD and the entry's post-indexed LDRB below rely on these. */
    .if FX_PAIR_JOB_F1_OFFSET != FX_PAIR_JOB_F0 + 4 || FX_STEP_ENTRY_BYTE != 0
    .error "fx_pair_job: LDRD needs f0, f1_offset side by side; a step's entry must be its first byte"
    .endif
    .if FX_MONO_JOB_LO != FX_MONO_JOB_HI + 4 || FX_MONO_JOB_S != FX_MONO_JOB_M + 4
    .error "fx_mono_job: LDRD needs hi, lo and m, s side by side"
    .endif

/* The last four features of a channel, after its segment sums: byte offsets. */
    .equ FEATURE_MIN, 0
    .equ FEATURE_MAX, 4
    .equ FEATURE_VARIATION, 8
    .equ FEATURE_DEVIATION, 12

/*
 * void fx_features_pair_m4(const uint8_t *p, uint32_t stride, const fx_pair_job *job)
 * The features of a pair of channels, lane 0 into job->f0 and lane 1 job->f1_offset bytes on,
 * from the window at p. Pass 1, segment by segment as job->steps says: each segment's lane sums;
 * and, over all samples, the lane-wise maximum and minimum, sum max(x_t, x_{t-1}) per lane
 * (max(x_0, x_0) = x_0 for the first) and the lane sums. Then the minimum, the maximum and the
 * total variation, the floored means, and pass 2 (fx_features_pass2_m4) for the deviation.
 * A segment's pairs of samples run through a loop of four pairs, entered by TBB at the code of its
 * step (fx_features_m4.h). Pairs alternate the registers of the previous sample and of the pair's
 * second sample, so that nothing is moved. Thumb-2 has no register post-index: two samples are
 * loaded at [p] and [p + stride], then p advances by two strides.
 */
    .equ FRAME_CURSOR, 0            /* the output cursor, lane 0's next feature */
    .equ FRAME_F1_OFFSET, 4
    .equ FRAME_SUMS, 8              /* the lane sums at the last segment boundary (two words) */
    .equ FRAME_LOCALS, 16
    .equ FRAME_P, 16                /* the arguments p and job, pushed below the locals */
    .equ FRAME_JOB, 20

    p       .req r0
    stride  .req r1
    stepp   .req r2     /* the next step */
    iters   .req r3     /* the loop's iterations left */
    m0      .req r4     /* sum max(x_t, x_{t-1}), lane 0 */
    m1      .req r5     /* lane 1 */
    sum0    .req r6     /* the lane sums */
    sum1    .req r7
    hi      .req r8     /* the lane-wise maximum */
    lo      .req r9     /* the lane-wise minimum */
    xa      .req r10    /* the previous sample (between segments and in odd pairs), */
    xb      .req r11    /* or the pair's second sample: the two alternate */
    code    .req r12    /* the step's entry code, during the segment's first TBB */
    t       .req r12
    a       .req lr     /* the pair's first sample */

/* Samples a and b at p and p + stride, p advanced: sums, max(a, prev), max(b, a) and min(b, a),
   extremes. prev is free once max(a, prev) is taken and holds min(b, a) for a while. */
    .macro PAIR prev, b
    ldr     a, [p]
    ldr     \b, [p, stride]
    add     p, p, stride, lsl #1
    sxtah   sum0, sum0, a
    add     sum1, sum1, a, asr #16
    sxtah   sum0, sum0, \b
    add     sum1, sum1, \b, asr #16
    ssub16  t, a, \prev
    sel     t, a, \prev
    sxtah   m0, m0, t
    add     m1, m1, t, asr #16
    ssub16  t, \b, a
    sel     t, \b, a
    sel     \prev, a, \b
    sxtah   m0, m0, t
    add     m1, m1, t, asr #16
    ssub16  a, t, hi
    sel     hi, t, hi
    ssub16  a, \prev, lo
    sel     lo, lo, \prev
    .endm

    .global fx_features_pair_m4
    .type fx_features_pair_m4, %function
    .thumb_func
fx_features_pair_m4:
    push    {r0, r2, r4-r11, lr}
    sub     sp, sp, #FRAME_LOCALS
    ldrd    r3, r4, [r2, #FX_PAIR_JOB_F0]           /* f0, f1_offset */
    strd    r3, r4, [sp, #FRAME_CURSOR]
    movs    sum0, #0
    movs    sum1, #0
    strd    sum0, sum1, [sp, #FRAME_SUMS]
    ldr     stepp, [r2, #FX_PAIR_JOB_STEPS]
    ldr     hi, [p]                     /* hi = lo = prev = x_0 */
    mov     lo, hi
    mov     xa, hi
    movs    m0, #0
    movs    m1, #0
.Lsegment:
    ldrb    code, [stepp], #FX_STEP_BYTES
    ldrb    iters, [stepp, #FX_STEP_ITERATIONS_BYTE - FX_STEP_BYTES]
    tbb     [pc, code]
.Lsegment_table:
    TBB_ENTRY .Lsegment_table, FX_STEP_LOOP, .Lpair_1
    TBB_ENTRY .Lsegment_table, FX_STEP_LOOP + 1, .Lenter_pair_4
    TBB_ENTRY .Lsegment_table, FX_STEP_LOOP + 2, .Lpair_3
    TBB_ENTRY .Lsegment_table, FX_STEP_LOOP + 3, .Lenter_pair_2
    TBB_ENTRY .Lsegment_table, FX_STEP_NO_PAIRS, .Lsegment_end
    TBB_ENTRY .Lsegment_table, FX_STEP_ODD + FX_STEP_LOOP, .Lodd_sample
    TBB_ENTRY .Lsegment_table, FX_STEP_ODD + FX_STEP_LOOP + 1, .Lodd_sample
    TBB_ENTRY .Lsegment_table, FX_STEP_ODD + FX_STEP_LOOP + 2, .Lodd_sample
    TBB_ENTRY .Lsegment_table, FX_STEP_ODD + FX_STEP_LOOP + 3, .Lodd_sample
    TBB_ENTRY .Lsegment_table, FX_STEP_ODD + FX_STEP_NO_PAIRS, .Lodd_sample
    TBB_ENTRY .Lsegment_table, FX_STEP_END, .Lwindow_end
    .balign 2
    /* one sample (xb scratch: t keeps the code), then the code's pairs */
.Lodd_sample:
    ldr     a, [p]
    add     p, p, stride
    sxtah   sum0, sum0, a
    add     sum1, sum1, a, asr #16
    ssub16  xb, a, xa
    sel     xb, a, xa
    sxtah   m0, m0, xb
    add     m1, m1, xb, asr #16
    ssub16  xb, a, hi
    sel     hi, a, hi
    ssub16  xb, a, lo
    sel     lo, lo, a
    mov     xa, a
    tbb     [pc, code]
.Lafter_odd_table:
    .rept   FX_STEP_ODD
    .byte   0                           /* codes without an odd sample do not come here */
    .endr
    TBB_ENTRY .Lafter_odd_table, FX_STEP_ODD + FX_STEP_LOOP, .Lpair_1
    TBB_ENTRY .Lafter_odd_table, FX_STEP_ODD + FX_STEP_LOOP + 1, .Lenter_pair_4
    TBB_ENTRY .Lafter_odd_table, FX_STEP_ODD + FX_STEP_LOOP + 2, .Lpair_3
    TBB_ENTRY .Lafter_odd_table, FX_STEP_ODD + FX_STEP_LOOP + 3, .Lenter_pair_2
    TBB_ENTRY .Lafter_odd_table, FX_STEP_ODD + FX_STEP_NO_PAIRS, .Lsegment_end
    .balign 2
.Lpair_1:
    PAIR    xa, xb
.Lpair_2:
    PAIR    xb, xa
.Lpair_3:
    PAIR    xa, xb
.Lpair_4:
    PAIR    xb, xa
    subs    iters, iters, #1            /* the step counts the iterations after the first */
    bpl     .Lpair_1
    /* the segment's sums: the lane sums now less those at the last boundary */
    cursor  .req r3
    f1_off  .req r11
    seg0    .req r12
    seg1    .req lr
.Lsegment_end:
    ldmia   sp, {cursor, f1_off, seg0, seg1}    /* FRAME_CURSOR to FRAME_SUMS */
    sub     seg0, sum0, seg0
    sub     seg1, sum1, seg1
    str     seg1, [cursor, f1_off]
    str     seg0, [cursor], #4
    str     cursor, [sp, #FRAME_CURSOR]
    strd    sum0, sum1, [sp, #FRAME_SUMS]
    b       .Lsegment
.Lenter_pair_4:
    mov     xb, xa                      /* into the fourth pair, whose previous sample is xb */
    b       .Lpair_4
.Lenter_pair_2:
    mov     xb, xa                      /* into the second */
    b       .Lpair_2
    .unreq cursor
    .unreq f1_off
    .unreq seg0
    .unreq seg1
    .unreq p
    .unreq stepp
    .unreq iters
    .unreq code
    .unreq t
    .unreq a
    .unreq xb

    /* the minimum and the maximum, lane 0's at the cursor (f0 + n_segments), lane 1's at out1 */
    out0    .req r3     /* lane 0's last four features; across pass 2 in out0_kept */
    out0_kept .req r8
    out1    .req r11    /* lane 1's */
    x0      .req r12    /* sample 0, both lanes */
    t       .req r12
    u       .req lr
    p       .req r0
    job     .req r2
    n       .req r10    /* after the means; xa, the last sample, before */
    mean0   .req r4
    mean1   .req r5
.Lwindow_end:
    ldrd    out0, out1, [sp, #FRAME_CURSOR]     /* the cursor, f1_offset */
    add     out1, out0, out1
    sxth    t, lo
    asr     u, lo, #16
    str     t, [out0, #FEATURE_MIN]
    str     u, [out1, #FEATURE_MIN]
    sxth    t, hi
    asr     u, hi, #16
    str     t, [out0, #FEATURE_MAX]
    str     u, [out1, #FEATURE_MAX]
    /* total variation = 2 (sum max(x_t, x_{t-1}) - S) - x_0 + x_{n-1} */
    ldrd    p, job, [sp, #FRAME_P]
    ldr     x0, [p]
    sub     m0, m0, sum0
    sub     m1, m1, sum1
    sxth    u, x0
    rsb     m0, u, m0, lsl #1
    sxtah   m0, m0, xa
    asr     u, x0, #16
    rsb     m1, u, m1, lsl #1
    add     m1, m1, xa, asr #16
    str     m0, [out0, #FEATURE_VARIATION]
    str     m1, [out1, #FEATURE_VARIATION]
    /* the means, floored: SDIV truncates, so one less where the remainder is negative */
    ldr     n, [job, #FX_PAIR_JOB_N]
    sdiv    mean0, sum0, n
    mls     t, mean0, n, sum0
    cmp     t, #0
    it      lt
    sublt   mean0, mean0, #1
    sdiv    mean1, sum1, n
    mls     t, mean1, n, sum1
    cmp     t, #0
    it      lt
    sublt   mean1, mean1, #1
    /* deviation = 2 sum max(x_t, m) - S - n m; pass 2 keeps r4-r11 */
    mov     out0_kept, out0
    mov     r2, n                       /* pass 2's rows */
    pkhbt   r3, mean0, mean1, lsl #16   /* and its m */
    bl      fx_features_pass2_m4
    rsb     r0, sum0, r0, lsl #1
    mls     r0, n, mean0, r0
    rsb     r1, sum1, r1, lsl #1
    mls     r1, n, mean1, r1
    str     r0, [out0_kept, #FEATURE_DEVIATION]
    str     r1, [out1, #FEATURE_DEVIATION]
    add     sp, sp, #FRAME_LOCALS + 8
    pop     {r4-r11, pc}
    .size fx_features_pair_m4, . - fx_features_pair_m4
    .unreq stride
    .unreq m0
    .unreq m1
    .unreq sum0
    .unreq sum1
    .unreq hi
    .unreq lo
    .unreq xa
    .unreq out0
    .unreq out0_kept
    .unreq out1
    .unreq x0
    .unreq t
    .unreq u
    .unreq p
    .unreq job
    .unreq n
    .unreq mean0
    .unreq mean1

/*
 * uint64_t fx_features_pass2_m4(const uint8_t *p, uint32_t stride, uint32_t rows, uint32_t m)
 * Sum over rows samples of max(x_t, m) per lane, m packed as two int16 lanes: lane 0's in the low
 * word (r0), lane 1's in the high word (r1). Of r4-r11 it changes none.
 * One sample, two and four as the count's low bits ask, then eight per iteration, each loaded at
 * a multiple of the stride from p (LDR's register offset shifts by at most 3: 5 and 7 strides
 * are kept in registers), and p advanced once.
 */
    p       .req r0
    stride  .req r1
    rows    .req r2     /* then the iterations of eight */
    m       .req r3
    dev0    .req r4     /* the sums, per lane */
    dev1    .req r5
    xa      .req r6     /* two samples */
    xb      .req r7
    stride5 .req r8
    stride7 .req r9
    t       .req r12
    stride3 .req lr

/* Samples xa and xb, already loaded: max(x, m) per lane added to dev0, dev1. */
    .macro MAX_PAIR
    ssub16  t, xa, m
    sel     xa, xa, m
    ssub16  t, xb, m
    sel     xb, xb, m
    sxtah   dev0, dev0, xa
    add     dev1, dev1, xa, asr #16
    sxtah   dev0, dev0, xb
    add     dev1, dev1, xb, asr #16
    .endm

/* Four samples at p, p + stride, p + 2 strides, p + 3 strides: max(x, m) per lane added. */
    .macro MAX_QUAD
    ldr     xa, [p]
    ldr     xb, [p, stride]
    MAX_PAIR
    ldr     xa, [p, stride, lsl #1]
    ldr     xb, [p, stride3]
    MAX_PAIR
    .endm

    .global fx_features_pass2_m4
    .type fx_features_pass2_m4, %function
    .thumb_func
fx_features_pass2_m4:
    push    {r4-r9, lr}
    movs    dev0, #0
    movs    dev1, #0
    add     stride3, stride, stride, lsl #1
    lsrs    rows, rows, #1
    bcc     .Lpass2_no_one
    ldr     xa, [p]
    add     p, p, stride
    ssub16  t, xa, m
    sel     xa, xa, m
    sxtah   dev0, dev0, xa
    add     dev1, dev1, xa, asr #16
.Lpass2_no_one:
    lsrs    rows, rows, #1
    bcc     .Lpass2_no_two
    ldr     xa, [p]
    ldr     xb, [p, stride]
    add     p, p, stride, lsl #1
    MAX_PAIR
.Lpass2_no_two:
    lsrs    rows, rows, #1
    bcc     .Lpass2_no_four
    MAX_QUAD
    add     p, p, stride, lsl #2
.Lpass2_no_four:
    beq     .Lpass2_done                /* no eights: Z from the last LSRS (the blocks between set no flags) */
    add     stride5, stride, stride, lsl #2
    rsb     stride7, stride, stride, lsl #3
.Lpass2_eight:
    MAX_QUAD
    ldr     xa, [p, stride, lsl #2]
    ldr     xb, [p, stride5]
    MAX_PAIR
    ldr     xa, [p, stride3, lsl #1]
    ldr     xb, [p, stride7]
    add     p, p, stride, lsl #3
    MAX_PAIR
    subs    rows, rows, #1
    bne     .Lpass2_eight
.Lpass2_done:
    mov     r0, dev0
    mov     r1, dev1
    pop     {r4-r9, pc}
    .size fx_features_pass2_m4, . - fx_features_pass2_m4
    .unreq p
    .unreq stride
    .unreq rows
    .unreq m
    .unreq dev0
    .unreq dev1
    .unreq xa
    .unreq xb
    .unreq stride5
    .unreq stride7
    .unreq t
    .unreq stride3

/*
 * void fx_features_pass1_mono_m4(const int16_t *x, uint32_t n_segments, fx_mono_job *job)
 * One channel, its samples contiguous: a word holds two successive samples, x_t and x_{t+1}, and
 * the word one sample earlier x_{t-1} and x_t (LDR at a half-word address: the Cortex-M4 loads
 * unaligned words from memory), so one SSUB16 + SEL gives max(x_t, x_{t-1}) for two samples, and
 * SMLAD with 0x00010001 adds both lanes to one sum. LDRD and LDM, which need aligned addresses,
 * are not used on the samples.
 * From sample 1 on (the caller has counted sample 0: job->s = job->m = x_0, job->hi = job->lo =
 * x_0 in both lanes, and job->rows, samples per segment, one less for the first): each segment's
 * sum into job->f0[k]; over the window the lane-wise maximum and minimum, sum max(x_t, x_{t-1})
 * into job->m and the sum into job->s. A segment may have no samples.
 */
    p       .req r0
    ones    .req r1     /* 0x00010001: SMLAD's two lanes' weights */
    rowp    .req r2     /* the next segment's samples */
    words   .req r3
    m       .req r4
    sum     .req r5
    hi      .req r6
    lo      .req r7
    w       .req r8     /* the word at p */
    v       .req r9     /* the word one sample before */
    t       .req r10
    left    .req r11    /* segments left */
    cursor  .req r12    /* the output cursor */
    last    .req lr     /* the sum at the last segment boundary */

/* The word at p (p advanced) against the word one sample before. */
    .macro WORD
    ldr     w, [p], #4
    ldr     v, [p, #-6]
    smlad   sum, w, ones, sum
    ssub16  t, w, v
    sel     t, w, v
    smlad   m, t, ones, m
    ssub16  t, w, hi
    sel     hi, w, hi
    ssub16  t, w, lo
    sel     lo, lo, w
    .endm

    .global fx_features_pass1_mono_m4
    .type fx_features_pass1_mono_m4, %function
    .thumb_func
fx_features_pass1_mono_m4:
    push    {r2, r4-r11, lr}            /* job */
    mov     left, r1
    ldr     cursor, [r2, #FX_MONO_JOB_F0]
    ldrd    hi, lo, [r2, #FX_MONO_JOB_HI]
    ldrd    m, sum, [r2, #FX_MONO_JOB_M]
    ldr     rowp, [r2, #FX_MONO_JOB_ROWS]
    mov     ones, #0x00010001
    movs    last, #0
    adds    p, p, #2                    /* after sample 0 */
.Lmono_segment:
    subs    left, left, #1
    bmi     .Lmono_done
    ldrh    words, [rowp], #2           /* samples of this segment */
    lsrs    words, words, #1            /* words; carry: an odd sample first */
    bcc     .Lmono_no_odd
    ldrsh   w, [p], #2
    ldrsh   v, [p, #-4]
    add     sum, sum, w
    cmp     w, v
    ite     ge
    addge   m, m, w
    addlt   m, m, v
    pkhbt   w, w, w, lsl #16
    ssub16  t, w, hi
    sel     hi, w, hi
    ssub16  t, w, lo
    sel     lo, lo, w
    /* one word if the words are odd, then two per iteration */
.Lmono_no_odd:
    lsrs    words, words, #1
    bcc     .Lmono_even
    WORD
.Lmono_even:
    cbz     words, .Lmono_segment_end
.Lmono_two:
    WORD
    WORD
    subs    words, words, #1
    bne     .Lmono_two
.Lmono_segment_end:
    sub     v, sum, last                  /* the segment's sum */
    mov     last, sum
    str     v, [cursor], #4
    b       .Lmono_segment
.Lmono_done:
    pop     {r3}                        /* job */
    strd    hi, lo, [r3, #FX_MONO_JOB_HI]
    strd    m, sum, [r3, #FX_MONO_JOB_M]
    pop     {r4-r11, pc}
    .size fx_features_pass1_mono_m4, . - fx_features_pass1_mono_m4
    .unreq p
    .unreq ones
    .unreq rowp
    .unreq words
    .unreq m
    .unreq sum
    .unreq hi
    .unreq lo
    .unreq w
    .unreq v
    .unreq t
    .unreq left
    .unreq cursor
    .unreq last
#endif
