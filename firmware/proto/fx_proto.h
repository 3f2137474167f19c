/* fx_proto.h: the fxclass wire protocol (docs/protocol.md): limits, message types, error codes, statistics. */
#ifndef FX_PROTO_H
#define FX_PROTO_H

#include "fx_core.h"
#include "fx_store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FX_PROTO_VERSION 1u
#define FX_FW_VERSION_MAJOR 0u
#define FX_FW_VERSION_MINOR 1u
#define FX_FW_VERSION_PATCH 0u

/* A frame body is type u8, flags u8 (0), seq u16, len u16, payload[len], CRC-32 u32 over all
   before it; on the wire it is COBS-encoded and ends with one 0x00 byte. */
#define FX_FRAME_HEADER_BYTES 6u
#define FX_FRAME_OVERHEAD_BYTES (FX_FRAME_HEADER_BYTES + 4u)
/* The largest window in one INFER: FX_MAX_WINDOW_VALUES int16 values. */
#define FX_PROTO_MAX_PAYLOAD 6144u
#define FX_PROTO_MAX_BODY (FX_PROTO_MAX_PAYLOAD + FX_FRAME_OVERHEAD_BYTES)
/* COBS adds one byte per 254 plus one. */
#define FX_PROTO_MAX_ENCODED (FX_PROTO_MAX_BODY + FX_PROTO_MAX_BODY / 254u + 1u)
#define FX_STREAM_RESULTS_PER_REPLY 4u

typedef enum {
    FX_MSG_INFO = 0x01,          /* -> FX_MSG_INFO_REPLY */
    FX_MSG_INFER = 0x02,         /* int16 window -> FX_MSG_RESULT */
    FX_MSG_STREAM_START = 0x03,  /* -> ACK; restarts the sliding window */
    FX_MSG_STREAM_DATA = 0x04,   /* int16 samples -> one or more FX_MSG_STREAM_REPLY */
    FX_MSG_UPLOAD_BEGIN = 0x05,  /* u32 total_len, u32 crc32 -> ACK */
    FX_MSG_UPLOAD_CHUNK = 0x06,  /* u32 offset, bytes -> ACK */
    FX_MSG_UPLOAD_COMMIT = 0x07, /* -> ACK once the new model is validated and in use */
    FX_MSG_STATS = 0x08,         /* -> FX_MSG_STATS_REPLY */
    FX_MSG_RESET = 0x09,         /* -> ACK, then the device resets */
    FX_MSG_MODE = 0x0A,          /* u8 mode flags (FX_MODE_*) -> FX_MSG_MODE_REPLY */
    FX_MSG_CONFIG_GET = 0x10,    /* -> FX_MSG_CONFIG_REPLY */
    FX_MSG_CONFIG_SET = 0x11,    /* n x (u16 key, i32 value), all or none, kept in flash -> FX_MSG_CONFIG_REPLY */
    FX_MSG_CONFIG_RESET = 0x12,  /* -> FX_MSG_CONFIG_REPLY with the defaults, the kept configuration erased */
    FX_MSG_FORGET = 0x13,        /* -> ACK once the kept models and configuration are erased: the built-in
                                    model and the defaults in use, as after flashing the image */
    FX_MSG_ACK = 0x80,           /* u8 request type */
    FX_MSG_INFO_REPLY = 0x81,
    FX_MSG_RESULT = 0x82,
    FX_MSG_STREAM_REPLY = 0x84,  /* u32 samples_total, u8 count, u8 last, count x result record */
    FX_MSG_STATS_REPLY = 0x88,
    FX_MSG_MODE_REPLY = 0x8A,    /* u8 mode, u8 channels, u16 0, u32 sensor rate (mHz), then per channel:
                                    i32 mult, u8 shift, u8 unit, u16 full scale, u32 counts per unit (Q16.16) */
    FX_MSG_LIVE_RESULT = 0x8B,   /* unsolicited in LIVE, one per hop: u32 samples, result record */
    FX_MSG_SAMPLES = 0x8C,       /* unsolicited in RECORD: u32 first, u32 lost, u8 count, u8 channels, u16 0, int16[] */
    FX_MSG_SENSOR_EVENT = 0x8D,  /* unsolicited: u8 state (0 stopped answering, 1 back), 3 x u8 0, u32 bus errors */
    FX_MSG_EVENT = 0x8E,         /* the decision changed (STREAM and LIVE): u32 hop, u32 samples, u8 decision,
                                    u8 previous, int16 smoothed probability (Q15) */
    FX_MSG_CONFIG_REPLY = 0x90,  /* u8 source (FX_KEPT_*), u8 n, u16 0, u32 seq, n x (u16 key, i32 value) */
    FX_MSG_ERROR = 0xFF          /* u8 error code, u8 request type */
} fx_msg_type;

