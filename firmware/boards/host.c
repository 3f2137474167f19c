/* host.c: the application on a POSIX host (hal/host), console on a local TCP socket. No clocks to set:
   the HAL reports a 1 GHz clock and counts nanoseconds. Built by `make native` at the top level. */
#include "fx_board.h"

const fx_board fx_board_config = {
    .name = "host",
    .sysclk_hz = 1000000000u,
    .console_baud = FX_CONSOLE_BAUD,
    .led_port = FX_BOARD_NO_LED,
};
