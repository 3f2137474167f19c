/* fx_bytes.h: little-endian reads and writes at any alignment, for the model blob and the wire. */
#ifndef FX_BYTES_H
#define FX_BYTES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Byte by byte, so that neither the alignment nor the byte order of the machine matters; always
   inlined, as CMSIS-NN does its read helpers: the compiler turns each into one load or store where
   the core allows unaligned access, smaller than a call. */
static inline __attribute__((always_inline)) uint16_t fx_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline __attribute__((always_inline)) uint32_t fx_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* The low 16 bits of v. */
static inline __attribute__((always_inline)) void fx_wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline __attribute__((always_inline)) void fx_wr32(uint8_t *p, uint32_t v)
{
    fx_wr16(p, v);
    fx_wr16(p + 2, v >> 16);
}

#ifdef __cplusplus
}
#endif

#endif
