/* fx_dense_m4.S: the Cortex-M4 whole-layer path of fx_dense_s8 (see fx_dense_m4.h for the layout
   and the arithmetic) and the input quantization into its pairs; built for Cortex-M4 only. */
    .syntax unified
    .thumb
    .text

/* Four values v (in place) times the next four multipliers at mptr: SMULL's high words; then the
   next four shifts at sptr into s. Both pointers advance. */
    .macro MUL4 mptr, sptr, v0, v1, v2, v3, s0, s1, s2, s3
    ldmia   \mptr!, {\s0, \s1, \s2, \s3}
    smull   \s0, \v0, \v0, \s0
    smull   \s1, \v1, \v1, \s1
    smull   \s2, \v2, \v2, \s2
    smull   \s3, \v3, \v3, \s3
    ldmia   \sptr!, {\s0, \s1, \s2, \s3}
    .endm

/* Four outputs from four SMULL high words v (in place) and their shifts s (clobbered):
   floor(((v >> (s - 33)) + 1) / 2), saturated by sat (ssat to int8 with bits 8, usat to [0, 127]
   with bits 7, which is ReLU), which applies the last shift as it saturates. */
    .macro REQUANT4 sat, bits, v0, v1, v2, v3, s0, s1, s2, s3
    sub     \s0, \s0, #33
    sub     \s1, \s1, #33
    sub     \s2, \s2, #33
    sub     \s3, \s3, #33
    asr     \v0, \v0, \s0
    asr     \v1, \v1, \s1
    asr     \v2, \v2, \s2
    asr     \v3, \v3, \s3
    add     \v0, \v0, #1
    add     \v1, \v1, #1
    add     \v2, \v2, #1
    add     \v3, \v3, #1
    \sat    \v0, #\bits, \v0, asr #1
    \sat    \v1, #\bits, \v1, asr #1
    \sat    \v2, #\bits, \v2, asr #1
    \sat    \v3, #\bits, \v3, asr #1
    .endm

