/* fx_board.h: what a board file describes: clock tree, console USART and pins, memory. */
#ifndef FX_BOARD_H
#define FX_BOARD_H

#include <stdint.h>

/* Console baud rate, 115200 unless the build says otherwise (make firmware BAUD=921600). */
#ifndef FX_CONSOLE_BAUD
#define FX_CONSOLE_BAUD 115200u
#endif

typedef struct {
    const char *name;
    uint32_t hse_hz;          /* crystal or bypass clock; the PLL runs from it */
    uint8_t hse_bypass;       /* 1: external clock (ST-LINK MCO on Nucleo), 0: crystal */
    uint8_t pll_m;            /* VCO input = hse_hz / pll_m, within [1, 2] MHz */
    uint16_t pll_n;           /* VCO output = input * pll_n, within [100, 432] MHz */
    uint8_t pll_p;            /* SYSCLK = VCO / pll_p, one of 2, 4, 6, 8 */
    uint8_t pll_q;            /* 48 MHz domain divider, [2, 15] */
    uint8_t flash_wait_states;
    uint8_t apb1_div;         /* 1, 2, 4, 8 or 16; APB1 at most 45 (F446) / 50 (F411) / 42 MHz */
    uint8_t apb2_div;
    uint8_t over_drive;       /* F446 above 168 MHz needs the regulator's over-drive mode */
    uint32_t sysclk_hz;       /* what the PLL settings above give */
    uint32_t console_baud;
    uint8_t led_port;         /* user LED: 0 = GPIOA, 1 = GPIOB, ...; FX_BOARD_NO_LED for none */
    uint8_t led_pin;          /* 0 .. 15, active high */
    const uint8_t *arduino;   /* D0 .. D15: FX_BOARD_PIN(port, pin) each, or FX_BOARD_NO_PIN; NULL: no header */
} fx_board;

#define FX_BOARD_NO_LED 0xFFu
#define FX_BOARD_PIN(port, pin) ((uint8_t)(((port) << 4) | (pin)))
#define FX_BOARD_NO_PIN 0xFFu
#define FX_BOARD_ARDUINO_PINS 16u
/* The Arduino header of every Nucleo-64 (UM1724, "Arduino connectors"): D0/D1 are the console's
   PA3/PA2, D13 is LD2's PA5, D14/D15 the sensor bus's PB9/PB8. */
#define FX_BOARD_NUCLEO64_ARDUINO                                                                  \
    {FX_BOARD_PIN(0, 3), FX_BOARD_PIN(0, 2), FX_BOARD_PIN(0, 10), FX_BOARD_PIN(1, 3),            \
     FX_BOARD_PIN(1, 5), FX_BOARD_PIN(1, 4), FX_BOARD_PIN(1, 10), FX_BOARD_PIN(0, 8),            \
     FX_BOARD_PIN(0, 9), FX_BOARD_PIN(2, 7), FX_BOARD_PIN(1, 6), FX_BOARD_PIN(0, 7),             \
     FX_BOARD_PIN(0, 6), FX_BOARD_PIN(0, 5), FX_BOARD_PIN(1, 9), FX_BOARD_PIN(1, 8)}

/* The board this image is built for; defined by the one board file linked in. */
extern const fx_board fx_board_config;

#endif
