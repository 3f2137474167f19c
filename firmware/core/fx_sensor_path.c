/* fx_sensor_path.c: per-channel rescaling and rational linear resampling of a sensor's samples. */
#include "fx_sensor_path.h"

#include <string.h>

#define MAX_RATE_MILLIHERTZ 100000000u
/* With q at most this, |x_n (q - r) + x_{n+1} r + q/2| < 2^31: the interpolation stays in 32 bits. */
#define MAX_Q 65535u

static uint32_t gcd(uint32_t a, uint32_t b)
{
    while (b != 0) {
        const uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

fx_status fx_sensor_path_init(fx_sensor_path *path, uint8_t n_channels, const int32_t *mult, const uint8_t *shift,
                              uint32_t in_rate_millihertz, uint32_t out_rate_millihertz)
{
    if (path == NULL || mult == NULL || shift == NULL || n_channels == 0 || n_channels > FX_MAX_CHANNELS ||
        in_rate_millihertz == 0 || out_rate_millihertz == 0 || in_rate_millihertz > MAX_RATE_MILLIHERTZ ||
        out_rate_millihertz > MAX_RATE_MILLIHERTZ) {
        return FX_ERR_ARG;
    }
    for (uint8_t c = 0; c < n_channels; ++c) {
        if (mult[c] < 1 || shift[c] < 1 || shift[c] > 62) {
            return FX_ERR_ARG;
        }
    }
    memset(path, 0, sizeof *path);
    path->n_channels = n_channels;
    memcpy(path->mult, mult, n_channels * sizeof mult[0]);
    memcpy(path->shift, shift, n_channels * sizeof shift[0]);
    const uint32_t g = gcd(in_rate_millihertz, out_rate_millihertz);
    if (out_rate_millihertz / g > MAX_Q) {
        return FX_ERR_ARG;
    }
    path->p = in_rate_millihertz / g;
    path->q = out_rate_millihertz / g;
    return FX_OK;
}

void fx_sensor_path_restart(fx_sensor_path *path)
{
    path->acc = 0;
    path->primed = 0;
}

uint32_t fx_sensor_path_max_out(const fx_sensor_path *path)
{
    return (path->q + path->p - 1u) / path->p;
}

static int16_t convert(int16_t x, int32_t mult, uint8_t shift)
{
    /* |x * mult| < 2^46: exact in 64 bits; >> of a negative value is arithmetic on every target
       fxclass builds for, as fx_requantize relies on too. */
    const int64_t y = ((int64_t)x * mult + ((int64_t)1 << (shift - 1u))) >> shift;
    return (int16_t)(y > INT16_MAX ? INT16_MAX : y < INT16_MIN ? INT16_MIN : y);
}

/* floor(a / b) for b > 0. */
static int32_t floor_div(int32_t a, int32_t b)
{
    const int32_t quotient = a / b;
    return (a % b != 0 && a < 0) ? quotient - 1 : quotient;
}

uint32_t fx_sensor_path_push(fx_sensor_path *path, const int16_t *in, int16_t *out)
{
    const uint8_t n = path->n_channels;
    int16_t x[FX_MAX_CHANNELS];
    for (uint8_t c = 0; c < n; ++c) {
        x[c] = convert(in[c], path->mult[c], path->shift[c]);
    }
    if (!path->primed) {
        memcpy(path->prev, x, n * sizeof x[0]);
        path->primed = 1;
        path->acc = 0;
        return 0;
    }
    /* Outputs at positions prev + acc/q for acc < q lie between prev and x. */
    uint32_t count = 0;
    const int32_t q = (int32_t)path->q;
    while (path->acc < path->q) {
        const int32_t r = (int32_t)path->acc;
        for (uint8_t c = 0; c < n; ++c) {
            out[count * n + c] = (int16_t)floor_div(path->prev[c] * (q - r) + x[c] * r + q / 2, q);
        }
        ++count;
        path->acc += path->p;
    }
    path->acc -= path->q;
    memcpy(path->prev, x, n * sizeof x[0]);
    return count;
}

fx_status fx_scale_factor(uint32_t sensor_nano_units_per_count, uint32_t model_counts_per_unit_q16, int32_t *mult,
                          uint8_t *shift)
{
    if (mult == NULL || shift == NULL || sensor_nano_units_per_count == 0 || model_counts_per_unit_q16 == 0) {
        return FX_ERR_ARG;
    }
    /* factor = num / den with num < 2^64 and den = 10^9 * 2^16 < 2^46, by long division one bit
       at a time (no 64-bit divide in the image): first the integer part, then fraction bits until
       the quotient has 30 bits or the shift reaches 62. */
    const uint64_t num = (uint64_t)sensor_nano_units_per_count * model_counts_per_unit_q16;
    const uint64_t den = 1000000000ull << 16;
    uint64_t quotient = 0;
    uint64_t rem = 0;
    for (int bit = 63; bit >= 0; --bit) {
        rem = (rem << 1) | ((num >> bit) & 1u);
        quotient = (quotient << 1) | (rem >= den ? 1u : 0u);
        rem = rem >= den ? rem - den : rem;
    }
    uint32_t s = 0;
    while (quotient < (1ull << 29) && s < 62u) {
        rem <<= 1;
        quotient = (quotient << 1) | (rem >= den ? 1u : 0u);
        rem = rem >= den ? rem - den : rem;
        ++s;
    }
    if (2u * rem >= den) {
        ++quotient; /* at most 2^30 after the loop, 2^31 - 1 is only reached with s = 0 */
    }
    if (s < 1u || quotient == 0 || quotient >= (1ull << 31)) {
        return FX_ERR_ARG;
    }
    *mult = (int32_t)quotient;
    *shift = (uint8_t)s;
    return FX_OK;
}
