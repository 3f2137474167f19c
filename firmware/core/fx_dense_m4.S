/* fx_dense_m4.S: Cortex-M4 loops of the dense layers and of the input quantization into pairs. */
#include "fx_dense_m4.h"

/* The structure offsets come from fx_dense_m4.h, which explains the arithmetic; without FX_DSP
   nothing is assembled. */

#if FX_DSP
    .syntax unified
    .thumb
    .text

/* One LDM takes fx_dense's four arrays, one LDRD fx_input_quant's mult and shift. */
    .if FX_DENSE_WEIGHTS != 0 || FX_DENSE_BIAS != 4 || FX_DENSE_MULT != 8 || FX_DENSE_SHIFT != 12
    .error "fx_dense: LDM needs weights, bias, mult and shift side by side, from the start"
    .endif
    .if FX_INPUT_QUANT_SHIFT != FX_INPUT_QUANT_MULT + 4
    .error "fx_input_quant: LDRD needs mult and shift side by side"
    .endif

/* Four values v (in place) times the next four multipliers at mptr: SMULL's high words; then the
   next four shifts at sptr into s. Both pointers advance. */
    .macro MUL4 mptr, sptr, val0, val1, val2, val3, s0, s1, s2, s3
    ldmia   \mptr!, {\s0, \s1, \s2, \s3}
    smull   \s0, \val0, \val0, \s0
    smull   \s1, \val1, \val1, \s1
    smull   \s2, \val2, \val2, \s2
    smull   \s3, \val3, \val3, \s3
    ldmia   \sptr!, {\s0, \s1, \s2, \s3}
    .endm

/* Four outputs from four SMULL high words v (in place) and their shifts s (clobbered):
   floor(((v >> (s - 33)) + 1) / 2), saturated by sat (ssat to int8 with bits 8, usat to [0, 127]
   with bits 7, which is ReLU), which applies the last shift as it saturates. */
    .macro REQUANT4 sat, bits, val0, val1, val2, val3, s0, s1, s2, s3
    sub     \s0, \s0, #33
    sub     \s1, \s1, #33
    sub     \s2, \s2, #33
    sub     \s3, \s3, #33
    asr     \val0, \val0, \s0
    asr     \val1, \val1, \s1
    asr     \val2, \val2, \s2
    asr     \val3, \val3, \s3
    add     \val0, \val0, #1
    add     \val1, \val1, #1
    add     \val2, \val2, #1
    add     \val3, \val3, #1
    \sat    \val0, #\bits, \val0, asr #1
    \sat    \val1, #\bits, \val1, asr #1
    \sat    \val2, #\bits, \val2, asr #1
    \sat    \val3, #\bits, \val3, asr #1
    .endm

/*
 * The dot products, for the weights' row pairs (fx_kernels.h). A word of a row pair holds two
 * inputs' pairs 256 * w(odd row) + w(even row), as the word of inputs x holds those two inputs:
 * SMLAD of the two adds 256 * (the odd row's products) + (the even row's products) into c, and
 * after SXTB16 keeps the even row's weights, SMLAD adds the even row's products alone into a.
 * Three instructions for four multiply-accumulates; at the end c - a is 256 times the odd row's sum.
 */
    .macro ROWPAIR a, c, w, x
    smlad   \c, \w, \x, \c
    sxtb16  \w, \w
    smlad   \a, \w, \x, \a
    .endm

/*
 * block_sums: the internal routine of both entries below, with its own register interface:
 * in wp the weights, in xp the inputs' pairs (both advanced), in steps the four-input steps (> 0);
 * out the block's four rows' sums in sum0-sum3. Clobbers r4-r9, r12 and the flags.
 * Four steps per loop iteration; TBB enters the loop where the steps left over after whole
 * iterations begin. The weights are within [-127, 127] (fx_model_parse checks them) and the
 * steps at most FX_DENSE_M4_MAX_INPUTS / 4, so c stays below 2^31 (fx_dense_m4.h): nothing wraps,
 * and (c - a) ASR #8 is the odd row's sum.
 */
    sum0    .req r0     /* row 0: the even row of the pair (0, 1) */
    sum1    .req r1     /* 256 x row 1 + row 0, then row 1 */
    sum2    .req r2
    sum3    .req r3
    w01a    .req r4     /* the four words of a block's step: pair (0, 1) on inputs (0, 2) and (1, 3), */
    w01b    .req r5
    w23a    .req r6     /* then pair (2, 3) */
    w23b    .req r7
    x02     .req r8     /* the step's inputs (x0, x2) */
    x13     .req r9     /* and (x1, x3) */
    wp      .req r10
    xp      .req r11
    steps   .req r12

/* One step: four inputs into the block's four rows, one LDM for its four weight words. */
    .macro STEP
    ldrd    x02, x13, [xp], #8
    ldmia   wp!, {w01a, w01b, w23a, w23b}
    ROWPAIR sum0, sum1, w01a, x02
    ROWPAIR sum0, sum1, w01b, x13
    ROWPAIR sum2, sum3, w23a, x02
    ROWPAIR sum2, sum3, w23b, x13
    .endm

    .type block_sums, %function
    .thumb_func
