/* netduinoplus2.c: the STM32F405RG board that QEMU emulates; console on USART2 like the Nucleos. */
#include "fx_board.h"

/* Read by the Makefile: chip linker script and CPU flags. */
#define FX_BOARD_CHIP "stm32f405rg"

/* 25 MHz crystal: 25 / 25 * 336 / 2 = 168 MHz, 48 MHz on Q. QEMU does not model the RCC, so
   start-up times out and the firmware runs on the 16 MHz HSI, which it reports. */
const fx_board fx_board_config = {
    .name = "netduinoplus2",
    .hse_hz = 25000000u,
    .hse_bypass = 0,
    .pll_m = 25,
    .pll_n = 336,
    .pll_p = 2,
    .pll_q = 7,
    .flash_wait_states = 5,
    .apb1_div = 4,
    .apb2_div = 2,
    .over_drive = 0,
    .sysclk_hz = 168000000u,
    .console_baud = FX_CONSOLE_BAUD,
    .led_port = 0, /* the blue user LED on PA10; QEMU does not model GPIO, writes are ignored */
    .led_pin = 10,
};