/* The block's four outputs packed into one word and stored (STR, which the Cortex-M4 allows at
   any address), then the next block, or the end. */
    .macro BLOCK_END
    bfi     r0, r1, #8, #8
    bfi     r0, r2, #16, #8
    bfi     r0, r3, #24, #8
    ldr     lr, [r12, #12]              /* out */
    str     r0, [lr], #4
    str     lr, [r12, #12]
    cmp     r10, r11
    bne     2b
    pop     {r1, r4-r11, pc}
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

/* Four inputs, (x0, x2) and (x1, x3), into the block's four rows: one LDM for its four words, the
   row pair (0, 1)'s inputs 0, 2 and 1, 3, then the row pair (2, 3)'s. */
    .macro STEP
    ldrd    r8, r9, [r11], #8
    ldmia   r10!, {r4-r7}
    ROWPAIR r0, r1, r4, r8
    ROWPAIR r0, r1, r5, r9
    ROWPAIR r2, r3, r6, r8
    ROWPAIR r2, r3, r7, r9
    .endm

/*
 * block_sums (internal; r12 > 0 steps of four inputs, weights at r10, the inputs' pairs at r11,
 * both advanced): the four rows' sums of products into r0-r3. Four steps per loop iteration; TBB
 * enters the loop where the steps left over after whole iterations begin. Any pair decodes to
 * weights of at most 128 in magnitude, and a layer has at most 128 inputs of at most 128, so a
 * row's sum stays below 2^21 and c below 2^30: nothing wraps, and (c - a) ASR #8 is the odd row's
 * sum. Clobbers r4-r9, r12 and the flags.
 */
    .type block_sums, %function
    .thumb_func
block_sums:
    movs    r0, #0
    movs    r1, #0
    movs    r2, #0
    movs    r3, #0
    and     r4, r12, #3
    add     r12, r12, #3
    lsr     r12, r12, #2                /* iterations, the first one entered at the leftover steps */
    tbb     [pc, r4]
3:  .byte   (10f - 3b) / 2, (13f - 3b) / 2, (12f - 3b) / 2, (11f - 3b) / 2
10: STEP
11: STEP
12: STEP
13: STEP
    subs    r12, r12, #1
    bne     10b
    sub     r1, r1, r0
    asr     r1, r1, #8
    sub     r3, r3, r2
    asr     r3, r3, #8
    bx      lr
    .size block_sums, . - block_sums

/*
 * void fx_dense_block_sums_m4(const uint32_t *w, const uint32_t *x, uint32_t in_blocks, int32_t sums[4])
 * (fx_dense_m4.h) The four sums of one block of rows, for the logits layer and the shapes off the
 * whole-layer path.
 */
    .global fx_dense_block_sums_m4
    .type fx_dense_block_sums_m4, %function
    .thumb_func
fx_dense_block_sums_m4:
    push    {r3-r11, lr}
    mov     r10, r0
    mov     r11, r1
    mov     r12, r2
    bl      block_sums
    pop     {r12}
    stmia   r12, {r0-r3}
    pop     {r4-r11, pc}
    .size fx_dense_block_sums_m4, . - fx_dense_block_sums_m4

/*
 * void fx_dense_layer_m4(const uint32_t *w, m4_layer_state *st)
 * Per block of four rows: the sums (block_sums), plus the biases, then the four requantized
 * outputs packed into one word and stored. USAT or SSAT saturates, not SSUB8 + SEL: the GE flags
 * that SEL reads are what Renode 1.15.3's core gets wrong (see fx_features.c). The stack holds st.
 */
    .global fx_dense_layer_m4
    .type fx_dense_layer_m4, %function
    .thumb_func
fx_dense_layer_m4:
    push    {r1, r4-r11, lr}
    mov     r10, r0
2:  ldr     r12, [sp]
    ldrd    r11, r12, [r12, #16]        /* the inputs' pairs, input blocks */
    bl      block_sums
    ldr     r12, [sp]
    ldr     r11, [r12, #0]              /* bias */
    ldmia   r11!, {r4-r7}
    str     r11, [r12, #0]
    add     r0, r0, r4
    add     r1, r1, r5
    add     r2, r2, r6
    add     r3, r3, r7
    /* the rows requantized as fx_requantize: see REQUANT4 */
    ldrd    r4, lr, [r12, #4]           /* mult, shift */
    MUL4    r4, lr, r0, r1, r2, r3, r5, r6, r7, r8
    strd    r4, lr, [r12, #4]
    ldrd    r11, r4, [r12, #24]         /* the end of the weights, ReLU */
    cbz     r4, 8f
    REQUANT4 usat, 7, r0, r1, r2, r3, r5, r6, r7, r8
    BLOCK_END
8:  REQUANT4 ssat, 8, r0, r1, r2, r3, r5, r6, r7, r8
    BLOCK_END
    .size fx_dense_layer_m4, . - fx_dense_layer_m4

/*
 * void fx_quantize_input_pairs(const fx_input_quant *q, const int32_t *features, uint32_t *pairs)
 * (fx_kernels.h; q->n a positive multiple of 4.) Four features per iteration, one LDM from each array:
 * QSUB saturates the centred feature as the portable clamp does; with h = SMULL's high word of
 * centred * mult, the requantized value is floor(((h >> (shift - 33)) + 1) / 2), whose last shift
 * SSAT applies as it clamps to int8; PKHBT joins x0 with x2 and x1 with x3.
 * Registers: r0 iterations, r1 features, r2 pairs, r3 offset, r12 mult, lr shift, r4-r7 the four
 * values, r8-r11 the arrays' four entries.
 */
    .global fx_quantize_input_pairs
    .type fx_quantize_input_pairs, %function
    .thumb_func
fx_quantize_input_pairs:
    push    {r4-r11, lr}
    ldr     r3, [r0, #0]
    ldrd    r12, lr, [r0, #4]
    ldrh    r0, [r0, #12]
    lsrs    r0, r0, #2
1:  ldmia   r1!, {r4-r7}
    ldmia   r3!, {r8-r11}
    qsub    r4, r4, r8
    qsub    r5, r5, r9
    qsub    r6, r6, r10
    qsub    r7, r7, r11
    MUL4    r12, lr, r4, r5, r6, r7, r8, r9, r10, r11
    REQUANT4 ssat, 8, r4, r5, r6, r7, r8, r9, r10, r11
    pkhbt   r4, r4, r6, lsl #16
    pkhbt   r5, r5, r7, lsl #16
    strd    r4, r5, [r2], #8
    subs    r0, r0, #1
    bne     1b
    pop     {r4-r11, pc}
    .size fx_quantize_input_pairs, . - fx_quantize_input_pairs
