/* fx_outputs.h: what the board shows of its decisions: the user LED's blink pattern and a pin per class. */
#ifndef FX_OUTPUTS_H
#define FX_OUTPUTS_H

#include <stdint.h>

#include "fx_config.h"

/*
 * Class c (0-based) is shown on the LED as c + 1 blinks (FX_BLINK_ON_MS on, FX_BLINK_OFF_MS off)
 * then FX_BLINK_PAUSE_MS dark, again and again; the pattern starts afresh when the class changes.
 * Before any class (no LIVE, no stream yet), the LED blinks at 1 Hz, as the heartbeat did. Class c
 * also raises its Arduino pin, when one is configured, and lowers the pin of the class before.
 * Called from the main loop on each tick: it never waits.
 */
#define FX_BLINK_ON_MS 150u
#define FX_BLINK_OFF_MS 250u
#define FX_BLINK_PAUSE_MS 1000u
#define FX_HEARTBEAT_HALF_MS 500u

/* 1 when the LED is lit phase_ms into the pattern of shown_class (-1: the heartbeat). */
int fx_led_pattern_on(int16_t shown_class, uint32_t phase_ms);

void fx_outputs_update(const fx_config *config, int16_t shown_class, uint32_t now_ms);

#endif