typedef enum {
    FX_E_UNKNOWN_TYPE = 0x01,
    FX_E_BAD_LENGTH = 0x02,
    FX_E_UPLOAD_STATE = 0x03,    /* chunk or commit without begin, or chunk at the wrong offset */
    FX_E_UPLOAD_TOO_LARGE = 0x04,
    FX_E_UPLOAD_CRC = 0x05,      /* the whole blob's CRC differs from the one announced */
    FX_E_NO_STREAM = 0x06,       /* STREAM_DATA before STREAM_START */
    FX_E_NO_SENSOR = 0x07,       /* LIVE or RECORD, and no sensor answers (none fitted, or QEMU) */
    FX_E_SENSOR_SCALE = 0x08,    /* the model declares no physical scale, or one the sensor cannot give */
    FX_E_SENSOR_CHANNELS = 0x09, /* the model's channels or units are not the sensor's */
    FX_E_SENSOR_RATE = 0x0A,     /* the model's sample rate is above the sensor's fastest */
    FX_E_SENSOR_BUS = 0x0B,      /* the sensor answered, then failed on its bus while starting */
    FX_E_NO_FLASH = 0x0C,        /* asked to keep a model, and the chip has no flash controller (QEMU) */
    FX_E_FLASH = 0x0D,           /* the flash controller failed an erase or program; what was kept stays */
    FX_E_CONFIG_KEY = 0x0E,      /* CONFIG_SET: a key this firmware does not know */
    FX_E_CONFIG_VALUE = 0x0F,    /* CONFIG_SET: a value outside its key's range, or a partial entry */
    FX_E_MODEL_BASE = 0x10       /* + fx_status: the uploaded model was refused */
} fx_error_code;

/* MODE flags: 0 is the host-driven mode (INFER, STREAM); the sensor runs while either is set. */
#define FX_MODE_LIVE 0x01u       /* classify the sensor's samples, a LIVE_RESULT per hop */
#define FX_MODE_RECORD 0x02u     /* send the sensor's samples as they come, in SAMPLES frames */

/* UPLOAD_BEGIN's optional flags byte */
#define FX_UPLOAD_KEEP 0x01u     /* write the model to flash: it survives a reset (else RAM, a trial) */

/* Where the model in use, or the configuration, comes from (INFO, CONFIG_REPLY) */
#define FX_KEPT_BUILTIN 0u       /* the image's own (the model) or the defaults (the configuration) */
#define FX_KEPT_RAM 1u           /* received since the reset and not kept: a reset undoes it */
#define FX_KEPT_SLOT0 2u         /* flash slot 0 */
#define FX_KEPT_SLOT1 3u         /* flash slot 1 */

/* What the board keeps in flash: the models' and the configuration's two slots each (app/). */
typedef struct {
    fx_flash_ops flash;          /* erase_sector NULL: no flash controller, nothing is kept */
    fx_store_area models;
    fx_store_area config;
} fx_storage;

typedef struct {
    uint32_t frames_ok;
    uint32_t crc_errors;
    uint32_t framing_errors;  /* bad COBS, too short, or length field disagreeing */
    uint32_t oversize_frames;
    uint32_t error_replies;
    uint32_t rx_overruns;     /* bytes lost before the protocol saw them (set by the port) */
    uint32_t inferences;
    uint32_t uptime_ms;       /* set by the port */
    uint32_t sensor_samples;  /* samples the sensor delivered in LIVE or RECORD */
    uint32_t sensor_lost;     /* samples its FIFO dropped (the firmware fell behind) */
    uint32_t sensor_errors;   /* bus failures while reading it */
    uint32_t live_results;
} fx_stats;

/* A result record's byte 7: what the decision stage says of its window and hop. */
#define FX_RESULT_OUTSIDE 0x01u  /* the window lies outside every class's radius: it voted unknown */
#define FX_RESULT_CHANGED 0x02u  /* this hop changed the decision: an EVENT went before this record */

#define FX_CYCLES_DWT 0u
#define FX_CYCLES_SYSTICK 1u

/* What the protocol needs from the hardware; hal/ provides it on the target, tests on the host.
   The sensor is not part of it: the application drives the sensor (fx_server.h says how). */
typedef struct {
    void (*write)(void *ctx, const uint8_t *data, size_t len);
    uint32_t (*cycles)(void *ctx);
    void (*request_reset)(void *ctx); /* called after the ACK has been written */
    void *ctx;
    const char *board_name;
    const char *sensor_name;          /* the part found at start-up, NULL for none */
    const fx_storage *storage;        /* NULL: nothing is kept (a build without flash) */
    uint32_t sysclk_hz;
    uint8_t cycle_source;
} fx_port;

#ifdef __cplusplus
}
#endif

#endif
