/* fx_sensor.h: the board's own motion sensor behind a few functions, so that another part is one more file. */
#ifndef FX_SENSOR_H
#define FX_SENSOR_H

#include <stdint.h>

#include "fx_model.h"

typedef enum {
    FX_SENSOR_OK = 0,
    FX_SENSOR_ABSENT = 1,      /* nothing answers with the part's identity: no shield, or QEMU */
    FX_SENSOR_BUS = 2,         /* the bus failed mid-run: time-out, NACK, bus error */
    FX_SENSOR_UNSUPPORTED = 3, /* the part has other channels or units than the request */
    FX_SENSOR_RATE = 4,        /* no output data rate of the part reaches the request's */
    FX_SENSOR_NO_SCALE = 5     /* the model declares no physical scale, or one out of reach */
} fx_sensor_status;

/* What a started part delivers. */
typedef struct {
    uint32_t rate_millihertz;                                 /* output data rate, millihertz */
    uint8_t n_channels;
    uint32_t nano_units_per_count[FX_MAX_CHANNELS];    /* sensitivity in the requested unit x 10^9 */
    uint16_t full_scale[FX_MAX_CHANNELS];              /* range in g or dps, for INFO */
} fx_sensor_config;

typedef struct {
    const char *name;
    uint8_t n_channels;
    /* FX_SENSOR_OK when the part answers on the bus with its identity. */
    fx_sensor_status (*probe)(void);
    /*
     * Reset the part and start it at the lowest output data rate not below min_rate_millihertz, each
     * channel in units[c] (fx_unit) with the smallest full scale that holds the range of a model
     * taking counts_per_unit_q16[c] counts per unit (32767 / counts per unit units; the largest
     * full scale when none does), its FIFO collecting every sample.
     */
    fx_sensor_status (*start)(uint32_t min_rate_millihertz, const uint8_t *units, const uint32_t *counts_per_unit_q16,
                              fx_sensor_config *config);
    /* Power the part down (best effort: it may be gone). */
    void (*stop)(void);
    /*
     * Up to max samples (n_channels int16 counts each, oldest first) from the FIFO into samples;
     * *count gets their number and *lost the samples the FIFO dropped since the last call.
     */
    fx_sensor_status (*read)(int16_t *samples, uint32_t max, uint32_t *count, uint32_t *lost);
} fx_sensor_driver;

/* The parts this build looks for, in order, NULL-terminated (sensors/fx_sensors.c). */
extern const fx_sensor_driver *const fx_sensor_drivers[];

/* The first part of fx_sensor_drivers that answers, or NULL. */
const fx_sensor_driver *fx_sensor_find(void);

/*
 * Start the part to feed a model: the model must take the part's channels, in units it can give,
 * at a rate it reaches, and declare counts per unit; the part then runs at the lowest rate not
 * below the model's, with full scales that hold the model's int16 range, and setup tells how its
 * counts become the model's (fx_sensor_path).
 */
fx_sensor_status fx_sensor_start_for_model(const fx_sensor_driver *driver, const fx_model *model,
                                           fx_sensor_setup *setup);

#endif
