/* fx_sensors.c: the motion sensors the firmware looks for on its bus, in order. */
#include <stddef.h>
#include <string.h>

#include "fx_sensor.h"

extern const fx_sensor_driver fx_lsm6dso_driver;

const fx_sensor_driver *const fx_sensor_drivers[] = {
    &fx_lsm6dso_driver, /* X-NUCLEO-IKS01A3 */
    NULL,
};

const fx_sensor_driver *fx_sensor_find(void)
{
    for (const fx_sensor_driver *const *d = fx_sensor_drivers; *d != NULL; ++d) {
        if ((*d)->probe() == FX_SENSOR_OK) {
            return *d;
        }
    }
    return NULL;
}

fx_sensor_status fx_sensor_start_for_model(const fx_sensor_driver *driver, const fx_model *model,
                                           fx_sensor_setup *setup)
{
    if (model->n_channels != driver->n_channels) {
        return FX_SENSOR_UNSUPPORTED;
    }
    uint8_t units[FX_MAX_CHANNELS];
    uint32_t cpu_q16[FX_MAX_CHANNELS];
    for (uint16_t c = 0; c < model->n_channels; ++c) {
        cpu_q16[c] = fx_model_counts_per_unit_q16(model, c);
        units[c] = (uint8_t)fx_model_unit(model, c);
        if (units[c] == FX_UNIT_COUNTS || cpu_q16[c] == 0) {
            return FX_SENSOR_NO_SCALE;
        }
    }
    fx_sensor_config config;
    const fx_sensor_status st = driver->start((uint32_t)model->sample_rate_hz * 1000u, units, cpu_q16, &config);
    if (st != FX_SENSOR_OK) {
        return st;
    }
    memset(setup, 0, sizeof *setup);
    setup->rate_millihertz = config.rate_millihertz;
    setup->n_channels = config.n_channels;
    for (uint8_t c = 0; c < config.n_channels; ++c) {
        if (fx_scale_factor(config.nano_units_per_count[c], cpu_q16[c], &setup->mult[c], &setup->shift[c]) != FX_OK) {
            driver->stop();
            return FX_SENSOR_NO_SCALE;
        }
        setup->unit[c] = units[c];
        setup->full_scale[c] = config.full_scale[c];
        setup->counts_per_unit_q16[c] = cpu_q16[c];
    }
    return FX_SENSOR_OK;
}
