/* fx_config.c: configuration keys, their checks and defaults, and their encoding as entries. */
#include "fx_config.h"

#include <string.h>

#include "fx_bytes.h"
#include "fx_decide.h"

const uint16_t fx_config_keys[] = {
    FX_CONFIG_BOOT_MODE, FX_CONFIG_LED, FX_CONFIG_DECISION_HOPS, FX_CONFIG_DECISION_VOTES, FX_CONFIG_DECISION_DWELL,
    FX_CONFIG_CLASS_PIN + 0u, FX_CONFIG_CLASS_PIN + 1u, FX_CONFIG_CLASS_PIN + 2u, FX_CONFIG_CLASS_PIN + 3u,
    FX_CONFIG_CLASS_PIN + 4u, FX_CONFIG_CLASS_PIN + 5u, FX_CONFIG_CLASS_PIN + 6u, FX_CONFIG_CLASS_PIN + 7u,
};
const uint8_t fx_config_keys_count = (uint8_t)(sizeof fx_config_keys / sizeof fx_config_keys[0]);
_Static_assert(sizeof fx_config_keys / sizeof fx_config_keys[0] * FX_CONFIG_ENTRY_BYTES == FX_CONFIG_MAX_BYTES,
               "FX_CONFIG_MAX_BYTES holds every key");

void fx_config_defaults(fx_config *c)
{
    memset(c, 0, sizeof *c);
    c->boot_mode = FX_BOOT_HOST;
    c->led = FX_LED_CLASS;
}

/* The class whose pin key sets, or -1. */
static int class_of_pin_key(uint16_t key)
{
    return key >= FX_CONFIG_CLASS_PIN && key < FX_CONFIG_CLASS_PIN + FX_CONFIG_CLASS_PINS
               ? (int)(key - FX_CONFIG_CLASS_PIN)
               : -1;
}

/* The decision setting key names in c, or NULL; *max its largest value (0, the model's, is the least). */
static uint8_t *decision_field(fx_config *c, uint16_t key, int32_t *max)
{
    *max = key == FX_CONFIG_DECISION_HOPS ? (int32_t)FX_MAX_DECISION_HOPS : 255;
    return key == FX_CONFIG_DECISION_HOPS    ? &c->decision_hops
           : key == FX_CONFIG_DECISION_VOTES ? &c->decision_votes
           : key == FX_CONFIG_DECISION_DWELL ? &c->decision_dwell
                                             : NULL;
}

int fx_config_get(const fx_config *c, uint16_t key, int32_t *value)
{
    const int pin = class_of_pin_key(key);
    if (key == FX_CONFIG_BOOT_MODE) {
        *value = c->boot_mode;
    } else if (key == FX_CONFIG_LED) {
        *value = c->led;
    } else if (pin >= 0) {
        *value = c->class_pin[pin];
    } else if (key == FX_CONFIG_DECISION_HOPS) {
        *value = c->decision_hops;
    } else if (key == FX_CONFIG_DECISION_VOTES) {
        *value = c->decision_votes;
    } else if (key == FX_CONFIG_DECISION_DWELL) {
        *value = c->decision_dwell;
    } else {
        return 1;
    }
    return 0;
}

int fx_config_set(fx_config *c, uint16_t key, int32_t value)
{
    const int pin = class_of_pin_key(key);
    int32_t max;
    uint8_t *decision = decision_field(c, key, &max);
    if (key == FX_CONFIG_BOOT_MODE) {
        if (value != FX_BOOT_HOST && value != FX_BOOT_LIVE) {
            return FX_CONFIG_BAD_VALUE;
        }
        c->boot_mode = (uint8_t)value;
    } else if (key == FX_CONFIG_LED) {
        if (value < FX_LED_OFF || value > FX_LED_CLASS) {
            return FX_CONFIG_BAD_VALUE;
        }
        c->led = (uint8_t)value;
    } else if (pin >= 0) {
        if (value != 0 && (value < FX_ARDUINO_PIN_FIRST || value > FX_ARDUINO_PIN_LAST)) {
            return FX_CONFIG_BAD_VALUE;
        }
        c->class_pin[pin] = (uint8_t)value;
    } else if (decision != NULL) {
        if (value < 0 || value > max) {
            return FX_CONFIG_BAD_VALUE;
        }
        *decision = (uint8_t)value;
    } else {
        return FX_CONFIG_BAD_KEY;
    }
    return 0;
}

int fx_config_apply(fx_config *c, const uint8_t *entries, uint32_t len, int skip_unknown, uint32_t *bad)
{
    if (len % FX_CONFIG_ENTRY_BYTES != 0) {
        *bad = len / FX_CONFIG_ENTRY_BYTES;
        return FX_CONFIG_BAD_VALUE;
    }
    fx_config next = *c;
    for (uint32_t i = 0; i < len / FX_CONFIG_ENTRY_BYTES; ++i) {
        const uint8_t *e = entries + (size_t)i * FX_CONFIG_ENTRY_BYTES;
        const int code = fx_config_set(&next, fx_rd16(e), (int32_t)fx_rd32(e + 2));
        if (code != 0 && !(skip_unknown && code == FX_CONFIG_BAD_KEY)) {
            *bad = i;
            return code;
        }
    }
    *c = next;
    return 0;
}

uint32_t fx_config_encode(const fx_config *c, uint8_t *out)
{
    for (uint8_t i = 0; i < fx_config_keys_count; ++i) {
        int32_t value = 0;
        (void)fx_config_get(c, fx_config_keys[i], &value);
        fx_wr16(out + (size_t)i * FX_CONFIG_ENTRY_BYTES, fx_config_keys[i]);
        fx_wr32(out + (size_t)i * FX_CONFIG_ENTRY_BYTES + 2, (uint32_t)value);
    }
    return (uint32_t)fx_config_keys_count * FX_CONFIG_ENTRY_BYTES;
}
