/* fx_hal.h: the hardware abstraction the application uses: console UART, time, cycles, reset. */
#ifndef FX_HAL_H
#define FX_HAL_H

#include <stddef.h>
#include <stdint.h>

#include "fx_board.h"

typedef enum {
    FX_CLOCK_PLL = 0,         /* the board's PLL configuration is running */
    FX_CLOCK_HSE_TIMEOUT = 1, /* fell back to the 16 MHz HSI: the HSE never became ready */
    FX_CLOCK_PLL_TIMEOUT = 2, /* fell back to HSI: PLL lock, over-drive or switch timed out */
    FX_CLOCK_HOST = 3,        /* no clock tree: a native run on a host (hal/host) */
} fx_clock_status;

/* Clocks, SysTick (1 kHz), cycle counter, console USART with RX interrupt, user LED, watchdog. */
fx_clock_status fx_hal_init(const fx_board *board);
uint32_t fx_hal_sysclk_hz(void);

void fx_hal_uart_write(const uint8_t *data, size_t len);
/* Bytes received since the last call, up to cap; never blocks. */
size_t fx_hal_uart_read(uint8_t *data, size_t cap);
/* Receive overruns: times bytes were lost because they kept coming while the ring was full. */
uint32_t fx_hal_uart_overruns(void);

uint32_t fx_hal_millis(void);
uint32_t fx_hal_cycles(void);
/* 0: DWT CYCCNT, 1: SysTick-derived (cores or emulators without a working DWT). */
uint8_t fx_hal_cycle_source(void);

/*
 * I2C master on the board's sensor bus (I2C1 on PB8 = SCL, PB9 = SDA: the Arduino D15/D14 pins
 * that the X-NUCLEO-IKS01A3 shield uses), 400 kHz. One transaction: START, address + write, tx
 * bytes, then (rx_len > 0) repeated START, address + read, rx bytes, STOP. tx_len 0 with rx_len 0
 * probes the address. Every wait has a time-out; after a time-out or bus error the bus is
 * recovered (nine SCL pulses, STOP, peripheral reset) before the status is returned.
 */
typedef enum {
    FX_I2C_OK = 0,
    FX_I2C_NACK = 1,     /* no device acknowledged the address, or a byte */
    FX_I2C_TIMEOUT = 2,  /* a flag never came: nothing on the bus, a stuck slave, no I2C at all */
    FX_I2C_BUS_ERROR = 3 /* arbitration lost or a misplaced START/STOP */
} fx_i2c_status;

fx_i2c_status fx_hal_i2c_transfer(uint8_t addr7, const uint8_t *tx, size_t tx_len, uint8_t *rx, size_t rx_len);

/* The board's user LED; nothing on a board without one. */
void fx_hal_led_toggle(void);

void fx_hal_watchdog_kick(void);
void fx_hal_wait_for_interrupt(void);
void fx_hal_reset(void);

#endif