block_sums:
    movs    sum0, #0
    movs    sum1, #0
    movs    sum2, #0
    movs    sum3, #0
    and     r4, steps, #3               /* the steps left over, which pick the entry */
    add     steps, steps, #3
    lsr     steps, steps, #2            /* iterations, the first one entered at the leftover steps */
    tbb     [pc, r4]
.Lsteps_table:
    TBB_ENTRY .Lsteps_table, 0, .Lsteps_4
    TBB_ENTRY .Lsteps_table, 1, .Lsteps_1
    TBB_ENTRY .Lsteps_table, 2, .Lsteps_2
    TBB_ENTRY .Lsteps_table, 3, .Lsteps_3
.Lsteps_4:
    STEP
.Lsteps_3:
    STEP
.Lsteps_2:
    STEP
.Lsteps_1:
    STEP
    subs    steps, steps, #1
    bne     .Lsteps_4
    sub     sum1, sum1, sum0
    asr     sum1, sum1, #8
    sub     sum3, sum3, sum2
    asr     sum3, sum3, #8
    bx      lr
    .size block_sums, . - block_sums

/*
 * void fx_dense_block_sums_m4(const uint32_t *w, const uint32_t *x, uint32_t in_blocks, int32_t sums[4])
 * (fx_dense_m4.h) The four sums of one block of rows, for the layers off the whole-layer path.
 */
    .global fx_dense_block_sums_m4
    .type fx_dense_block_sums_m4, %function
    .thumb_func
fx_dense_block_sums_m4:
    push    {r3-r11, lr}                /* sums, first */
    mov     wp, r0
    mov     xp, r1
    mov     steps, r2
    bl      block_sums
    pop     {r12}                       /* sums */
    stmia   r12, {sum0, sum1, sum2, sum3}
    pop     {r4-r11, pc}
    .size fx_dense_block_sums_m4, . - fx_dense_block_sums_m4

/*
 * fx_status fx_dense_layer_m4(const fx_dense *layer, const uint32_t *x, int8_t *out)
 * Per block of four rows: the sums (block_sums), plus the biases, then the four requantized
 * outputs packed into one word and stored (STR, which the Cortex-M4 allows at any address). USAT
 * or SSAT saturates, not SSUB8 + SEL: the GE flags that SEL reads are what Renode 1.15.3's core
 * gets wrong (fx_features_m4.c). The layer's cursors and sizes live in a frame on the stack, read
 * and advanced around each block_sums; wp runs through the weights to their end.
 */
    .equ FRAME_BIAS, 0              /* the cursors: biases, */
    .equ FRAME_MULT, 4              /* multipliers, */
    .equ FRAME_SHIFT, 8             /* shifts, */
    .equ FRAME_OUT, 12              /* outputs */
    .equ FRAME_X, 16                /* the inputs' pairs */
    .equ FRAME_IN_BLOCKS, 20        /* four-input steps */
    .equ FRAME_W_END, 24            /* the end of the weights */
    .equ FRAME_RELU, 28             /* FX_DENSE_M4_RELU for ReLU (outputs [0, 127]), else 0 ([-128, 127]) */
    .equ FRAME_BYTES, 32

    bias    .req r11    /* the frame's fields, loaded and stored back around their use */
    mults   .req r4
    shifts  .req lr
    outp    .req lr
    w_end   .req r11
    relu    .req r4

