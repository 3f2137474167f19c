/* fx_features.c: fixed-point feature extraction from a window of int16 sensor samples. */
#include "fx_kernels.h"

/* floor(a / b) for b > 0 (C division truncates towards zero): one division, -ceil(-a / b) below 0. */
static int32_t floor_div(int32_t a, int32_t b)
{
    return a >= 0 ? a / b : -(int32_t)((0u - (uint32_t)a + (uint32_t)b - 1u) / (uint32_t)b);
}

#if defined(__ARM_FEATURE_DSP) && !defined(FX_PORTABLE)
#define FX_FEATURES_M4 1
#include "fx_features_m4.h"

/*
 * The Cortex-M4 paths need SSUB16 to set the APSR.GE flags that SEL reads, as every Cortex-M4
 * does. Renode 1.15.3's core does not (SSUB16 leaves GE clear and SEL then picks its second
 * operand), which would make every extreme and absolute sum wrong there; so they are taken only once a
 * probe of the two instructions on the running core has given the architected answer:
 * lane 0: 1 - 2 < 0 picks b's 2, lane 1: 2 - 1 >= 0 picks a's 2.
 */
static int ge_flags_work(void)
{
    static int8_t known = -1;
    if (known < 0) {
        uint32_t picked;
        __asm volatile("ssub16 %0, %1, %2\n\t"
                       "sel    %0, %1, %2"
                       : "=&r"(picked)
                       : "r"(0x00020001u), "r"(0x00010002u)
                       : "cc");
        known = (int8_t)(picked == 0x00020002u);
    }
    return known;
}
#endif

uint32_t fx_feature_segments(uint8_t feature_set)
{
    switch (feature_set) {
    case FX_FEATURE_SET_STATS8: return 4;
    case FX_FEATURE_SET_STATS16: return 12;
    default: return 0;
    }
}

fx_status fx_features_stats(const int16_t *window, uint16_t window_len, uint16_t n_channels,
                            uint8_t n_segments, int32_t *features)
{
    if (window == NULL || features == NULL || n_segments == 0 || n_segments > FX_MAX_SEGMENTS ||
        window_len < n_segments || window_len < 2 || window_len > FX_MAX_WINDOW_LEN || n_channels == 0 ||
        n_channels > FX_MAX_CHANNELS) {
        return FX_ERR_ARG;
    }
#ifdef FX_FEATURES_M4
    if (ge_flags_work()) {
        if (n_channels == 1u) {
            fx_features_mono_m4(window, window_len, n_segments, features);
        } else {
            fx_features_stats_m4(window, window_len, n_channels, n_segments, features);
        }
        return FX_OK;
    }
#endif
    const uint32_t per_channel = n_segments + 4u;
    /* |sum| <= 512 * 32768 = 2^24 and the absolute sums stay below 2^25: no int32 overflow. */
    for (uint16_t c = 0; c < n_channels; ++c) {
        int32_t *f = features + (size_t)c * per_channel;
        const int16_t *x = window + c;
        int32_t lo = x[0];
        int32_t hi = x[0];
        int32_t total_variation = 0;
        int32_t total = 0;
        for (uint32_t k = 0; k < n_segments; ++k) {
            const uint16_t begin = (uint16_t)(k * window_len / n_segments);
            const uint16_t end = (uint16_t)((k + 1u) * window_len / n_segments);
            int32_t segment = 0;
            for (uint16_t t = begin; t < end; ++t) {
                const int32_t v = x[(size_t)t * n_channels];
                segment += v;
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
                if (t > 0) {
                    const int32_t d = v - x[(size_t)(t - 1u) * n_channels];
                    total_variation += d < 0 ? -d : d;
                }
            }
            f[k] = segment;
            total += segment;
        }
        const int32_t mean = floor_div(total, window_len);
        int32_t deviation = 0;
        for (uint16_t t = 0; t < window_len; ++t) {
            const int32_t d = x[(size_t)t * n_channels] - mean;
            deviation += d < 0 ? -d : d;
        }
        f[n_segments] = lo;
        f[n_segments + 1u] = hi;
        f[n_segments + 2u] = total_variation;
        f[n_segments + 3u] = deviation;
    }
    return FX_OK;
}
