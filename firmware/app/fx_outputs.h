/* fx_outputs.h: what the board shows of its decisions: the user LED's blink pattern and a pin per class. */
#ifndef FX_OUTPUTS_H
#define FX_OUTPUTS_H

#include <stdint.h>

#include "fx_config.h"
#include "fx_server.h"

/*
 * Class c (0-based) is shown on the LED as c + 1 blinks (FX_BLINK_ON_MS on, FX_BLINK_OFF_MS off)
 * then FX_BLINK_PAUSE_MS dark, again and again. A new class takes over at the end of a cycle, so
 * that a count is never cut short: the LED lags the decision by at most one cycle (2.6 s for the
 * fourth class). Before any class (no LIVE, no stream yet) the LED blinks at 1 Hz (500 ms on,
 * 500 ms off), as the heartbeat did; "unknown" (FX_SHOWN_UNKNOWN) is one long blink, FX_UNKNOWN_ON_MS,
 * then as long dark. Class c also raises its Arduino pin at once, when one is
 * configured, and lowers the pin of the class before. Called from the main loop on each tick: it
 * never waits.
 */
#define FX_BLINK_ON_MS 150u
#define FX_BLINK_OFF_MS 250u
#define FX_BLINK_PAUSE_MS 1000u
#define FX_HEARTBEAT_HALF_MS 500u
#define FX_UNKNOWN_ON_MS 1000u

/* The length of one cycle of shown_class's pattern (FX_SHOWN_NONE: the heartbeat), and whether the LED is lit
   phase_ms into a cycle (phase_ms below that length). */
uint32_t fx_led_cycle_ms(int16_t shown_class);
int fx_led_pattern_on(int16_t shown_class, uint32_t phase_ms);

void fx_outputs_update(const fx_config *config, int16_t shown_class, uint32_t now_ms);

#endif