/* The block's four outputs into one word, stored; then the next block, or the end. */
    .macro BLOCK_END
    bfi     sum0, sum1, #8, #8
    bfi     sum0, sum2, #16, #8
    bfi     sum0, sum3, #24, #8
    ldr     outp, [sp, #FRAME_OUT]
    str     sum0, [outp], #4
    str     outp, [sp, #FRAME_OUT]
    cmp     wp, w_end
    bne     .Llayer_block
    movs    r0, #0                      /* FX_OK */
    add     sp, sp, #FRAME_BYTES
    pop     {r3-r11, pc}
    .endm

    .global fx_dense_layer_m4
    .type fx_dense_layer_m4, %function
    .thumb_func
fx_dense_layer_m4:
    push    {r3-r11, lr}                /* r3: the stack stays 8-byte aligned */
    sub     sp, sp, #FRAME_BYTES
    ldmia   r0, {r3-r6}                 /* weights, bias, mult, shift */
    ldrh    r9, [r0, #FX_DENSE_IN_LEN]
    ldrh    r10, [r0, #FX_DENSE_OUT_LEN]
    ldrb    r11, [r0, #FX_DENSE_FLAGS]
    adds    r9, r9, #3
    lsrs    r9, r9, #2                  /* in_blocks */
    mul     r10, r10, r9
    add     r10, r3, r10, lsl #2        /* the end of the weights: out_len x in_blocks words */
    and     r11, r11, #FX_DENSE_M4_RELU
    mov     r7, r2
    mov     r8, r1
    stmia   sp, {r4-r11}                /* FRAME_BIAS to FRAME_RELU */
    mov     wp, r3
.Llayer_block:
    ldrd    xp, steps, [sp, #FRAME_X]
    bl      block_sums
    ldr     bias, [sp, #FRAME_BIAS]
    ldmia   bias!, {r4-r7}
    str     bias, [sp, #FRAME_BIAS]
    add     sum0, sum0, r4
    add     sum1, sum1, r5
    add     sum2, sum2, r6
    add     sum3, sum3, r7
    /* the rows requantized as fx_requantize: see REQUANT4 */
    ldrd    mults, shifts, [sp, #FRAME_MULT]
    MUL4    mults, shifts, sum0, sum1, sum2, sum3, r5, r6, r7, r8
    strd    mults, shifts, [sp, #FRAME_MULT]
    ldrd    w_end, relu, [sp, #FRAME_W_END]
    cbz     relu, .Llayer_signed
    REQUANT4 usat, 7, sum0, sum1, sum2, sum3, r5, r6, r7, r8
    BLOCK_END
.Llayer_signed:
    REQUANT4 ssat, 8, sum0, sum1, sum2, sum3, r5, r6, r7, r8
    BLOCK_END
    .size fx_dense_layer_m4, . - fx_dense_layer_m4

    .unreq sum0
    .unreq sum1
    .unreq sum2
    .unreq sum3
    .unreq w01a
    .unreq w01b
    .unreq w23a
    .unreq w23b
    .unreq x02
    .unreq x13
    .unreq wp
    .unreq xp
    .unreq steps
    .unreq bias
    .unreq mults
    .unreq shifts
    .unreq outp
    .unreq w_end
    .unreq relu

/*
 * fx_status fx_quantize_input_pairs_m4(const fx_input_quant *q, const int32_t *features, uint32_t *pairs)
 * (fx_dense_m4.h; q->n a positive multiple of 4.) Four features at a time, one LDM from each
 * array: QSUB saturates the centred feature as the portable clamp does; with h = SMULL's high word
 * of centred * mult, the requantized value is floor(((h >> (shift - 33)) + 1) / 2), whose last
 * shift SSAT applies as it clamps to int8; PKHBT joins x0 with x2 and x1 with x3. Eight features
 * per iteration, the first one entered halfway when the fours are odd; the iterations count down
 * to 0 in r0, which is FX_OK when the routine returns.
 */
    eights  .req r0     /* iterations left */
    feat    .req r1
    out     .req r2
    offsets .req r3
    mults   .req r12
    shifts  .req lr
    val0    .req r4     /* the four values */
    val1    .req r5
    val2    .req r6
    val3    .req r7
    e0      .req r8     /* the arrays' four entries */
    e1      .req r9
    e2      .req r10
    e3      .req r11

    .macro QUANTIZE4
    ldmia   feat!, {val0, val1, val2, val3}
    ldmia   offsets!, {e0, e1, e2, e3}
    qsub    val0, val0, e0
    qsub    val1, val1, e1
    qsub    val2, val2, e2
    qsub    val3, val3, e3
    MUL4    mults, shifts, val0, val1, val2, val3, e0, e1, e2, e3
    REQUANT4 ssat, 8, val0, val1, val2, val3, e0, e1, e2, e3
    pkhbt   val0, val0, val2, lsl #16
    pkhbt   val1, val1, val3, lsl #16
    strd    val0, val1, [out], #8
    .endm

    .global fx_quantize_input_pairs_m4
    .type fx_quantize_input_pairs_m4, %function
    .thumb_func
fx_quantize_input_pairs_m4:
    push    {r4-r11, lr}
    ldr     offsets, [r0, #FX_INPUT_QUANT_OFFSET]
    ldrd    mults, shifts, [r0, #FX_INPUT_QUANT_MULT]
    ldrh    eights, [r0, #FX_INPUT_QUANT_N]
    adds    eights, eights, #4
    lsrs    eights, eights, #3          /* (n + 4) / 8; carry: bit 2 of n + 4, set when the fours are even */
    bcc     .Lquantize_second_four
.Lquantize_eight:
    QUANTIZE4
.Lquantize_second_four:
    QUANTIZE4
    subs    eights, eights, #1
    bne     .Lquantize_eight
    pop     {r4-r11, pc}
    .size fx_quantize_input_pairs_m4, . - fx_quantize_input_pairs_m4

    .unreq eights
    .unreq feat
    .unreq out
    .unreq offsets
    .unreq mults
    .unreq shifts
    .unreq val0
    .unreq val1
    .unreq val2
    .unreq val3
    .unreq e0
    .unreq e1
    .unreq e2
    .unreq e3
#endif
