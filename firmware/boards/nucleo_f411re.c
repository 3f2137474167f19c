/* nucleo_f411re.c: NUCLEO-F411RE at 100 MHz, console on USART2 (PA2/PA3) via the ST-LINK VCP. */
#include "fx_board.h"

#define FX_BOARD_CHIP "stm32f411re"

/* 8 MHz ST-LINK MCO in bypass: 8 / 4 * 100 / 2 = 100 MHz (Q: 40 MHz, at most 48; USB is unused),
   3 wait states at 2.7-3.6 V (RM0383 3.4.1); APB1 at most 50 MHz (/2), APB2 100 MHz (/1). */
static const uint8_t arduino[FX_BOARD_ARDUINO_PINS] = FX_BOARD_NUCLEO64_ARDUINO;

const fx_board fx_board_config = {
    .name = "nucleo_f411re",
    .hse_hz = 8000000u,
    .hse_bypass = 1,
    .pll_m = 4,
    .pll_n = 100,
    .pll_p = 2,
    .pll_q = 5,
    .flash_wait_states = 3,
    .apb1_div = 2,
    .apb2_div = 1,
    .over_drive = 0,
    .sysclk_hz = 100000000u,
    .console_baud = FX_CONSOLE_BAUD,
    .led_port = 0, /* LD2 on PA5 (UM1724 6.4, SB21 closed as shipped) */
    .led_pin = 5,
    .arduino = arduino,
};
