/* fx_config.h: the device configuration: boot mode, outputs, decision settings; keys, checks and the record kept in flash. */
#ifndef FX_CONFIG_H
#define FX_CONFIG_H

#include "fx_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The configuration travels (CONFIG_* messages) and is kept (its flash record) as the same list of
 * entries, u16 key then i32 value, little-endian; a key the firmware does not know is refused by
 * CONFIG_SET and skipped in a record (one written by a later firmware), a key missing from a
 * record keeps its default. docs/protocol.md lists the keys.
 */
#define FX_CONFIG_ENTRY_BYTES 6u
#define FX_CONFIG_CLASS_PINS 8u      /* classes 0 .. 7 may drive a pin of their own */

#define FX_CONFIG_BOOT_MODE 0x0001u  /* FX_BOOT_HOST or FX_BOOT_LIVE */
#define FX_CONFIG_LED 0x0002u        /* FX_LED_* */
#define FX_CONFIG_DECISION_HOPS 0x0010u  /* K of the decisions (fx_decide.h), 1 .. 16; 0: the model's */
#define FX_CONFIG_DECISION_VOTES 0x0011u /* M of the decisions, 1 .. 255 (capped at K); 0: the model's */
#define FX_CONFIG_DECISION_DWELL 0x0012u /* hops a new decision must hold, 1 .. 255; 0: the model's */
#define FX_CONFIG_CLASS_PIN 0x0100u  /* + class (0 .. FX_CONFIG_CLASS_PINS - 1): Arduino pin D2 .. D12, 0 none */

#define FX_BOOT_HOST 0               /* wait for the host's requests (the console always answers) */
#define FX_BOOT_LIVE 1               /* start LIVE at power-on, no host needed */

#define FX_LED_OFF 0
#define FX_LED_HEARTBEAT 1           /* 1 Hz blink while the main loop runs, whatever is decided */
#define FX_LED_CLASS 2               /* the class shown as blinks (app/fx_outputs.h), heartbeat before any */

#define FX_ARDUINO_PIN_FIRST 2       /* D0/D1 are the console, D13 is LD2, D14/D15 the sensor bus */
#define FX_ARDUINO_PIN_LAST 12

typedef struct {
    uint8_t boot_mode;
    uint8_t led;
    uint8_t class_pin[FX_CONFIG_CLASS_PINS];
    uint8_t decision_hops;   /* these three: 0 keeps the model's decision settings */
    uint8_t decision_votes;
    uint8_t decision_dwell;
} fx_config;

/* Every key this firmware knows, in order; fx_config_keys_count of them. */
extern const uint16_t fx_config_keys[];
extern const uint8_t fx_config_keys_count;

void fx_config_defaults(fx_config *c);

/* The value of key in c through *value: 0, or 1 for a key this firmware does not know. */
int fx_config_get(const fx_config *c, uint16_t key, int32_t *value);

/* Set key to value: 0, FX_CONFIG_BAD_KEY or FX_CONFIG_BAD_VALUE (c unchanged then). */
#define FX_CONFIG_BAD_KEY 1
#define FX_CONFIG_BAD_VALUE 2
int fx_config_set(fx_config *c, uint16_t key, int32_t value);

/* Apply n entries (n x FX_CONFIG_ENTRY_BYTES bytes) all or none: 0, or the first error, with
   the index of the entry that caused it in *bad. skip_unknown: a record's unknown keys pass. */
int fx_config_apply(fx_config *c, const uint8_t *entries, uint32_t len, int skip_unknown, uint32_t *bad);

/* Every known key of c as entries into out (room for fx_config_keys_count entries): bytes written. */
uint32_t fx_config_encode(const fx_config *c, uint8_t *out);

#define FX_CONFIG_MAX_BYTES (FX_CONFIG_ENTRY_BYTES * (5u + FX_CONFIG_CLASS_PINS))

#ifdef __cplusplus
}
#endif

#endif
