/* nucleo_f446re.c: NUCLEO-F446RE at 180 MHz, console on USART2 (PA2/PA3) via the ST-LINK VCP. */
#include "fx_board.h"

#define FX_BOARD_CHIP "stm32f446re"

/* HSE is the ST-LINK's 8 MHz MCO (bypass, solder bridge SB50 as shipped):
   8 / 4 * 180 / 2 = 180 MHz needs voltage scale 1 with over-drive and 5 wait states
   (RM0390 3.4.1); APB1 at 45 MHz (/4) and APB2 at 90 MHz (/2) are their maxima. */
static const uint8_t arduino[FX_BOARD_ARDUINO_PINS] = FX_BOARD_NUCLEO64_ARDUINO;

const fx_board fx_board_config = {
    .name = "nucleo_f446re",
    .hse_hz = 8000000u,
    .hse_bypass = 1,
    .pll_m = 4,
    .pll_n = 180,
    .pll_p = 2,
    .pll_q = 8,
    .flash_wait_states = 5,
    .apb1_div = 4,
    .apb2_div = 2,
    .over_drive = 1,
    .sysclk_hz = 180000000u,
    .console_baud = FX_CONSOLE_BAUD,
    .led_port = 0, /* LD2 on PA5 (UM1724 6.4, SB21 closed as shipped) */
    .led_pin = 5,
    .arduino = arduino,
};
