/* fx_rocket_m4.S: the rocket kernel's Cortex-M4 loops: pair sums and counts, two int16 samples a word. */
#include "fx_rocket_m4.h"

#if FX_DSP
    .syntax unified
    .thumb
    .text

/*
 * void fx_rocket_pairs_m4(uint32_t *q, const uint32_t *a, const uint32_t *b, const uint32_t *s9,
 *                         uint32_t words)
 * q = a + b - s9, four words an iteration (LDM, two SIMD steps a word, STM), then one at a time.
 */
    .section .text.fx_rocket_pairs_m4, "ax", %progbits
    .global fx_rocket_pairs_m4
    .type fx_rocket_pairs_m4, %function
    .p2align 2
fx_rocket_pairs_m4:
    push    {r4-r11, lr}
    ldr     lr, [sp, #36]           /* words */
    lsrs    r12, lr, #2
    beq     2f
1:  ldm     r1!, {r4-r7}
    ldm     r2!, {r8-r11}
    sadd16  r4, r4, r8
    sadd16  r5, r5, r9
    sadd16  r6, r6, r10
    sadd16  r7, r7, r11
    ldm     r3!, {r8-r11}
    ssub16  r4, r4, r8
    ssub16  r5, r5, r9
    ssub16  r6, r6, r10
    ssub16  r7, r7, r11
    stm     r0!, {r4-r7}
    subs    r12, r12, #1
    bne     1b
2:  ands    lr, lr, #3
    beq     4f
3:  ldr     r4, [r1], #4
    ldr     r8, [r2], #4
    ldr     r9, [r3], #4
    sadd16  r4, r4, r8
    ssub16  r4, r4, r9
    str     r4, [r0], #4
    subs    lr, lr, #1
    bne     3b
4:  pop     {r4-r11, pc}
    .size fx_rocket_pairs_m4, . - fx_rocket_pairs_m4

/*
 * uint32_t fx_rocket_count_m4(const uint32_t *q, const uint32_t *u, uint32_t words, uint32_t bias)
 * Per word: conv = q + u (SADD16), e = bias - conv (SSUB16), whose lanes' sign bits (15 and 31) are set
 * where conv > bias; AND keeps them and ADD ... LSR #15 adds them as 1 to the low and high halves of
 * the count. Four SIMD steps a word, two samples: no GE flag is read.
 */
    .section .text.fx_rocket_count_m4, "ax", %progbits
    .global fx_rocket_count_m4
    .type fx_rocket_count_m4, %function
    .p2align 2
fx_rocket_count_m4:
    push    {r4-r11, lr}
    movs    r12, #0
    lsrs    r11, r2, #2
    beq     2f
1:  ldm     r0!, {r4-r7}
    ldm     r1!, {r8-r10, lr}
    sadd16  r4, r4, r8
    ssub16  r4, r3, r4
    and     r4, r4, #0x80008000
    add     r12, r12, r4, lsr #15
    sadd16  r5, r5, r9
    ssub16  r5, r3, r5
    and     r5, r5, #0x80008000
    add     r12, r12, r5, lsr #15
    sadd16  r6, r6, r10
    ssub16  r6, r3, r6
    and     r6, r6, #0x80008000
    add     r12, r12, r6, lsr #15
    sadd16  r7, r7, lr
    ssub16  r7, r3, r7
    and     r7, r7, #0x80008000
    add     r12, r12, r7, lsr #15
    subs    r11, r11, #1
    bne     1b
2:  ands    r2, r2, #3
    beq     4f
3:  ldr     r4, [r0], #4
    ldr     r8, [r1], #4
    sadd16  r4, r4, r8
    ssub16  r4, r3, r4
    and     r4, r4, #0x80008000
    add     r12, r12, r4, lsr #15
    subs    r2, r2, #1
    bne     3b
4:  mov     r0, r12
    pop     {r4-r11, pc}
    .size fx_rocket_count_m4, . - fx_rocket_count_m4
#endif
