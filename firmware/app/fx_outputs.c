/* fx_outputs.c: the user LED's pattern and the class pins, driven from the main loop's tick. */
#include "fx_outputs.h"

#include "fx_hal.h"

uint32_t fx_led_cycle_ms(int16_t shown_class)
{
    if (shown_class == FX_SHOWN_UNKNOWN) {
        return 2u * FX_UNKNOWN_ON_MS;
    }
    return shown_class < 0 ? 2u * FX_HEARTBEAT_HALF_MS
                           : ((uint32_t)shown_class + 1u) * (FX_BLINK_ON_MS + FX_BLINK_OFF_MS) + FX_BLINK_PAUSE_MS;
}

int fx_led_pattern_on(int16_t shown_class, uint32_t phase_ms)
{
    if (shown_class == FX_SHOWN_UNKNOWN) {
        return phase_ms < FX_UNKNOWN_ON_MS;
    }
    if (shown_class < 0) {
        return phase_ms < FX_HEARTBEAT_HALF_MS;
    }
    const uint32_t blink_ms = FX_BLINK_ON_MS + FX_BLINK_OFF_MS;
    return phase_ms < ((uint32_t)shown_class + 1u) * blink_ms && phase_ms % blink_ms < FX_BLINK_ON_MS;
}

static struct {
    uint8_t started;
    int16_t shown;                     /* the class the pins show, at once */
    int16_t blinking;                  /* the class the LED shows, from the start of a cycle */
    uint32_t cycle_ms;                 /* when the LED's current cycle began */
    int8_t led;                        /* the LED as last set, -1 unknown */
    uint8_t pins[FX_CONFIG_CLASS_PINS]; /* the pins set up, as the configuration had them */
} out;

static void pin_for(int16_t cls, int high)
{
    if (cls >= 0 && (uint16_t)cls < FX_CONFIG_CLASS_PINS && out.pins[cls] != 0u) {
        fx_hal_arduino_pin_write(out.pins[cls], high);
    }
}

/* A pin configured, or no longer: set up as outputs, the shown class's high, the rest low. */
static void follow_pins(const fx_config *config)
{
    for (uint8_t c = 0; c < FX_CONFIG_CLASS_PINS; ++c) {
        if (config->class_pin[c] != out.pins[c]) {
            if (out.pins[c] != 0u) {
                fx_hal_arduino_pin_write(out.pins[c], 0); /* left as a low output */
            }
            out.pins[c] = config->class_pin[c];
            if (out.pins[c] != 0u && fx_hal_arduino_pin_setup(out.pins[c])) {
                fx_hal_arduino_pin_write(out.pins[c], c == out.shown);
            }
        }
    }
}

void fx_outputs_update(const fx_config *config, int16_t shown_class, uint32_t now_ms)
{
    if (!out.started) {
        out.started = 1;
        out.shown = FX_SHOWN_NONE;
        out.blinking = FX_SHOWN_NONE;
        out.cycle_ms = now_ms;
        out.led = -1;
    }
    if (shown_class != out.shown) {
        pin_for(out.shown, 0);
        out.shown = shown_class;
        pin_for(shown_class, 1);
    }
    follow_pins(config);
    const int16_t wanted = config->led == FX_LED_CLASS ? out.shown : FX_SHOWN_NONE;
    if (now_ms - out.cycle_ms >= fx_led_cycle_ms(out.blinking)) {
        /* A cycle is over: the next one shows the class wanted now, from its first blink. */
        out.cycle_ms = now_ms;
        out.blinking = wanted;
    }
    const int8_t on = config->led == FX_LED_OFF ? 0 : (int8_t)fx_led_pattern_on(out.blinking, now_ms - out.cycle_ms);
    if (on != out.led) {
        out.led = on;
        fx_hal_led_set(on);
    }
}
