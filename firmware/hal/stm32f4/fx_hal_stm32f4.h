/* fx_hal_stm32f4.h: what the files of the STM32F4 port of the HAL share among themselves. */
#ifndef FX_HAL_STM32F4_H
#define FX_HAL_STM32F4_H

#include "fx_hal.h"

/* I2C1 and its pins, for a bus clocked at apb1_hz; called by fx_hal_init once the clocks run. */
void fx_hal_i2c_init(uint32_t apb1_hz);

#endif
