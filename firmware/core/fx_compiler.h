/* fx_compiler.h: which variants a build has (FX_DSP); the intrinsics and inline assembly they use. */
#ifndef FX_COMPILER_H
#define FX_COMPILER_H

/* The Cortex-M4 DSP variants are compiled where the target has the DSP extension (SMLAD, SSUB16,
   SSAT), unless FX_PORTABLE asks for the portable C alone: the host builds, and the Cortex-M4
   builds of the portable C that the tests and the bench compare with. */
#if defined(__ARM_FEATURE_DSP) && !defined(FX_PORTABLE)
#define FX_DSP 1
#else
#define FX_DSP 0
#endif

/* A function kept out of its callers, so that the callers' hot paths do without its frame. */
#if defined(__GNUC__) && !defined(__ASSEMBLER__)
#define FX_NOINLINE __attribute__((noinline))
#else
#define FX_NOINLINE
#endif

/* A structure's field where the assembly reads it, at offset and as many bytes wide as its loads
   take, checked: a wrong offset or width fails the build. */
#define FX_ASSERT_FIELD(type, field, offset, bytes)                                                  \
    _Static_assert(offsetof(type, field) == (offset) && sizeof(((type *)0)->field) == (bytes),      \
                   #offset " is not where " #type "." #field " is, or it is not " #bytes " bytes wide")

#if !defined(__ASSEMBLER__)
#include <stdint.h>

/* The leading zero bits of x > 0: one CLZ on Arm (every Cortex-M4 build, FX_PORTABLE or not), the
   compilers' builtin elsewhere. */
static inline uint32_t fx_clz32(uint32_t x)
{
    return (uint32_t)__builtin_clz(x);
}
#endif

#if FX_DSP && defined(__ASSEMBLER__)
/* One byte of a TBB table, the half-word distance from the table's start (base) to target, placed
   at its index: the assembler refuses a table whose entries are out of the order that the codes in
   the C (fx_features_m4.h) give them. */
    .macro TBB_ENTRY base, index, target
    .if (. - \base) != (\index)
    .error "TBB table: entry \index is not at its place"
    .endif
    .byte   (\target - \base) / 2
    .endm
#endif

#if FX_DSP && !defined(__ASSEMBLER__)
#include <arm_acle.h>
#include <stdint.h>

/*
 * in_blocks (> 0) words of four int8 values x0..x3 into twice as many words of two int16 lanes:
 * (x0, x2) by SXTB16, then (x1, x3) by SXTB16 with ROR #8, both stored by one STRD. Six
 * instructions a word, where the compiler's loop of the ACLE __sxtb16 takes eight (it adds the
 * ROR and stores twice; CMSIS-NN's SXTB16_RORn is inline assembly for the same reason).
 */
static inline void fx_sxtb16_pairs(const int8_t *in, uint32_t in_blocks, uint32_t *pairs)
{
    const uint32_t *words = (const uint32_t *)(const void *)in;
    uint32_t v, lo, hi;
    __asm volatile("1:\n\t"
                   "ldr    %[v], [%[in]], #4\n\t"
                   "sxtb16 %[lo], %[v]\n\t"
                   "sxtb16 %[hi], %[v], ror #8\n\t"
                   "strd   %[lo], %[hi], [%[out]], #8\n\t"
                   "subs   %[n], %[n], #1\n\t"
                   "bne    1b"
                   : [in] "+r"(words), [out] "+r"(pairs), [n] "+r"(in_blocks), [v] "=&r"(v), [lo] "=&r"(lo),
                     [hi] "=&r"(hi)
                   :
                   : "cc", "memory");
}

/* a - b saturated to int32 (QSUB). */
static inline int32_t fx_qsub(int32_t a, int32_t b)
{
    return __qsub(a, b);
}

/* The high word of the 64-bit product a * b (SMULL). */
static inline int32_t fx_smull_high(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b) >> 32);
}

/* x saturated to a signed integer of bits bits, a constant within [1, 32] (SSAT), or to an unsigned
   one of bits bits, a constant within [0, 31] (USAT). */
#define FX_SSAT(x, bits) __ssat((x), (bits))
#define FX_USAT(x, bits) __usat((x), (bits))

/* floor((x + 1) / 2) saturated to int8 (SSAT #8 of x + 1, ASR #1). */
static inline int32_t fx_ssat8_half(int32_t x)
{
    return __ssat((x + 1) >> 1, 8);
}

/*
 * SEL after SSUB16 of the same operands: per int16 lane, a's where a - b >= 0 (the GE flags that
 * SSUB16 sets), else b's. Inline assembly: the pair must stay together, the flags between them.
 */
static inline uint32_t fx_ssub16_sel(uint32_t a, uint32_t b)
{
    uint32_t picked;
    __asm volatile("ssub16 %0, %1, %2\n\t"
                   "sel    %0, %1, %2"
                   : "=&r"(picked)
                   : "r"(a), "r"(b)
                   : "cc");
    return picked;
}

/*
 * (a * b + 2^(shift - 1)) >> shift, arithmetic, for shift within [1, 32], as the 64-bit value
 * high:low: SMLAL and three shifts. The compiler's 64-bit shift would also handle shifts above 32,
 * at four more instructions.
 */
static inline void fx_smlal_round_shift(int32_t a, int32_t b, int32_t shift, int32_t *high, uint32_t *low)
{
    uint32_t lo = 1u << (shift - 1), rlo, t;
    int32_t hi = 0, rhi;
    __asm("smlal  %[lo], %[hi], %[a], %[b]\n\t"
          "lsr    %[rlo], %[lo], %[s]\n\t"
          "rsb    %[t], %[s], #32\n\t"
          "lsl    %[t], %[hi], %[t]\n\t"
          "orr    %[rlo], %[rlo], %[t]\n\t"
          "asr    %[rhi], %[hi], %[s]"
          : [lo] "+&r"(lo), [hi] "+&r"(hi), [rlo] "=&r"(rlo), [rhi] "=&r"(rhi), [t] "=&r"(t)
          : [a] "r"(a), [b] "r"(b), [s] "r"(shift));
    *high = rhi;
    *low = rlo;
}
#endif

#endif
