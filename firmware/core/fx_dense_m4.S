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
 * void fx_dense_layer_m4(const uint32_t *w, m4_layer_state *st)
 * Per block of four rows: the biases into the accumulators r0-r3, then the dot products over the
 * expanded inputs, four steps of four inputs per loop iteration, then the four requantized outputs
 * packed into one word and stored. USAT or SSAT saturates, not SSUB8 + SEL: the GE flags that
 * SEL reads are what Renode 1.15.3's core gets wrong (see fx_features.c).
 * Registers in the loop: r0-r3 the rows' sums, r4-r7 a weight word per row, r8 (x0, x2),
 * r9 (x1, x3), r10 w, r11 x, r12 scratch, lr iterations left. The stack holds st.
 */
/* One row's weight word w (its four weights for the step, clobbered) into its sum acc: SXTB16
   splits it into (w0, w2) and (w1, w3), as the inputs (x0, x2) in r8 and (x1, x3) in r9 are. */
    .macro ROW acc, w
    sxtb16  r12, \w
    smlad   \acc, r12, r8, \acc
    sxtb16  \w, \w, ror #8
    smlad   \acc, \w, r9, \acc
    .endm

/* Four inputs into the four rows: one LDM for the rows' four weight words. */
    .macro STEP
    ldrd    r8, r9, [r11], #8
    ldmia   r10!, {r4-r7}
    ROW     r0, r4
    ROW     r1, r5
    ROW     r2, r6
    ROW     r3, r7
    .endm

    .global fx_dense_layer_m4
    .type fx_dense_layer_m4, %function
    .thumb_func
fx_dense_layer_m4:
    push    {r1, r4-r11, lr}
    mov     r10, r0
    mov     r12, r1
2:  ldr     r11, [r12, #0]              /* bias */
    ldmia   r11!, {r0-r3}
    str     r11, [r12, #0]
    ldrd    r11, lr, [r12, #16]         /* the expanded inputs, pairs of steps */
    lsrs    lr, lr, #1                  /* four steps per iteration; an odd pair enters halfway */
    bcs     6f
1:  STEP
    STEP
7:  STEP
    STEP
    subs    lr, lr, #1
    bne     1b
    /* the rows requantized as fx_requantize: see REQUANT4 */
    ldr     r12, [sp]
    ldrd    r4, lr, [r12, #4]           /* mult, shift */
    MUL4    r4, lr, r0, r1, r2, r3, r5, r6, r7, r8
    strd    r4, lr, [r12, #4]
    ldrd    r11, r4, [r12, #24]         /* the end of the weights, ReLU */
    cbz     r4, 8f
    REQUANT4 usat, 7, r0, r1, r2, r3, r5, r6, r7, r8
    BLOCK_END
8:  REQUANT4 ssat, 8, r0, r1, r2, r3, r5, r6, r7, r8
    BLOCK_END
6:  add     lr, lr, #1
    b       7b
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
