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
void fx_hal_led_set(int on);

/* The Arduino header's digital pins D0 .. D15 as outputs (the board's FX_BOARD_ARDUINO map):
   setup makes pin d a push-pull output, low; 0 when the board has no such pin. */
int fx_hal_arduino_pin_setup(uint8_t d);
void fx_hal_arduino_pin_write(uint8_t d, int high);

/*
 * The chip's internal flash, for what the board keeps (core/fx_store.h). Sector numbers are the
 * chip's (RM0390 / RM0383 3.3: 0-3 16 KiB, 4 64 KiB, 5-7 128 KiB); the image lies in 0-3.
 * fx_hal_flash_present is 0 where no flash controller answers (QEMU models none: its registers
 * read 0), and erase and program then fail. Both return 0 on success; they block until the
 * controller is done (an erase of 128 KiB takes 1-2 s), keeping the watchdog fed meanwhile.
 */
int fx_hal_flash_present(void);
/* Where sector reads, memory-mapped, and its size; NULL for a sector the chip does not have. */
const uint8_t *fx_hal_flash_sector(uint8_t sector, uint32_t *size_bytes);
int fx_hal_flash_erase(uint8_t sector);
/* len a multiple of 4; address and data 4-aligned; the words must be erased. */
int fx_hal_flash_program(const uint8_t *address, const uint8_t *data, uint32_t len);

void fx_hal_watchdog_kick(void);
void fx_hal_wait_for_interrupt(void);
void fx_hal_reset(void);

#endif
