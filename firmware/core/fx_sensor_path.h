/* fx_sensor_path.h: from a sensor's counts at its output data rate to a model's counts at its rate. */
#ifndef FX_SENSOR_PATH_H
#define FX_SENSOR_PATH_H

#include "fx_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Physical units a model's inputs (and a sensor's channels) can be in; values travel over UART. */
typedef enum {
    FX_UNIT_COUNTS = 0, /* no physical scale declared: raw counts */
    FX_UNIT_G = 1,
    FX_UNIT_M_S2 = 2,
    FX_UNIT_DPS = 3,
    FX_UNIT_RAD_S = 4,
    FX_UNIT_AMPERE = 5,
    FX_UNIT_OTHER = 6
} fx_unit;

/* How a started sensor feeds a model: its rate, and per channel the conversion to model counts. */
typedef struct {
    uint32_t rate_millihertz;                  /* the sensor's output data rate */
    uint8_t n_channels;
    int32_t mult[FX_MAX_CHANNELS];      /* see fx_sensor_path below */
    uint8_t shift[FX_MAX_CHANNELS];
    uint8_t unit[FX_MAX_CHANNELS];      /* fx_unit */
    uint16_t full_scale[FX_MAX_CHANNELS]; /* the sensor's range, in its native unit (g, dps) */
    uint32_t counts_per_unit_q16[FX_MAX_CHANNELS]; /* the model's scale, Q16.16 */
} fx_sensor_setup;

/*
 * Each channel's counts are converted to the model's counts,
 *   y = sat_s16((x * mult + 2^(shift-1)) >> shift)    (64-bit, arithmetic shift),
 * then the stream is resampled from in_rate to out_rate by linear interpolation: output k is the
 * input at position k * in_rate / out_rate, rounded to the nearest count (ties up),
 *   y_k = floor((x_n * (q - r) + x_{n+1} * r + floor(q / 2)) / q),  n = floor(k p / q), r = k p mod q,
 * where p / q is in_rate / out_rate in lowest terms. Equal rates pass samples through unchanged.
 */
typedef struct {
    uint8_t n_channels;                 /* 1 .. FX_MAX_CHANNELS */
    int32_t mult[FX_MAX_CHANNELS];      /* 1 .. 2^31 - 1 */
    uint8_t shift[FX_MAX_CHANNELS];     /* 1 .. 62 */
    uint32_t p;                         /* in_rate / gcd */
    uint32_t q;                         /* out_rate / gcd */
    /* state */
    uint32_t acc;                       /* position of the next output after prev, in 1/q samples */
    uint8_t primed;                     /* prev holds a sample */
    int16_t prev[FX_MAX_CHANNELS];
} fx_sensor_path;

/*
 * Set up a path. Rates in millihertz, each within [1, 100000000], and out_rate / gcd(in_rate,
 * out_rate) at most 65535 (so that interpolation stays in 32 bits); mult and shift per channel as
 * above (n_channels values each). Returns FX_ERR_ARG for anything out of range.
 */
fx_status fx_sensor_path_init(fx_sensor_path *path, uint8_t n_channels, const int32_t *mult, const uint8_t *shift,
                              uint32_t in_rate_millihertz, uint32_t out_rate_millihertz);

/* Forget the stream so far (a gap in the sensor's data): the next input starts afresh. */
void fx_sensor_path_restart(fx_sensor_path *path);

/*
 * Feed one input sample (n_channels counts). Writes the output samples it completes to out
 * (n_channels values each, at most fx_sensor_path_max_out() of them) and returns their number.
 */
uint32_t fx_sensor_path_push(fx_sensor_path *path, const int16_t *in, int16_t *out);

/* The most outputs one input can complete: ceil(q / p), at least 1. */
uint32_t fx_sensor_path_max_out(const fx_sensor_path *path);

/*
 * The (mult, shift) that turn counts of a sensor with sensitivity sensor_nano_units_per_count
 * (units per count x 10^9) into model counts at model_counts_per_unit_q16 (Q16.16): the factor
 * sensitivity x counts_per_unit, as a multiplier in [2^29, 2^30] (rounded) and a shift; factors
 * too small or too large for that are refused. Returns FX_ERR_ARG when either input is 0 or the factor needs a shift outside [1, 62].
 */
fx_status fx_scale_factor(uint32_t sensor_nano_units_per_count, uint32_t model_counts_per_unit_q16, int32_t *mult,
                          uint8_t *shift);

#ifdef __cplusplus
}
#endif

#endif
