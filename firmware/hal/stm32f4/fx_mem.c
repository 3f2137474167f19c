/* fx_mem.c: memcpy, memmove and memset for the firmware, small rather than fast. newlib's are
   unrolled for speed and take 724 bytes of flash together; no copy or fill is on the inference
   path, and the largest, a stream window's slide, is a few hundred words. Word steps where both
   addresses are word-aligned, bytes otherwise. Built without GCC's loop-to-call rewriting, which
   would turn these loops into calls to themselves. */
#include <stddef.h>
#include <stdint.h>

void *memmove(void *dst, const void *src, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int value, size_t n);

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    const int words = (((uintptr_t)d | (uintptr_t)s | n) & 3u) == 0;
    if (d <= s) {
        if (words) {
            for (; n != 0; n -= 4u, d += 4, s += 4) {
                *(uint32_t *)(void *)d = *(const uint32_t *)(const void *)s;
            }
        }
        for (; n != 0; --n) {
            *d++ = *s++;
        }
    } else {
        if (words) {
            while (n != 0) {
                n -= 4u;
                *(uint32_t *)(void *)(d + n) = *(const uint32_t *)(const void *)(s + n);
            }
        }
        while (n != 0) {
            --n;
            d[n] = s[n];
        }
    }
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    return memmove(dst, src, n);
}

void *memset(void *dst, int value, size_t n)
{
    uint8_t *d = dst;
    if ((((uintptr_t)d | n) & 3u) == 0) {
        const uint32_t word = (uint8_t)value * 0x01010101u;
        for (; n != 0; n -= 4u, d += 4) {
            *(uint32_t *)(void *)d = word;
        }
    }
    for (; n != 0; --n) {
        *d++ = (uint8_t)value;
    }
    return dst;
}
